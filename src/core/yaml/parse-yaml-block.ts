/**
 * A parser for the plain block YAML that platform repos are made of (maps,
 * lists, plain and simply quoted one-line scalars, one-line flow collections,
 * literal block scalars, comments), several times faster than a general
 * parser on a repo of thousands of files, and without loading one. It gives
 * exactly what the positional parse (eemeli `yaml`, core schema) gives, or
 * undefined for anything outside that subset (multi-line flow collections,
 * folded or kept block scalars, multi-line or escaped scalars, anchors, tags,
 * several documents, tabs, carriage returns, non-ASCII text, duplicate keys,
 * keys that are not strings, numbers that do not survive reading, anything
 * malformed), which the caller then parses the positional way, where such
 * things are refused. test/core/parse-yaml-block.test.ts holds the two to
 * each other.
 */
import { readFlow } from './parse-yaml-flow.js';
import { BAIL, Bail, checkLineEnd, readQuoted, resolvePlain } from './parse-yaml-scalar.js';

// Printable ASCII and line feeds only: anything else goes the general way.
const outsideSubset = /[^\x20-\x7e\n]/;
// A key: a plain word (`app.kubernetes.io/name`, `sync-wave`, `_x`) followed by `:` and a space or the end.
const mapEntry = /^([A-Za-z_][A-Za-z0-9_./-]*):(?: +|$)/;
// A literal block scalar's header: `|` or `|-`, then nothing or a comment.
const literalHeader = /^\|(-?)(.*)$/;

interface Line {
  indent: number;
  /** The line without its indentation (and, for the first entry of a list item's map, without `- `). */
  text: string;
  /** Offset in the document of the line's start, and of the next line's. */
  start: number;
  next: number;
}

/** A one-line scalar or flow collection after `key: ` or `- ` (neither empty nor a comment). */
function parseScalar(text: string): unknown {
  const first = text[0]!;
  if (first === '"' || first === "'" || first === '[' || first === '{') {
    const node = first === '[' || first === '{' ? readFlow(text) : readQuoted(text);
    checkLineEnd(text.slice(node.end));
    return node.value;
  }
  // `-`, `?` and `:` start a plain scalar when a non-space follows (`--flag=x`,
  // `-1`); alone or before a space they are a sequence entry, a complex key or a value.
  if ('-?:'.includes(first)) {
    if (text.length === 1 || text[1] === ' ') throw BAIL;
  } else if (',]}#&*!|>%@`'.includes(first)) throw BAIL; // indicators that start something else (or an error)
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
  constructor(
    private readonly text: string,
    private readonly lines: Line[],
  ) {}

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

  /** What follows `key: ` or `- ` on `line`, a node of the map or list at `indent`: a literal block scalar or a one-line node. */
  private parseValue(rest: string, line: Line, indent: number): unknown {
    const value = rest[0] === '|' ? this.parseLiteral(rest, line, indent) : parseScalar(rest);
    this.checkNoDeeper(indent);
    return value;
  }

  /**
   * A literal block scalar (`|` or `|-`) whose header ends `line`, for a node
   * of the map or list at `indent`: the lines after it indented as its first
   * line is (deeper than `indent`), with empty lines between them. Leading
   * empty lines, lines of spaces alone, an empty scalar and a last line
   * without a line break are left to the positional parse.
   */
  private parseLiteral(header: string, line: Line, indent: number): string {
    const [, strip, after] = literalHeader.exec(header)!;
    checkLineEnd(after!);
    const { text } = this;
    const content: string[] = [];
    let column = -1;
    let pos = line.next;
    let empty = 0;
    while (pos < text.length) {
      const end = text.indexOf('\n', pos);
      if (end < 0) throw BAIL;
      let first = pos;
      while (text.charCodeAt(first) === 32) first++;
      if (first === end) {
        if (end > pos || column < 0) throw BAIL;
        empty++;
      } else if (column < 0 || first - pos >= column) {
        if (column < 0) {
          column = first - pos;
          if (column <= indent) throw BAIL;
        }
        for (; empty > 0; empty--) content.push('');
        content.push(text.slice(pos + column, end));
      } else break;
      pos = end + 1;
    }
    if (column < 0) throw BAIL;
    while (this.i < this.lines.length && this.lines[this.i]!.start < pos) this.i++;
    return strip ? content.join('\n') : `${content.join('\n')}\n`;
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
      else out[key] = this.parseValue(rest, line, indent);
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
        this.lines[this.i] = { ...line, indent: column, text };
        out.push(this.parseMap(column));
      } else {
        this.i++;
        out.push(this.parseValue(text, line, indent));
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
      lines.push({ indent: indent - start, text: body, start, next: end + 1 });
    }
    start = end + 1;
  }
  try {
    return { data: new BlockParser(text, lines).parseDocument() };
  } catch (error) {
    if (error instanceof Bail) return undefined;
    throw error;
  }
}
