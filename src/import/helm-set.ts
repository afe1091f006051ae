/**
 * Helm `--set` semantics (helm/helm pkg/strvals, parser.go), for turning an
 * Application's `helm.parameters` into typed `values` only where the result
 * is exactly what Argo CD's `helm template --set name=value` gives. Argo CD
 * escapes commas in values (unless the value is a `{a,b}` list), and Helm
 * reads values files as JSON numbers (float64): so commas, backslashes, lists,
 * forceString and numbers Helm would print differently stay parameters.
 */
import { isPlainObject } from '../core/layering/merge.js';

export type SetPath = (string | number)[];

export interface HelmParameter {
  name: string;
  value?: string;
  forceString?: boolean;
}

// strvals stops a key at `=`, `[`, `,` and `.` and treats `\` as an escape; `{`/`}` start lists.
const PLAIN_SEGMENT = /^[^=[\],.\\{}]+$/;
// strvals' MaxIndex.
const MAX_INDEX = 65536;
// Below this a float64 prints as the integer it is (Go's %v switches to 1e+06 at a million).
const MAX_EXACT_INT = 1_000_000;

/** The path `--set` writes for a parameter name (`a.b[0].c`), or undefined when strvals would read it another way. */
export function parseSetPath(name: string): SetPath | undefined {
  const path: SetPath = [];
  const re = /([^.[\]]+)((?:\[\d+\])*)(?:\.|$)/y;
  let at = 0;
  while (at < name.length) {
    re.lastIndex = at;
    const m = re.exec(name);
    if (!m || !PLAIN_SEGMENT.test(m[1]!)) return undefined;
    path.push(m[1]!);
    for (const index of m[2]!.match(/\d+/g) ?? []) {
      const n = Number(index);
      if (n > MAX_INDEX || String(n) !== index) return undefined;
      path.push(n);
    }
    at = re.lastIndex;
    // A trailing `.` leaves an empty key, which strvals rejects.
    if (name[at - 1] === '.' && at === name.length) return undefined;
  }
  return path.length > 0 ? path : undefined;
}

/** The value strvals' typedVal gives a `--set` value, or undefined when it is not one plain scalar Helm types the same way from a values file. */
export function typedSetValue(raw: string): { value: unknown } | undefined {
  if (/[,\\]/.test(raw) || raw.startsWith('{')) return undefined;
  const lower = raw.toLowerCase();
  if (lower === 'true') return { value: true };
  if (lower === 'false') return { value: false };
  if (lower === 'null') return { value: null };
  if (raw === '0') return { value: 0 };
  if (raw !== '' && raw[0] !== '0' && /^[+-]?\d+$/.test(raw)) {
    const n = Number(raw);
    // strconv.ParseInt: the int64 range; numbers at or past a million print in exponent form from a values file.
    if (Math.abs(n) >= MAX_EXACT_INT) return undefined;
    return { value: n === 0 ? 0 : n };
  }
  return { value: raw };
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/**
 * Writes `value` at `path` as strvals' ParseInto does; false where Helm would fail or differ
 * (a map where a list is, a list grown past holes in an existing one).
 */
function setAt(root: Record<string, unknown>, path: SetPath, value: unknown): boolean {
  let node: Record<string, unknown> | unknown[] = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const last = i === path.length - 1;
    const next = path[i + 1];
    if (typeof key === 'number') {
      if (!Array.isArray(node)) return false;
      while (node.length <= key) node.push(null);
      if (last) node[key] = value;
      else {
        const want = typeof next === 'number' ? Array.isArray(node[key]) : isPlainObject(node[key]);
        if (!want) {
          if (node[key] !== null && node[key] !== undefined) return false;
          node[key] = typeof next === 'number' ? [] : {};
        }
        node = node[key] as Record<string, unknown> | unknown[];
      }
      continue;
    }
    if (!isPlainObject(node)) return false;
    if (last) {
      node[key] = value;
      continue;
    }
    const existing = node[key];
    if (typeof next === 'number') {
      if (existing === undefined) node[key] = [];
      else if (!Array.isArray(existing)) return false;
    } else if (existing === undefined) node[key] = {};
    else if (!isPlainObject(existing)) return false;
    node = node[key] as Record<string, unknown> | unknown[];
  }
  return true;
}

function overlaps(a: SetPath, b: SetPath): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface ConvertedParameters {
  /** The values with the converted parameters written in. */
  values: Record<string, unknown>;
  /** Parameters that stay parameters, in their order. */
  kept: HelmParameter[];
  /** Names of the parameters that became values. */
  converted: string[];
}

/**
 * Applies the parameters that `--set` would apply exactly like a values
 * entry onto a copy of `values`. A parameter kept must still run after every
 * converted one it shares a path with, so later parameters overlapping a
 * kept one are kept too. With valueFiles, list indexes stay parameters:
 * `--set` edits the list the files give, a values entry replaces it.
 */
export function convertParameters(
  values: Record<string, unknown>,
  parameters: readonly HelmParameter[],
  options: { valueFiles?: boolean } = {},
): ConvertedParameters {
  const out = clone(values);
  const kept: HelmParameter[] = [];
  const keptPaths: SetPath[] = [];
  const converted: string[] = [];
  for (const parameter of parameters) {
    const path = parseSetPath(parameter.name);
    const typed = parameter.forceString ? undefined : typedSetValue(parameter.value ?? '');
    const convertible =
      path !== undefined &&
      typed !== undefined &&
      !(options.valueFiles && path.some((s) => typeof s === 'number')) &&
      !keptPaths.some((k) => overlaps(k, path));
    if (convertible) {
      const attempt = clone(out);
      if (setAt(attempt, path, typed.value)) {
        Object.assign(out, attempt);
        for (const key of Object.keys(out)) if (!(key in attempt)) delete out[key];
        converted.push(parameter.name);
        continue;
      }
    }
    kept.push(parameter);
    if (path) keptPaths.push(path);
    else keptPaths.push([]);
  }
  return { values: out, kept, converted };
}
