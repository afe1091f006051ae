import type { ErrorObject, ValidateFunction } from 'ajv';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { APPLICATION_CRD_FILE, applicationSchemaFromCrd } from './application-schema.js';
import { didYouMean } from '../did-you-mean.js';
import type { Problem } from '../errors.js';
import type { YamlFile } from '../yaml/parse-yaml.js';
import { ajvOptions, schemas } from './schemas.js';

export type SchemaName = keyof typeof schemas;

interface Validators {
  /** Pass or fail, stopping at the first error: what valid files (nearly all of them) need. */
  check(schema: SchemaName): ValidateFunction;
  /** Every error, with what messages are made of; loaded when a file fails the check. */
  full(schema: SchemaName): ValidateFunction;
}

// The build compiles the schemas to standalone code (scripts/build-validators.mjs):
// compiling them here costs a CLI process ~350 ms, on every Argo CD refresh.
function loadValidators(): Validators {
  const requireHere = createRequire(import.meta.url);
  const check = fileURLToPath(new URL('./validators-check.generated.cjs', import.meta.url));
  const full = fileURLToPath(new URL('./validators-full.generated.cjs', import.meta.url));
  if (existsSync(check) && existsSync(full)) {
    let checks: Record<SchemaName, ValidateFunction> | undefined;
    let fulls: Record<SchemaName, ValidateFunction> | undefined;
    return {
      check: (schema) => (checks ??= requireHere(check) as Record<SchemaName, ValidateFunction>)[schema],
      full: (schema) => (fulls ??= requireHere(full) as Record<SchemaName, ValidateFunction>)[schema],
    };
  }
  const { Ajv } = requireHere('ajv') as typeof import('ajv');
  const ajv = new Ajv(ajvOptions);
  const compiled = new Map<SchemaName, ValidateFunction>();
  const compile = (schema: SchemaName): ValidateFunction => {
    let validate = compiled.get(schema);
    if (!validate) compiled.set(schema, (validate = ajv.compile(schemas[schema])));
    return validate;
  };
  return { check: compile, full: compile };
}

const validators = loadValidators();

interface ValidatorPair {
  check: ValidateFunction;
  /** Called only when the check fails: the full set is loaded then. */
  full: () => ValidateFunction;
}

let applicationValidators: ValidatorPair | undefined;

// The Application CRD's schema compiles to far more code than all the others
// together: files of its own, required only when a full Application file exists.
function loadApplicationValidators(): ValidatorPair {
  const requireHere = createRequire(import.meta.url);
  const check = fileURLToPath(new URL('./application-check.generated.cjs', import.meta.url));
  const full = fileURLToPath(new URL('./application-full.generated.cjs', import.meta.url));
  if (existsSync(check) && existsSync(full)) {
    let fullValidate: ValidateFunction | undefined;
    return {
      check: (requireHere(check) as { application: ValidateFunction }).application,
      full: () => (fullValidate ??= (requireHere(full) as { application: ValidateFunction }).application),
    };
  }
  // Running the TypeScript sources (tests): the CRD of the checkout, compiled here.
  const { Ajv } = requireHere('ajv') as typeof import('ajv');
  const { parse } = requireHere('yaml') as typeof import('yaml');
  const crd = readFileSync(fileURLToPath(new URL(`../../../${APPLICATION_CRD_FILE}`, import.meta.url)), 'utf8');
  const validate = new Ajv(ajvOptions).compile(applicationSchemaFromCrd(crd, parse));
  return { check: validate, full: () => validate };
}

/**
 * Checks a full Argo CD Application file against the Application CRD's
 * schema, strictly: every key the schema does not know is a problem.
 */
export function validateApplication(yaml: YamlFile, data: unknown = yaml.data): Problem[] {
  applicationValidators ??= loadApplicationValidators();
  return problemsOf(applicationValidators, undefined, yaml, data, []);
}

