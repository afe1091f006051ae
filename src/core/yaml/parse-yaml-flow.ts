import { BAIL, readQuoted, resolvePlain } from './parse-yaml-scalar.js';

/**
 * One-line flow collections for the block parser (parse-yaml-block.ts):
 * `[a, b]`, `{ group: "*", kind: Secret }`, `{ environments: [prod] }`.
 * The subset: items that are plain words (no spaces, no `:` or `#`), quoted
 * scalars without escapes or nested flow collections; map keys that are
 * plain words reading as strings, each once; no empty entries, no trailing
 * comma, no comments inside. Anything else throws BAIL, and the positional
 * parse reads the file. test/core/parse-yaml-block.test.ts holds the two to
 * each other.
 */

// A plain scalar inside a flow collection: `-` starts one only before a character of the word.
const flowPlain = /(?:[A-Za-z0-9_./=+~]|-(?=[A-Za-z0-9_./=+~-]))[A-Za-z0-9_./=+~-]*/y;
// A flow map key: a plain word followed by `:` and a space.
const flowKey = /([A-Za-z_][A-Za-z0-9_./-]*): /y;
// Deeper nesting is left to the positional parse rather than to the stack.
const maxDepth = 32;

interface Cursor {
  text: string;
  at: number;
}

function skipSpaces(c: Cursor): void {
  while (c.text.charCodeAt(c.at) === 32) c.at++;
}

function readNode(c: Cursor, depth: number): unknown {
  const first = c.text[c.at];
  if (first === '[' || first === '{') {
    if (depth >= maxDepth) throw BAIL;
    return first === '[' ? readSeq(c, depth + 1) : readMap(c, depth + 1);
  }
  if (first === '"' || first === "'") {
    const quoted = readQuoted(c.text.slice(c.at));
    c.at += quoted.end;
    return quoted.value;
  }
  flowPlain.lastIndex = c.at;
  const m = flowPlain.exec(c.text);
  if (!m) throw BAIL;
  c.at += m[0].length;
  return resolvePlain(m[0]);
}

/** After an entry: `,` and the next entry, or the closing bracket (true). */
function readSeparator(c: Cursor, close: string): boolean {
  skipSpaces(c);
  const ch = c.text[c.at];
  c.at++;
  if (ch === close) return true;
  if (ch !== ',') throw BAIL;
  skipSpaces(c);
  // A trailing comma or an empty entry.
  if (c.text[c.at] === ',' || c.text[c.at] === close) throw BAIL;
  return false;
}

function readSeq(c: Cursor, depth: number): unknown[] {
  const out: unknown[] = [];
  c.at++;
  skipSpaces(c);
  if (c.text[c.at] === ']') {
    c.at++;
    return out;
  }
  do out.push(readNode(c, depth));
  while (!readSeparator(c, ']'));
  return out;
}

function readMap(c: Cursor, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  c.at++;
  skipSpaces(c);
  if (c.text[c.at] === '}') {
    c.at++;
    return out;
  }
  do {
    flowKey.lastIndex = c.at;
    const m = flowKey.exec(c.text);
    if (!m) throw BAIL;
    const key = resolvePlain(m[1]!);
    // `null: x` or `true: x` is not a string key, which the positional parse refuses.
    if (typeof key !== 'string' || key === '__proto__' || Object.hasOwn(out, key)) throw BAIL;
    c.at += m[0].length;
    skipSpaces(c);
    out[key] = readNode(c, depth);
  } while (!readSeparator(c, '}'));
  return out;
}

/** The flow collection at the start of `text` (`[` or `{`) and the offset just past it. */
export function readFlow(text: string): { value: unknown; end: number } {
  const c: Cursor = { text, at: 0 };
  const value = readNode(c, 0);
  return { value, end: c.at };
}
