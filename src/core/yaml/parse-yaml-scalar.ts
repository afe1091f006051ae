/**
 * The scalars of the block parser's subset (parse-yaml-block.ts): plain
 * scalars as the YAML 1.2 core schema resolves them and one-line quoted
 * scalars without escapes. Anything else throws {@link BAIL}, which sends
 * the file to the positional parse.
 */

/** Thrown when the text leaves the subset; caught by parseBlockYaml. */
export class Bail extends Error {}
export const BAIL = new Bail();

// Only these first characters can start a core-schema null, boolean or number.
const mayResolve = /^[~nNtTfF0-9+.-]/;

/**
 * A plain scalar as the YAML 1.2 core schema resolves it (YAML 1.2.2
 * section 10.3.2, the table `yaml` implements): null, boolean, integer,
 * float, else the text. Written out rather than taken from `yaml`, which
 * the CLI loads only when a file needs the positional parse;
 * test/core/parse-yaml-block.test.ts holds the two to each other.
 */
export function resolvePlain(text: string): unknown {
  if (!mayResolve.test(text)) return text;
  if (/^(?:~|[Nn]ull|NULL)$/.test(text)) return null;
  if (/^(?:[Tt]rue|TRUE)$/.test(text)) return true;
  if (/^(?:[Ff]alse|FALSE)$/.test(text)) return false;
  let value: number;
  if (/^0o[0-7]+$/.test(text)) value = parseInt(text.slice(2), 8);
  else if (/^0x[0-9a-fA-F]+$/.test(text)) value = parseInt(text.slice(2), 16);
  else if (/^[-+]?[0-9]+$/.test(text)) value = (text[0] === '-' ? -1 : 1) * parseInt(text.replace(/^[-+]/, ''), 10);
  else if (/^[-+]?\.(?:inf|Inf|INF)$/.test(text)) return text[0] === '-' ? -Infinity : Infinity;
  else if (/^\.(?:nan|NaN|NAN)$/.test(text)) return NaN;
  else if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(text)) value = parseFloat(text);
  else return text;
  // The positional parse refuses an overflow to Infinity and an integer past 2^53: let it say so.
  if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) throw BAIL;
  return value;
}

/**
 * A quoted scalar at the start of `text`, on one line and (double-quoted)
 * without escapes: its value and the offset just past the closing quote.
 */
export function readQuoted(text: string): { value: string; end: number } {
  if (text[0] === '"') {
    const end = text.indexOf('"', 1);
    if (end < 0) throw BAIL;
    const value = text.slice(1, end);
    if (value.includes('\\')) throw BAIL;
    return { value, end: end + 1 };
  }
  let value = '';
  let i = 1;
  for (;;) {
    const end = text.indexOf("'", i);
    if (end < 0) throw BAIL;
    value += text.slice(i, end);
    if (text[end + 1] !== "'") return { value, end: end + 1 };
    value += "'";
    i = end + 2;
  }
}

/** What may follow a node on its line: nothing, spaces, or spaces and a comment. */
export function checkLineEnd(rest: string): void {
  const trimmed = rest.trimStart();
  if (trimmed !== '' && !(trimmed[0] === '#' && trimmed.length < rest.length)) throw BAIL;
}
