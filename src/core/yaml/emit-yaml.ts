/**
 * A YAML emitter for JSON-shaped data (objects, arrays, strings, finite
 * numbers, booleans, null), in block style with keys in insertion order.
 *
 * Why not js-yaml or yaml: rendering 40,000 Applications spends much of its
 * time here, and both general-purpose emitters take seconds where this takes
 * a fraction (bench/render prints the figures). The output must mean the same
 * to every reader, Go's YAML 1.1 readers (sigs.k8s.io/yaml in Argo CD and
 * kubectl) included, so strings are written plain only when nothing can take
 * them for anything but a string, multi-line strings as literal blocks when
 * that is exact, and everything else as a JSON string, which is a valid YAML
 * double-quoted scalar once the characters YAML forbids raw are escaped too.
 */

import { isEmptyRecord } from '../is-empty-record.js';

// Plain when starting with a letter, `_` or `/` and made of these characters...
const plainString = /^[A-Za-z_/][A-Za-z0-9_./@=:+, -]*$/;
// ...unless they end or start something in YAML (`: `, ` #`) or could be trimmed.
const plainBreakers = /: |:$| #| $|,$/;
// Plain too: digit-first words such as `50Gi`, `15d`, `3m` that hold a letter
// no number syntax (exponent, hex, octal, binary prefix) uses.
const plainDigitWord = /^(?!0[xXoObB])[0-9][0-9A-Za-z.-]*$/;
const nonNumericLetter = /[A-DF-NP-WYZa-df-np-wyz]/;
// YAML 1.1 booleans and nulls, which Go's YAML libraries still honour.
const reserved = new Set(
  ['y', 'yes', 'n', 'no', 'true', 'false', 'on', 'off', 'null', '~'].flatMap((w) => [w, w.toUpperCase(), w[0]!.toUpperCase() + w.slice(1)]),
);
// JSON leaves these raw; YAML forbids them unescaped (DEL, C1 controls,
// U+FFFE/U+FFFF), or YAML 1.1 reads them as line breaks (NEL, U+2028/9), or
// a reader may drop them (BOM).
const unprintable = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;
const unprintableTest = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/;
// What a literal block cannot hold exactly: C0 controls but tab and newline,
// the characters above, lone surrogates; and a trailing tab or space before
// a line break only survives in a block when nothing reader-specific trims it.
const notForBlock =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding the C0 controls a literal block cannot hold is this pattern's purpose.
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|[ \t]\n|[ \t]$/;
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// Keys longer than this are written as explicit `? key` entries (YAML limits implicit keys to 1024 characters).
const MAX_IMPLICIT_KEY = 1000;

// Most scalars cached per stream (see EmitCache); short ones only, up to this length.
const MAX_CACHED = 50_000;
const MAX_CACHED_LENGTH = 200;

/**
 * What emitting keeps between the documents of one stream (or one document):
 * the text of frozen subtrees already emitted, by indentation (a `-` before
 * it when it starts after a dash), as the renderer shares them between
 * Applications; and the YAML form of strings, which repeat across thousands
 * of Applications (bounded).
 */
export interface EmitCache {
  frozenText: WeakMap<object, Map<string, string>>;
  scalars: Map<string, string>;
}

export function createEmitCache(): EmitCache {
  return { frozenText: new WeakMap(), scalars: new Map() };
}

