#!/usr/bin/env node
// Runs after tsc: writes the editor schemas, schemas/<kind>.schema.json, from
// the very schemas the CLI validates with (src/core/schema/schemas.ts), so that an editor
// running yaml-language-server flags what `gitops-k8s lint` would. Shipped in
// the package (package.json `files`); `gitops-k8s init` and `gitops-k8s
// schemas --write` point files at them with a modeline.
//
// Each file is the CLI's schema unchanged, with JSON Schema's `$schema`, a
// title and a description added at the top (test/core/json-schemas.test.ts
// holds them to that).
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { editorSchemaFiles } from '../dist/src/core/schema/editor-schemas.js';

const dir = fileURLToPath(new URL('../schemas/', import.meta.url));
mkdirSync(dir, { recursive: true });
for (const { file, schema } of editorSchemaFiles()) writeFileSync(`${dir}${file}`, `${JSON.stringify(schema, null, 2)}\n`);
