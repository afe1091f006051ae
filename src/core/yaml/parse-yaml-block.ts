/**
 * A parser for the plain block YAML that platform repos are made of (maps,
 * lists, plain and simply quoted one-line scalars, comments), several times
 * faster than a general parser on a repo of thousands of files. It gives
 * exactly what the positional parse (eemeli `yaml`, core schema) gives, or
 * undefined for anything outside that subset (flow collections, block
 * scalars, multi-line or escaped scalars, anchors, tags, several documents,
 * tabs, carriage returns, non-ASCII text, duplicate keys, keys that are not
 * strings, numbers that do not survive reading, anything malformed), which
 * the caller then parses the positional way, where such things are refused.
 * test/core/parse-yaml-block.test.ts holds the two to each other.
 */

// Printable ASCII and line feeds only: anything else goes the general way.
const outsideSubset = /[^\x20-\x7e\n]/;
// A key: a plain word (`app.kubernetes.io/name`, `sync-wave`, `_x`) followed by `:` and a space or the end.
const mapEntry = /^([A-Za-z_][A-Za-z0-9_./-]*):(?: +|$)/;

interface Line {
  indent: number;
  /** The line without its indentation (and, for the first entry of a list item's map, without `- `). */
  text: string;
}

class Bail extends Error {}
const BAIL = new Bail();

/**
 * A plain scalar as the YAML 1.2 core schema resolves it (YAML 1.2.2
 * section 10.3.2, the table `yaml` implements): null, boolean, integer,
 * float, else the text. Written out rather than taken from `yaml`, which
 * the CLI loads only when a file needs the positional parse;
 * test/core/parse-yaml-block.test.ts holds the two to each other.
 */
function resolvePlain(text: string): unknown {
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

// Only these first characters can start a core-schema null, boolean or number.
const mayResolve = /^[~nNtTfF0-9+.-]/;

/** What follows a closing quote: nothing, spaces, or spaces and a comment. */
function checkAfterQuote(rest: string): void {
  const trimmed = rest.trimStart();
  if (trimmed !== '' && !(trimmed[0] === '#' && trimmed.length < rest.length)) throw BAIL;
}

/** A one-line scalar after `key: ` or `- ` (neither empty nor a comment). */
function parseScalar(text: string): unknown {
  const first = text[0]!;
  if (first === '"') {
    const end = text.indexOf('"', 1);
    if (end < 0) throw BAIL;
    const body = text.slice(1, end);
    if (body.includes('\\')) throw BAIL;
    checkAfterQuote(text.slice(end + 1));
    return body;
  }
  if (first === "'") {
    let body = '';
    let i = 1;
    for (;;) {
      const end = text.indexOf("'", i);
      if (end < 0) throw BAIL;
      body += text.slice(i, end);
      if (text[end + 1] === "'") {
        body += "'";
        i = end + 2;
      } else {
        checkAfterQuote(text.slice(end + 1));
        return body;
      }
    }
  }
  // `-`, `?` and `:` start a plain scalar when a non-space follows (`--flag=x`,
  // `-1`); alone or before a space they are a sequence entry, a complex key or a value.
  if ('-?:'.includes(first)) {
    if (text.length === 1 || text[1] === ' ') throw BAIL;
  } else if (',[]{}#&*!|>%@`'.includes(first)) throw BAIL; // indicators that start something else (or an error)
  const comment = text.indexOf(' #');
  const plain = (comment < 0 ? text : text.slice(0, comment)).trimEnd();
  if (plain.includes(': ') || plain.endsWith(':')) throw BAIL;
  return resolvePlain(plain);
}

function isListItem(text: string): boolean {
  return text[0] === '-' && (text.length === 1 || text[1] === ' ');
}

class BlockParser {
  private i = 0;
  constructor(private readonly lines: Line[]) {}

  parseDocument(): unknown {
    if (this.lines.length === 0) return null;
    const first = this.lines[0]!;
    const value = isListItem(first.text) ? this.parseList(first.indent) : this.parseMap(first.indent);
    if (this.i < this.lines.length) throw BAIL;
    return value;
  }

  /** The block node of a key or item with nothing after it on its line: deeper lines, a list at the same indentation under a key, or null. */
  private parseNested(parentIndent: number, underKey: boolean): unknown {
    const next = this.lines[this.i];
    if (!next || next.indent < parentIndent) return null;
    if (next.indent === parentIndent) return underKey && isListItem(next.text) ? this.parseList(parentIndent) : null;
    return isListItem(next.text) ? this.parseList(next.indent) : this.parseMap(next.indent);
  }

  /** After a one-line scalar, a deeper line would continue it (a multi-line scalar) or be an error. */
  private checkNoDeeper(indent: number): void {
    const next = this.lines[this.i];
    if (next && next.indent > indent) throw BAIL;
  }

  private parseMap(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.i < this.lines.length) {
      const line = this.lines[this.i]!;
      if (line.indent < indent) break;
      if (line.indent > indent || isListItem(line.text)) throw BAIL;
      const m = mapEntry.exec(line.text);
      if (!m) throw BAIL;
      const key = resolvePlain(m[1]!);
      // `null:` or `true:`: not a string, which the positional parse refuses.
      if (typeof key !== 'string') throw BAIL;
      if (key === '__proto__' || Object.hasOwn(out, key)) throw BAIL;
      const rest = line.text.slice(m[0].length);
      this.i++;
      if (rest === '' || rest[0] === '#') out[key] = this.parseNested(indent, true);
      else {
        out[key] = parseScalar(rest);
        this.checkNoDeeper(indent);
      }
    }
    return out;
  }

  private parseList(indent: number): unknown[] {
    const out: unknown[] = [];
    while (this.i < this.lines.length) {
      const line = this.lines[this.i]!;
      if (line.indent < indent) break;
      if (line.indent > indent) throw BAIL;
      if (!isListItem(line.text)) break;
      const after = line.text.slice(1);
      const text = after.trimStart();
      if (text === '' || text[0] === '#') {
        this.i++;
        out.push(this.parseNested(indent, false));
      } else if (isListItem(text)) {
        throw BAIL;
      } else if (mapEntry.test(text)) {
        // `- key: value`: a map whose entries sit at the column of its first key.
        const column = indent + 1 + (after.length - text.length);
        this.lines[this.i] = { indent: column, text };
        out.push(this.parseMap(column));
      } else {
        this.i++;
        out.push(parseScalar(text));
        this.checkNoDeeper(indent);
      }
    }
    return out;
  }
}

/**
 * The data of a one-document YAML text in the block subset, as the
 * positional parse reads it; undefined when the text is outside the subset.
 */
export function parseBlockYaml(text: string): { data: unknown } | undefined {
  if (outsideSubset.test(text)) return undefined;
  const lines: Line[] = [];
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let indent = start;
    while (indent < end && text.charCodeAt(indent) === 32) indent++;
    if (indent < end && text.charCodeAt(indent) !== 35) {
      const body = text.slice(indent, end).trimEnd();
      // Document markers and directives: the general way.
      if (indent === start && (body.startsWith('---') || body.startsWith('...') || body[0] === '%')) return undefined;
      lines.push({ indent: indent - start, text: body });
    }
    start = end + 1;
  }
  try {
    return { data: new BlockParser(lines).parseDocument() };
  } catch (error) {
    if (error instanceof Bail) return undefined;
    throw error;
  }
}
