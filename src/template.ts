import type Handlebars from 'handlebars';
import { createRequire } from 'node:module';
import { closest } from './did-you-mean.js';
import { isPlainObject } from './merge.js';

/**
 * Handlebars over one context, strict: an unknown variable is an error, not
 * an empty string. No HTML escaping (these are YAML values, not pages), no
 * helpers beyond the built-in block helpers, and none from the repository:
 * templates come from Git and must not run code.
 */
// Loaded on first use: most templates are plain `text {{variable}} text`,
// rendered below without Handlebars, and `generate` starts faster without it.
let hbsInstance: typeof Handlebars | undefined;
function handlebars(): typeof Handlebars {
  if (!hbsInstance) {
    hbsInstance = (createRequire(import.meta.url)('handlebars') as typeof Handlebars).create();
    hbsInstance.unregisterHelper('log');
  }
  return hbsInstance;
}

const knownHelpers = { if: true, unless: true, each: true, with: true, lookup: true } as const;
const compiled = new Map<string, CompiledTemplate>();
const singleVariable = /^\{\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*\}\}$/;

/** The template context: `cluster`, `provider`, `namespace`, `app`, `repo`, `vars`. */
export type TemplateContext = Record<string, unknown>;

/** A template failure, with the message users see. */
export class TemplateError extends Error {}

function lookupPath(context: unknown, parts: readonly string[]): { found: boolean; value?: unknown; missingAt?: number } {
  let node: unknown = context;
  for (let i = 0; i < parts.length; i++) {
    if (!isPlainObject(node) || !Object.prototype.hasOwnProperty.call(node, parts[i]!)) return { found: false, missingAt: i };
    node = node[parts[i]!];
  }
  return { found: true, value: node };
}

function unknownVariable(context: unknown, parts: readonly string[], missingAt: number): TemplateError {
  const parent = lookupPath(context, parts.slice(0, missingAt)).value;
  const known = isPlainObject(parent) ? Object.keys(parent) : [];
  const guess = closest(parts[missingAt]!, known);
  const hint =
    guess !== undefined
      ? ` (did you mean "${[...parts.slice(0, missingAt), guess].join('.')}"?)`
      : known.length > 0 && missingAt > 0
        ? ` (${parts.slice(0, missingAt).join('.')} has: ${known.join(', ')})`
        : '';
  return new TemplateError(`unknown template variable "${parts.join('.')}"${hint}`);
}

// The variables used outside blocks, checked before rendering so that the
// error names the full path (Handlebars' own strict error names one segment).
function topLevelPaths(source: string): string[][] {
  let ast: hbs.AST.Program;
  try {
    ast = handlebars().parse(source);
  } catch (error) {
    throw new TemplateError(`template does not parse: ${(error as Error).message.split('\n').filter(Boolean).slice(-1)[0]} (for a literal {{, as in values a chart passes to tpl, write \\{{)`);
  }
  const paths: string[][] = [];
  const collect = (expr: hbs.AST.Expression | undefined): void => {
    if (!expr || expr.type !== 'PathExpression') return;
    const path = expr as hbs.AST.PathExpression;
    if (path.data || path.depth > 0 || path.parts.length === 0 || (path as { this_?: boolean }).this_) return;
    if (path.parts.length === 1 && knownHelpers[path.parts[0] as keyof typeof knownHelpers]) return;
    paths.push(path.parts);
  };
  for (const statement of ast.body) {
    if (statement.type === 'MustacheStatement') {
      const m = statement as hbs.AST.MustacheStatement;
      if (m.params.length === 0) collect(m.path);
      else m.params.forEach(collect);
    } else if (statement.type === 'BlockStatement') {
      (statement as hbs.AST.BlockStatement).params.forEach(collect);
    }
  }
  return paths;
}

interface CompiledTemplate {
  /** Handlebars' renderer; absent for a simple template (see `pieces`). */
  render?: Handlebars.TemplateDelegate;
  paths: string[][];
  /**
   * A simple template, only text and `{{path}}` mustaches: text at even
   * indexes, the index in `paths` of each variable at odd ones.
   */
  pieces?: (string | number)[];
}

// `{{path}}` where the path is plain names (no `this`, `../`, `@data`, literals or helpers).
const simpleMustache = /\{\{\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\s*\}\}/g;
const notSimpleName = new Set(['true', 'false', 'null', 'undefined', 'this', 'else', 'log', ...Object.keys(knownHelpers)]);

/**
 * Splits a template made only of text and `{{path}}` mustaches, which
 * Handlebars (strict, no escaping, no helpers) renders as the text with each
 * value in place, `''` for null; undefined for anything else (blocks,
 * comments, triple or escaped mustaches, whitespace control, braces or
 * backslashes in the text), which Handlebars renders.
 */
