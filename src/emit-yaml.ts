/**
 * A YAML emitter for JSON-shaped data (objects, arrays, strings, finite
 * numbers, booleans, null), in block style with keys in insertion order.
 *
 * Why not js-yaml or yaml: rendering 40,000 Applications spends most of its
 * time here, and both general-purpose emitters take seconds where this takes
 * a fraction (bench/render prints the figures). Strings are written plain only
 * when no YAML 1.1 or 1.2 reader (Go's sigs.k8s.io/yaml included) can take them
 * for anything but a string; everything else is a JSON string, which is a
 * valid YAML double-quoted scalar.
 */

const plainString = /^[A-Za-z_/][A-Za-z0-9_./@=:+, -]*$/;
// Inside the characters above, these still end or start something in YAML.
const plainBreakers = /: |:$| #| $|,$/;
// YAML 1.1 booleans and nulls, which Go's YAML libraries still honour.
const reserved = new Set([
  'y', 'yes', 'n', 'no', 'true', 'false', 'on', 'off', 'null', '~',
].flatMap((w) => [w, w.toUpperCase(), w[0]!.toUpperCase() + w.slice(1)]));
// JSON leaves DEL and the C1 controls raw; YAML does not allow them unescaped.
const unprintable = /[\u007f-\u009f\ufeff]/g;

function quote(value: string): string {
  const json = JSON.stringify(value);
  return unprintable.test(json)
    ? json.replace(unprintable, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : json;
}

/** A scalar as YAML text. */
export function emitScalar(value: string | number | boolean | null): string {
  if (typeof value === 'string') {
    return plainString.test(value) && !plainBreakers.test(value) && !reserved.has(value) ? value : quote(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot emit ${value} as YAML`);
    return String(value);
  }
  if (value === null) return 'null';
  return value ? 'true' : 'false';
}

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return value !== null && typeof value === 'object' && Object.keys(value).length === 0;
}

function emitInto(out: string[], value: unknown, indent: string): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === 'object' && !isEmpty(item)) {
        // The first line of a nested mapping or sequence shares the dash's line.
        const start = out.length;
        emitInto(out, item, indent + '  ');
        out[start] = `${indent}- ${out[start]!.slice(indent.length + 2)}`;
      } else {
        out.push(`${indent}- ${emitValueInline(item)}`);
      }
    }
    return;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item === undefined) continue;
    const k = emitScalar(key);
    if (item !== null && typeof item === 'object' && !isEmpty(item)) {
      out.push(`${indent}${k}:`);
      emitInto(out, item, Array.isArray(item) ? indent : indent + '  ');
    } else {
      out.push(`${indent}${k}: ${emitValueInline(item)}`);
    }
  }
}

function emitValueInline(value: unknown): string {
  if (Array.isArray(value)) return '[]';
  if (value !== null && typeof value === 'object') return '{}';
  if (value === undefined) return 'null';
  return emitScalar(value as string | number | boolean | null);
}

/** One YAML document (no `---`), ending with a newline. */
export function emitYaml(value: unknown): string {
  if (value === null || typeof value !== 'object' || isEmpty(value)) return `${emitValueInline(value)}\n`;
  const out: string[] = [];
  emitInto(out, value, '');
  return out.join('\n') + '\n';
}

/** A YAML stream: each document starts with `---`. */
export function emitYamlStream(values: Iterable<unknown>): string {
  let text = '';
  for (const value of values) text += '---\n' + emitYaml(value);
  return text;
}