function pathOf(instancePath: string): (string | number)[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `values.ingress.hosts[0]` from a path. */
export function fieldOf(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return JSON.stringify(value);
}

function typeName(type: unknown): string {
  const names: Record<string, string> = {
    object: 'a map',
    array: 'a list',
    string: 'a string',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
    null: 'null',
  };
  const list = (Array.isArray(type) ? type : [type]).map((t) => names[String(t)] ?? String(t));
  return list.join(' or ');
}

// The schemas' patterns, as people say them.
const patternNames: Record<string, string> = {
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$': 'a DNS-1123 label (lower case letters, digits and -, starting and ending with a letter or digit)',
  '^https?://': 'an http:// or https:// URL',
};

function messageOf(error: ErrorObject, data: unknown, path: (string | number)[]): string {
  const value = valueAt(data, path);
  switch (error.keyword) {
    case 'type': {
      const hint =
        typeof value === 'number' && [(error.params as { type: unknown }).type].flat().includes('string') ? '; quote it so YAML keeps it as written' : '';
      return `must be ${typeName((error.params as { type: unknown }).type)} (got ${describe(value)})${hint}`;
    }
    case 'required':
      return `missing required key ${JSON.stringify((error.params as { missingProperty: string }).missingProperty)}`;
    case 'enum':
      return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')} (got ${describe(value)})`;
    case 'pattern': {
      const pattern = (error.params as { pattern: string }).pattern;
      return `must be ${patternNames[pattern] ?? `like ${pattern}`} (got ${describe(value)})`;
    }
    case 'minLength':
      return 'must not be empty';
    case 'maxLength':
      return `must be at most ${(error.params as { limit: number }).limit} characters (got ${String(value).length})`;
    case 'minimum':
      return `must be at least ${(error.params as { limit: number }).limit} (got ${describe(value)})`;
    case 'not':
      return path.length === 0 ? 'has keys that may not be used together or a reserved key' : 'is not allowed here';
    default:
      return error.message ?? 'is invalid';
  }
}

/**
 * An `anyOf` reports the errors of every branch. Keep only the branches whose
 * type matches the data (a list selector's errors for a list), and when none
 * does, one error naming the types it may be.
 */
function pickBranches(errors: ErrorObject[]): ErrorObject[] {
  let out = errors.filter((e) => e.keyword !== 'anyOf');
  for (const anyOf of errors.filter((e) => e.keyword === 'anyOf')) {
    const prefix = `${anyOf.schemaPath}/`;
    const branchOf = (e: ErrorObject): string | undefined => (e.schemaPath.startsWith(prefix) ? e.schemaPath.slice(prefix.length).split('/')[0] : undefined);
    const typeErrors = out.filter((e) => e.keyword === 'type' && e.instancePath === anyOf.instancePath && e.schemaPath === `${prefix}${branchOf(e)}/type`);
    const mismatched = new Set(typeErrors.map(branchOf));
    const branches = new Set(((anyOf.schema as unknown[]) ?? []).map((_, i) => String(i)));
    if (branches.size > 0 && [...branches].every((b) => mismatched.has(b))) {
      const types = typeErrors.map((e) => (e.params as { type: unknown }).type);
      out = out.filter((e) => branchOf(e) === undefined);
      out.push({ ...anyOf, keyword: 'type', params: { type: types.flat() } });
    } else {
      out = out.filter((e) => !mismatched.has(branchOf(e)));
    }
  }
  return out;
}

/**
 * Checks data from a YAML file against one of the schemas and returns every
 * problem, each with its line, field and (for unknown keys) a suggestion.
 */
export function validateAgainst(schema: SchemaName, yaml: YamlFile, data: unknown = yaml.data, base: (string | number)[] = []): Problem[] {
  return problemsOf({ check: validators.check(schema), full: () => validators.full(schema) }, schema, yaml, data, base);
}

function problemsOf(pair: ValidatorPair, schema: SchemaName | undefined, yaml: YamlFile, data: unknown, base: (string | number)[]): Problem[] {
  if (pair.check(data)) return [];
  const validate = pair.full();
  if (validate(data)) return [];
  const problems: Problem[] = [];
  const errors = pickBranches(validate.errors ?? []);
  // A value of the wrong type also fails the checks of its type's keywords: report the type.
  const filtered = errors.filter(
    (e) => !(e.keyword === 'type' && errors.some((o) => o !== e && o.instancePath === e.instancePath && o.keyword !== 'type' && o.keyword !== 'anyOf')),
  );
  const seen = new Set<string>();
  for (const error of filtered) {
    const path = pathOf(error.instancePath);
    const full = [...base, ...path];
    let problem: Problem;
    if (error.keyword === 'additionalProperties') {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys(((error.parentSchema as { properties?: object }).properties ?? {}) as object);
      problem = {
        code: 'GK_UNKNOWN_KEY',
        file: yaml.file,
        line: yaml.lineOfKey(full, key),
        field: fieldOf([...full, key]),
        message: `unknown key${didYouMean(key, known)}`,
      };
    } else if (error.keyword === 'not' && path.length === 0 && schema === 'cluster') {
      problem = { code: 'GK_INVALID_VALUE', file: yaml.file, line: yaml.lineOf(full), field: fieldOf(full), message: 'give either server or name, not both' };
    } else if (error.keyword === 'not' && schema === 'provider') {
      problem = {
        code: 'GK_INVALID_VALUE',
        file: yaml.file,
        line: yaml.lineOfKey(full, 'name'),
        field: 'name',
        message: 'is reserved: a provider is named by its file',
      };
    } else {
      problem = {
        code: 'GK_INVALID_VALUE',
        file: yaml.file,
        line: yaml.lineOf(full),
        field: fieldOf(full) || undefined,
        message: messageOf(error, data, path),
      };
    }
    const key = `${problem.line}:${problem.field}:${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}
