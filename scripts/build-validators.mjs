#!/usr/bin/env node
// Runs after tsc: compiles the JSON Schemas of src/schemas.ts into standalone
// validator code, so that a CLI process (the CMP's `generate`, run by Argo CD
// on every refresh) does not spend ~350 ms compiling them with ajv at start.
// src/validate.ts falls back to compiling at run time when this file is absent
// (tests run from the TypeScript sources).
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ajvOptions, schemas } from '../dist/src/schemas.js';

const ajv = new Ajv({ ...ajvOptions, code: { source: true, esm: true } });
const refs = {};
for (const [name, schema] of Object.entries(schemas)) {
  ajv.addSchema(schema, name);
  refs[name] = name;
}
const target = fileURLToPath(new URL('../dist/src/validators.generated.js', import.meta.url));
// ajv's ESM output still require()s its runtime helpers (ucs2length for maxLength).
const prelude = "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n";
writeFileSync(target, prelude + standaloneCode(ajv, refs).replace(/^"use strict";/, ''));