function quote(value: string): string {
  const json = JSON.stringify(value);
  return unprintableTest.test(json) ? json.replace(unprintable, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

function isPlain(value: string): boolean {
  if (plainString.test(value)) return !plainBreakers.test(value) && !reserved.has(value);
  return plainDigitWord.test(value) && nonNumericLetter.test(value);
}

function stringText(value: string): string {
  return isPlain(value) ? value : quote(value);
}

function emitString(value: string, scalars: Map<string, string>): string {
  let text = scalars.get(value);
  if (text !== undefined) return text;
  text = stringText(value);
  if (value.length <= MAX_CACHED_LENGTH) {
    if (scalars.size >= MAX_CACHED) scalars.clear();
    scalars.set(value, text);
  }
  return text;
}

/** A scalar as YAML text (one line). */
export function emitScalar(value: string | number | boolean | null): string {
  if (typeof value === 'string') return stringText(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot emit ${value} as YAML`);
    return String(value);
  }
  if (value === null) return 'null';
  return value ? 'true' : 'false';
}

/**
 * A multi-line string as a literal block (`|`), the lines indented by
 * `indent`, which is two spaces deeper than the key or dash it follows;
 * undefined when a block would not read back exactly.
 */
function literalBlock(value: string, indent: string): string | undefined {
  if (!value.includes('\n') || notForBlock.test(value) || loneSurrogate.test(value)) return undefined;
  let chomp = '-';
  let body = value;
  if (value.endsWith('\n')) {
    chomp = value.endsWith('\n\n') || value === '\n' ? '+' : '';
    body = value.slice(0, -1);
  }
  // An explicit indentation indicator (relative to the parent's column) when
  // the first line starts with a space or is empty: nothing to detect it from.
  const indicator = body[0] === ' ' || body[0] === '\n' || body === '' ? '2' : '';
  let text = `|${indicator}${chomp}`;
  for (const line of body.split('\n')) text += line === '' ? '\n' : `\n${indent}${line}`;
  return text;
}

function isEmptyCollection(value: object): boolean {
  return Array.isArray(value) ? value.length === 0 : isEmptyRecord(value);
}

/** Text of a value that fits after `key: ` or `- ` (no trailing newline), or undefined for a nested collection. */
function inlineOf(value: unknown, childIndent: string, scalars: Map<string, string>): string | undefined {
  switch (typeof value) {
    case 'string':
      if (value.includes('\n')) return literalBlock(value, childIndent) ?? quote(value);
      return emitString(value, scalars);
    case 'number':
    case 'boolean':
      return emitScalar(value);
    case 'object':
      if (value === null) return 'null';
      if (isEmptyCollection(value)) return Array.isArray(value) ? '[]' : '{}';
      return undefined;
    default:
      // undefined inside arrays, as JSON.stringify writes it
      return 'null';
  }
}

/**
 * Appends the block form of a non-empty collection to `out`, every line
 * starting with `indent` except the first, which the caller has already
 * started (after `- `) when `inline` is set. One piece per line goes to an
 * array joined once per document (measured fastest: one string for the whole
 * document builds ropes, a piece per token makes joins long).
 */
function emitCollection(out: string[], value: object, indent: string, inline: boolean, cache: EmitCache): void {
  // A frozen subtree cannot change: its text at a given indentation is made once
  // (the renderer freezes what many Applications share, such as sync policies).
  if (Object.isFrozen(value)) {
    const key = inline ? `-${indent}` : indent;
    let byIndent = cache.frozenText.get(value);
    let text = byIndent?.get(key);
    if (text === undefined) {
      const parts: string[] = [];
      emitMutable(parts, value, indent, inline, cache);
      text = parts.join('');
      if (!byIndent) cache.frozenText.set(value, (byIndent = new Map()));
      byIndent.set(key, text);
    }
    out.push(text);
    return;
  }
  emitMutable(out, value, indent, inline, cache);
}

function emitMutable(out: string[], value: object, indent: string, inline: boolean, cache: EmitCache): void {
  const { scalars } = cache;
  let first = inline;
  const childIndent = `${indent}  `;
  if (Array.isArray(value)) {
    const dash = `${indent}- `;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const lead = first ? '- ' : dash;
      first = false;
      const line = inlineOf(item, childIndent, scalars);
      if (line !== undefined) out.push(`${lead + line}\n`);
      else {
        out.push(lead);
        emitCollection(out, item as object, childIndent, true, cache);
      }
    }
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if (item === undefined) continue;
    let k = emitString(key, scalars);
    if (k.length > MAX_IMPLICIT_KEY) k = `? ${k}\n${indent}`;
    const lead = first ? k : indent + k;
    first = false;
    const line = inlineOf(item, childIndent, scalars);
    if (line !== undefined) out.push(`${lead}: ${line}\n`);
    else {
      out.push(`${lead}:\n`);
      emitCollection(out, item as object, Array.isArray(item) ? indent : childIndent, false, cache);
    }
  }
}

/** One YAML document (no `---`), ending with a newline; `cache` is shared by the documents of a stream. */
export function emitYaml(value: unknown, cache: EmitCache = createEmitCache()): string {
  if (value !== null && typeof value === 'object' && !isEmptyCollection(value)) {
    const out: string[] = [];
    emitCollection(out, value, '', false, cache);
    return out.join('');
  }
  // A top-level string stays on one line: block scalars need a parent to indent from.
  const line = typeof value === 'string' ? stringText(value) : (inlineOf(value, '  ', cache.scalars) ?? 'null');
  return `${line}\n`;
}

/**
 * A YAML stream (each document starts with `---`) as flat strings of about a
 * megabyte, in order. Strings that size live outside V8's young generation,
 * where 40,000 small document strings kept to the end were copied by every
 * scavenge; and a caller can write them out without joining 80 MB first.
 */
export function emitYamlChunks(values: Iterable<unknown>): string[] {
  const chunks: string[] = [];
  const cache = createEmitCache();
  let parts: string[] = [];
  let size = 0;
  for (const value of values) {
    const doc = emitYaml(value, cache);
    parts.push('---\n', doc);
    size += doc.length;
    if (size >= 1 << 20) {
      chunks.push(parts.join(''));
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) chunks.push(parts.join(''));
  return chunks;
}

/** A YAML stream: each document starts with `---`. */
export function emitYamlStream(values: Iterable<unknown>): string {
  return emitYamlChunks(values).join('');
}
