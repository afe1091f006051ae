/**
 * The layering rule of the platform repo: maps merge, lists replace, and a
 * null replaces what lower layers set (the caller strips nulls where the
 * key itself should go; in Helm values a null is kept, and Helm then drops
 * the chart's default too).
 *
 * Why not a deep-merge library: the merge has to record, for `explain`,
 * which layer set each field, and to share untouched subtrees between the
 * 40,000 results of a large repo instead of copying them. Inputs are never
 * mutated; the result shares the subtrees it did not merge.
 */

export type PlainObject = Record<string, unknown>;
export type FieldPath = (string | number)[];

export function isPlainObject(value: unknown): value is PlainObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Which layer set each field, keyed by the JSON of the field's path. */
export type Trace<O> = Map<string, { path: FieldPath; origin: O }>;

function forget<O>(trace: Trace<O>, path: FieldPath): void {
  const key = JSON.stringify(path);
  const deeper = path.length === 0 ? '[' : `${key.slice(0, -1)},`;
  for (const k of trace.keys()) if (k !== key && k.startsWith(deeper)) trace.delete(k);
}

function record<O>(trace: Trace<O>, path: FieldPath, origin: O): void {
  forget(trace, path);
  trace.set(JSON.stringify(path), { path, origin });
}

/**
 * Merges `layer` over `base` and returns the result. With a `trace`, records
 * `origin` for every field the layer sets, under `prefix`.
 */
export function mergeLayer<O>(base: unknown, layer: unknown, trace?: Trace<O>, origin?: O, prefix: FieldPath = []): unknown {
  if (!isPlainObject(layer) || !isPlainObject(base)) {
    if (trace && layer !== undefined) record(trace, prefix, origin as O);
    return layer === undefined ? base : layer;
  }
  const out: PlainObject = { ...base };
  for (const key of Object.keys(layer)) {
    const value = layer[key];
    if (value === undefined) continue;
    if (isPlainObject(value) && isPlainObject(out[key])) {
      out[key] = mergeLayer(out[key], value, trace, origin, trace ? [...prefix, key] : prefix);
    } else {
      out[key] = value;
      if (trace) record(trace, [...prefix, key], origin as O);
    }
  }
  return out;
}

/** Removes null-valued keys, recursively, copying only what changes. */
export function stripNulls<T>(value: T): T {
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item) => {
      const next = stripNulls(item);
      if (next !== item) changed = true;
      return next;
    });
    return (changed ? out : value) as T;
  }
  if (!isPlainObject(value)) return value;
  let out: PlainObject | undefined;
  for (const [key, item] of Object.entries(value)) {
    const next = item === null ? undefined : stripNulls(item);
    if (next !== item) {
      out ??= { ...value };
      if (next === undefined) delete out[key];
      else out[key] = next;
    }
  }
  return (out ?? value) as T;
}

/**
 * Freezes a value and everything in it. Parsed files and the parts many
 * Applications share are frozen: nothing may change them after the fact, and
 * the YAML emitter reuses the text of a frozen subtree.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