function simpleTemplate(source: string): { paths: string[][]; pieces: (string | number)[] } | undefined {
  const paths: string[][] = [];
  const pieces: (string | number)[] = [];
  let last = 0;
  for (const m of source.matchAll(simpleMustache)) {
    const text = source.slice(last, m.index);
    if (/[{}\\]/.test(text)) return undefined;
    const parts = m[1]!.split('.');
    if (notSimpleName.has(parts[0]!)) return undefined;
    pieces.push(text, paths.length);
    paths.push(parts);
    last = m.index + m[0].length;
  }
  const tail = source.slice(last);
  if (/[{}\\]/.test(tail)) return undefined;
  pieces.push(tail);
  return { paths, pieces };
}

function compile(source: string): CompiledTemplate {
  let entry = compiled.get(source);
  if (entry) return entry;
  const simple = simpleTemplate(source);
  if (simple) {
    if (compiled.size >= 20_000) compiled.clear();
    compiled.set(source, simple);
    return simple;
  }
  const paths = topLevelPaths(source);
  try {
    entry = { render: handlebars().compile(source, { strict: true, noEscape: true, knownHelpers, knownHelpersOnly: true }), paths };
  } catch (error) {
    throw new TemplateError(`template does not compile: ${(error as Error).message.split('\n')[0]}`);
  }
  // Bounded so that a long-running server seeing many commits does not grow without end.
  if (compiled.size >= 20_000) compiled.clear();
  compiled.set(source, entry);
  return entry;
}

/**
 * Renders one string. A string that is exactly one `{{variable}}` keeps the
 * variable's type (a boolean stays a boolean, a map a map), so a provider's
 * `controlPlaneMetrics: false` can switch a chart's boolean.
 */
export function renderString(source: string, context: TemplateContext): unknown {
  if (!source.includes('{{')) return source;
  const single = singleVariable.exec(source);
  if (single) {
    const parts = single[1]!.split('.');
    if (!knownHelpers[parts[0] as keyof typeof knownHelpers]) {
      const found = lookupPath(context, parts);
      if (!found.found) throw unknownVariable(context, parts, found.missingAt!);
      if (found.value === null || found.value === undefined) return null;
      return found.value;
    }
  }
  const template = compile(source);
  const values: unknown[] = [];
  for (const parts of template.paths) {
    const found = lookupPath(context, parts);
    if (!found.found) throw unknownVariable(context, parts, found.missingAt!);
    values.push(found.value);
  }
  if (template.pieces) {
    let text = '';
    for (let i = 0; i < template.pieces.length; i++) {
      const piece = template.pieces[i]!;
      if (typeof piece === 'string') text += piece;
      else {
        const value = values[piece];
        if (value !== null && typeof value === 'object') {
          const name = template.paths[piece]!.join('.');
          throw new TemplateError(`"${name}" is ${Array.isArray(value) ? 'a list' : 'a map'}: use it alone as "{{${name}}}" to keep it whole, or name one of its fields`);
        }
        if (value !== null && value !== undefined) text += value as string;
      }
    }
    return text;
  }
  try {
    return template.render!(context, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!;
    const missing = /^"([^"]+)" not defined in/.exec(message);
    if (missing) throw new TemplateError(`unknown template variable "${missing[1]}" inside a block`);
    throw new TemplateError(`template failed: ${message}`);
  }
}

/**
 * Renders every string in a value, returning a new value where anything
 * changed. `onError` receives the field path and message of each failure;
 * the failed string is kept as it was so that every error is reported.
 */
export function renderTemplates(
  value: unknown,
  context: TemplateContext,
  onError: (path: (string | number)[], message: string) => void,
  path: (string | number)[] = [],
): unknown {
  // One path array, pushed and popped, copied only for an error.
  return renderInto(value, context, onError, [...path]);
}

// Objects and arrays known to hold no template anywhere inside. Layers share
// their subtrees between the thousands of (app, cluster) merges, and merged
// values are never mutated, so each subtree is searched once.
const templateFree = new WeakSet<object>();

function renderInto(value: unknown, context: TemplateContext, onError: (path: (string | number)[], message: string) => void, path: (string | number)[]): unknown {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    try {
      return renderString(value, context);
    } catch (error) {
      if (error instanceof TemplateError) {
        onError([...path], error.message);
        return value;
      }
      throw error;
    }
  }
  if (value === null || typeof value !== 'object' || templateFree.has(value)) return value;
  let found = false;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      path.push(i);
      const next = renderInto(item, context, onError, path);
      path.pop();
      if (next !== item) (out ??= [...value])[i] = next;
      if (!found && (next !== item || (typeof item === 'object' && item !== null && !templateFree.has(item)) || (typeof item === 'string' && item.includes('{{')))) found = true;
    }
    if (!found) templateFree.add(value);
    return out ?? value;
  }
  if (isPlainObject(value)) {
    let out: Record<string, unknown> | undefined;
    for (const key of Object.keys(value)) {
      const item = value[key];
      path.push(key);
      const next = renderInto(item, context, onError, path);
      path.pop();
      if (next !== item) (out ??= { ...value })[key] = next;
      if (!found && (next !== item || (typeof item === 'object' && item !== null && !templateFree.has(item)) || (typeof item === 'string' && item.includes('{{')))) found = true;
    }
    if (!found) templateFree.add(value);
    return out ?? value;
  }
  return value;
}
