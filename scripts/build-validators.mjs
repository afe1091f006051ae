#!/usr/bin/env node
// Runs after tsc: compiles the JSON Schemas of src/core/schema/schemas.ts into standalone
// validator code, so that a CLI process (the CMP's `generate`, run by Argo CD
// on every refresh) does not spend ~350 ms compiling them with ajv at start.
// src/core/schema/validate.ts falls back to compiling at run time when these files are
// absent (tests run from the TypeScript sources).
//
// Two sets, both from the same schemas:
// - validators-check.generated.cjs: pass/fail only (first error stops), every
//   nested object schema its own function behind a $ref. V8 compiles a
//   function on its first call, so a file using five app keys compiles five
//   small functions instead of one 150 kB validator: ~10 ms instead of ~60.
// - validators-full.generated.cjs: every error, with the schema paths and
//   parent schemas validate.ts turns into messages; loaded only when a file
//   fails the check.
// CommonJS, so that validate.ts loads them synchronously, when first needed;
// minified with ajv's runtime helpers inlined (esbuild), a third of the size
// to compile. validators.generated.js re-exports the full set as ES module.
//
// The strict schema of full Application files (src/core/schema/application-schema.ts,
// from the vendored Application CRD) gets the same two sets in files of its
// own, application-{check,full}.generated.cjs: it compiles to more code than
// all the others together, and only a repo with a full Application file needs it.
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { APPLICATION_CRD_FILE, applicationSchemaFromCrd } from '../dist/src/core/schema/application-schema.js';
import { ajvOptions, schemas } from '../dist/src/core/schema/schemas.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = (name) => fileURLToPath(new URL(`../dist/src/core/schema/${name}`, import.meta.url));
const names = Object.keys(schemas);

// Descriptions and examples are for editors (scripts/build-json-schemas.mjs);
// validation ignores them, but in the code they would be ~50 kB more to load
// and would keep the check set from sharing identical subschemas.
const ANNOTATIONS = new Set(['description', 'examples', 'title']);
function withoutAnnotations(schema) {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const copy = {};
  for (const [k, v] of Object.entries(schema)) {
    if (ANNOTATIONS.has(k)) continue;
    // `properties` maps key names (a key may be called description) to schemas.
    if (k === 'properties') copy[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, withoutAnnotations(s)]));
    else if (k === 'anyOf') copy[k] = v.map(withoutAnnotations);
    else if (k === 'additionalProperties' || k === 'items' || k === 'not' || k === 'propertyNames') copy[k] = withoutAnnotations(v);
    else copy[k] = v;
  }
  return copy;
}
const validated = Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, withoutAnnotations(schema)]));

/** Writes ajv's standalone CommonJS code, minified, with the ajv runtime helpers it requires bundled in. */
async function writeValidators(name, code) {
  await build({
    stdin: { contents: code, resolveDir: root, sourcefile: name, loader: 'js' },
    outfile: out(name),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20.18',
    minify: true,
    logLevel: 'warning',
  });
}

function compileAll(options, named) {
  const ajv = new Ajv(options);
  const refs = {};
  for (const [name, schema] of Object.entries(named)) {
    ajv.addSchema(schema, name);
    refs[name] = name;
  }
  return { ajv, refs };
}

// The full set: exactly the run-time options.
async function writeFullSet(file, named) {
  const { ajv, refs } = compileAll({ ...ajvOptions, code: { source: true } }, named);
  await writeValidators(file, standaloneCode(ajv, refs));
}

// The check set. A subschema replaced by a $ref to an identical copy of
// itself accepts exactly the same data; only error locations would change,
// and this set reports none.
async function writeCheckSet(file, named) {
  const defs = new Map();
  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  const split = (schema) => {
    if (!isObject(schema)) return schema;
    const copy = factor(schema);
    if (!(copy.properties || copy.additionalProperties || copy.items || copy.anyOf)) return copy;
    const key = JSON.stringify(copy);
    if (!defs.has(key)) defs.set(key, { name: `shared${defs.size}`, schema: copy });
    return { $ref: defs.get(key).name };
  };
  // Only schema positions are rewritten: `properties` holds schemas, `required` or `enum` hold data.
  function factor(schema) {
    const copy = {};
    for (const [k, v] of Object.entries(schema)) {
      if (k === 'properties') copy[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, split(s)]));
      else if (k === 'additionalProperties' || k === 'items' || k === 'not' || k === 'propertyNames') copy[k] = split(v);
      else if (k === 'anyOf') copy[k] = v.map(split);
      else if (
        ['patternProperties', 'allOf', 'oneOf', 'if', 'then', 'else', 'dependentSchemas', 'prefixItems', 'contains', '$defs', 'definitions'].includes(k)
      ) {
        throw new Error(`build-validators: schema keyword ${k} is not handled by the check set's factoring; add it here`);
      } else copy[k] = v;
    }
    return copy;
  }
  const tops = Object.fromEntries(Object.entries(named).map(([n, s]) => [n, factor(s)]));
  const shared = Object.fromEntries([...defs.values()].map((d) => [d.name, d.schema]));
  const { ajv, refs } = compileAll(
    { ...ajvOptions, allErrors: false, verbose: false, messages: false, inlineRefs: false, code: { source: true } },
    { ...shared, ...tops },
  );
  for (const name of Object.keys(shared)) delete refs[name];
  await writeValidators(file, standaloneCode(ajv, refs));
}

await writeFullSet('validators-full.generated.cjs', validated);
writeFileSync(
  out('validators.generated.js'),
  `import full from './validators-full.generated.cjs';\n${names.map((n) => `export const ${n} = full.${n};`).join('\n')}\n`,
);
await writeCheckSet('validators-check.generated.cjs', validated);

const application = { application: applicationSchemaFromCrd(readFileSync(`${root}${APPLICATION_CRD_FILE}`, 'utf8'), parse) };
await writeFullSet('application-full.generated.cjs', application);
await writeCheckSet('application-check.generated.cjs', application);
