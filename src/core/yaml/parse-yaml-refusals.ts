import { isScalar, visit, type Document } from 'yaml';
import { createError, GitopsError, isGitopsError, type Problem } from '../errors.js';

/**
 * What gitops-k8s refuses in a YAML file although some YAML reader accepts
 * it: constructs that YAML readers (ours included: the block parser and
 * eemeli `yaml`) read differently, so that one file could mean two things.
 * Refusing them keeps one meaning whichever parser reads a file.
 */

/** 1-based line of `offset`, counting `\n` (a `\r\n` ends a line once). */
function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * Refuses, from the text alone, what YAML readers disagree on before
 * parsing: a bare carriage return (a line break to YAML 1.2 and js-yaml,
 * part of the text to `yaml`) and directives (`%YAML 1.1` switches `yaml`
 * to YAML 1.1, where `yes` is true; others ignore it).
 */
export function refuseAmbiguousText(file: string, text: string): void {
  const problems: Problem[] = [];
  const bareCr = /\r(?!\n)/.exec(text);
  if (bareCr) {
    problems.push({
      code: 'GK_INVALID_YAML',
      file,
      line: lineOfOffset(text, bareCr.index),
      message:
        'a line ends with a bare carriage return (\\r, classic Mac OS line endings), which YAML readers split differently; ' +
        'save the file with \\n (or \\r\\n) line endings',
    });
  }
  for (const directive of text.matchAll(/^%\S*/gm)) {
    problems.push({
      code: 'GK_INVALID_YAML',
      file,
      line: lineOfOffset(text, directive.index),
      message: `the directive ${directive[0]} is not supported: files are read as YAML 1.2 (core schema); remove it`,
    });
  }
  if (problems.length > 0) throw new GitopsError(problems);
}

/** What a non-string key reads as, in words, for the message. */
function describeKey(value: unknown): string {
  if (value === null) return 'null (`~`, `null` or nothing before the colon)';
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (typeof value === 'number') return `the number ${value}`;
  return 'a list or a map';
}

const infinityLiteral = /^[-+]?\.(?:inf|Inf|INF)$/;
const integerLiteral = /^[-+]?(?:[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)$/;

/**
 * Refuses, in a parsed document, keys that are not strings (each reader
 * turns `~: x` or `1: x` into a different text key) and numbers that do not
 * survive reading: a float literal that overflows to Infinity, an integer
 * beyond 2^53 that would silently change.
 */
export function refuseAmbiguousNodes(file: string, doc: Document, lineAt: (offset: number) => number): void {
  const problems: Problem[] = [];
  const refuse = (offset: number | undefined, message: string): void => {
    problems.push({ code: 'GK_INVALID_YAML', file, line: offset === undefined ? undefined : lineAt(offset), message });
  };
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key as { range?: [number, number, number]; value?: unknown } | null;
      // The merge key `<<` reads as a symbol: it merges, it is never a key of the data.
      if (isScalar(key) && (typeof key.value === 'string' || typeof key.value === 'symbol')) return;
      const value = isScalar(key) ? key.value : key === null ? null : undefined;
      const source = isScalar(key) ? ` (${JSON.stringify(key.source ?? '')})` : '';
      refuse(
        key?.range?.[0] ?? (pair.value as { range?: [number] } | null)?.range?.[0],
        `a key${source} reads as ${describeKey(value)}, which YAML readers turn into different text; keys must be strings: quote it`,
      );
    },
    Scalar(_, node) {
      if (typeof node.value !== 'number' || node.type !== 'PLAIN') return;
      const source = node.source ?? '';
      if (!Number.isFinite(node.value) && !Number.isNaN(node.value) && !infinityLiteral.test(source)) {
        refuse(node.range?.[0], `the number ${source} is too large for a number and would read as infinity; quote it if it is text`);
      } else if (!Number.isSafeInteger(node.value) && integerLiteral.test(source)) {
        refuse(node.range?.[0], `the integer ${source} is beyond 2^53 and would not be kept exactly; quote it if it is text`);
      }
    },
  });
  if (problems.length > 0) throw new GitopsError(problems);
}

// Go template actions that Handlebars never writes: trim markers, `.Values`, `$var`, control words (not `else`,
// which Handlebars has too), Helm's functions.
const goTemplateAction = /\{\{-|-\}\}|\{\{\s*(?:\.[A-Za-z]|\$|(?:if|end|range|with|define|template|block|include|toYaml|tpl|required)\b)/;

/**
 * Runs `read`; when the file fails as YAML and looks like an unrendered
 * Helm (Go) template, replaces the parser's messages with one that says so.
 */
export function explainGoTemplate<T>(file: string, text: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!isGitopsError(error) || !error.problems.some((p) => p.code === 'GK_INVALID_YAML')) throw error;
    const action = goTemplateAction.exec(text);
    if (!action) throw error;
    const line = lineOfOffset(text, action.index);
    const end = text.indexOf('\n', action.index);
    const snippet = text
      .slice(text.lastIndexOf('\n', action.index) + 1, end < 0 ? undefined : end)
      .trim()
      .slice(0, 60);
    throw createError(
      'GK_INVALID_YAML',
      `looks like a Helm (Go) template (${snippet}), not YAML: gitops-k8s files are plain YAML ` +
        'whose strings may hold Handlebars expressions such as "{{vars.x}}"; keep chart templates in the chart',
      { file, line },
      { cause: error },
    );
  }
}
