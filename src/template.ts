import type Handlebars from 'handlebars';
import { createRequire } from 'node:module';
import { closest } from './did-you-mean.js';
import { deepFreeze, isPlainObject } from './merge.js';

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

const MISSING = Symbol('missing');

/** The value at a path, or MISSING: lookupPath without an object per call, for the hot paths. */
function valueAt(context: unknown, parts: readonly string[]): unknown {
  let node: unknown = context;
  for (let i = 0; i < parts.length; i++) {
    if (!isPlainObject(node) || !Object.prototype.hasOwnProperty.call(node, parts[i]!)) return MISSING;
    node = node[parts[i]!];
  }
  return node;
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
  /** Handlebars' renderer; absent for a simple template (see `pieces`) and a single variable. */
  render?: Handlebars.TemplateDelegate;
  paths: string[][];
  /** The path of a template that is one `{{variable}}` and nothing else: its value is kept as it is. */
  single?: string[];
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
 * comments, triple or escaped mustaches, whitespace control), which
 * Handlebars renders. Single braces and backslashes in the text are text to
 * Handlebars too (`${ES_PASSWORD}` in a config file), except where they touch
 * a mustache: `{` before one or `}` after one makes a triple mustache, a
 * backslash before one escapes it.
 */
function simpleTemplate(source: string): { paths: string[][]; pieces: (string | number)[] } | undefined {
  const paths: string[][] = [];
  const pieces: (string | number)[] = [];
  let last = 0;
  for (const m of source.matchAll(simpleMustache)) {
    const text = source.slice(last, m.index);
    if (text.includes('{{') || /[{\\]$/.test(text) || (last > 0 && text.startsWith('}'))) return undefined;
    const parts = m[1]!.split('.');
    if (notSimpleName.has(parts[0]!)) return undefined;
    pieces.push(text, paths.length);
    paths.push(parts);
    last = m.index + m[0].length;
  }
  const tail = source.slice(last);
  if (tail.includes('{{') || (last > 0 && tail.startsWith('}'))) return undefined;
  pieces.push(tail);
  return { paths, pieces };
}

function compile(source: string): CompiledTemplate {
  let entry = compiled.get(source);
  if (entry) return entry;
  const single = singleVariable.exec(source);
  if (single) {
    const parts = single[1]!.split('.');
    if (!knownHelpers[parts[0] as keyof typeof knownHelpers]) {
      if (compiled.size >= 20_000) compiled.clear();
      compiled.set(source, (entry = { paths: [parts], single: parts }));
      return entry;
    }
  }
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
  const template = compile(source);
  if (template.single) {
    const value = valueAt(context, template.single);
    if (value === MISSING) throw unknownVariable(context, template.single, lookupPath(context, template.single).missingAt!);
    return value ?? null;
  }
  const values: unknown[] = [];
  for (const parts of template.paths) {
    const value = valueAt(context, parts);
    if (value === MISSING) throw unknownVariable(context, parts, lookupPath(context, parts).missingAt!);
    values.push(value);
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
  return renderInto(value, { context, onError, path: [...path], errors: 0 });
}

interface RenderState {
  context: TemplateContext;
  onError: (path: (string | number)[], message: string) => void;
  path: (string | number)[];
  /** Failures so far: a rendering with one is not kept for reuse. */
  errors: number;
}

/** What is known of a collection: whether it holds templates, which paths they read, its renderings. */
interface NodeInfo {
  templated: boolean;
  /** The distinct paths its templates read; undefined when rendering is not a pure function of them. */
  paths?: string[][];
  /**
   * Renderings by the values of `paths`, for a collection whose templates
   * read only what all clusters of a provider share.
   */
  memo?: Map<string, unknown>;
}

const TEMPLATE_FREE: NodeInfo = { templated: false };
// Layers share their subtrees between the thousands of (app, cluster)
// merges, and merged values are never mutated, so each subtree is examined once.
const nodeInfos = new WeakMap<object, NodeInfo>();
// Few distinct renderings are kept per collection (one per provider, typically).
const MAX_SHARED = 64;
// Context roots that are the same for every cluster of a provider.
const providerWide = new Set(['provider', 'app', 'namespace', 'repo']);

function isProviderWide(parts: readonly string[]): boolean {
  return providerWide.has(parts[0]!) || (parts.length === 2 && parts[0] === 'cluster' && parts[1] === 'provider');
}

function infoOf(value: object): NodeInfo {
  let info = nodeInfos.get(value);
  if (info) return info;
  let templated = false;
  let pure = true;
  // Made when the first template turns up: most collections hold none.
  let paths: Map<string, string[]> | undefined;
  const add = (item: unknown): void => {
    let read: string[][] | undefined;
    if (typeof item === 'string') {
      if (!item.includes('{{')) return;
      read = pathsOf(item);
    } else if (item !== null && typeof item === 'object') {
      const child = infoOf(item);
      if (!child.templated) return;
      read = child.paths;
    } else return;
    templated = true;
    if (!read) pure = false;
    else if (pure) for (const parts of read) (paths ??= new Map()).set(parts.join('.'), parts);
  };
  if (Array.isArray(value)) for (const item of value) add(item);
  else if (isPlainObject(value)) for (const key of Object.keys(value)) add(value[key]);
  if (!templated) info = TEMPLATE_FREE;
  else if (!pure) info = { templated };
  else {
    const read = paths ? [...paths.values()] : [];
    info = { templated, paths: read, memo: read.every(isProviderWide) ? new Map() : undefined };
  }
  nodeInfos.set(value, info);
  return info;
}

function renderInto(value: unknown, state: RenderState): unknown {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    try {
      return renderString(value, state.context);
    } catch (error) {
      if (error instanceof TemplateError) {
        state.errors++;
        state.onError([...state.path], error.message);
        return value;
      }
      throw error;
    }
  }
  if (value === null || typeof value !== 'object') return value;
  const info = infoOf(value);
  if (!info.templated) return value;
  // A collection whose templates read only what every cluster of a provider
  // shares renders the same for all of them: it is rendered once, frozen and
  // reused, which also lets the YAML emitter reuse its text.
  if (info.memo) {
    const key = memoKey(info.paths!, state.context);
    if (key) {
      const known = info.memo.get(key.key);
      if (known !== undefined) return known;
      const errors = state.errors;
      const rendered = renderCollection(value, state);
      if (state.errors === errors && info.memo.size < MAX_SHARED) info.memo.set(key.key, key.frozen ? deepFreeze(rendered) : rendered);
      return rendered;
    }
  }
  return renderCollection(value, state);
}

function renderCollection(value: object, state: RenderState): unknown {
  const path = state.path;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      path.push(i);
      const next = renderInto(item, state);
      path.pop();
      if (next !== item) (out ??= [...value])[i] = next;
    }
    return out ?? value;
  }
  if (isPlainObject(value)) {
    let out: Record<string, unknown> | undefined;
    for (const key of Object.keys(value)) {
      const item = value[key];
      path.push(key);
      const next = renderInto(item, state);
      path.pop();
      if (next !== item) (out ??= { ...value })[key] = next;
    }
    return out ?? value;
  }
  return value;
}

/**
 * The variable paths a string's rendering reads, when it is a pure function
 * of them (plain text, `{{path}}` alone or simple `text {{path}} text`);
 * undefined for anything Handlebars renders (blocks may read anything) and
 * for templates that fail to compile (the error is reported by rendering).
 */
function pathsOf(source: string): string[][] | undefined {
  if (!source.includes('{{')) return [];
  try {
    const template = compile(source);
    return template.single || template.pieces ? template.paths : undefined;
  } catch (error) {
    if (error instanceof TemplateError) return undefined;
    throw error;
  }
}

// Object values in memo keys are told apart by identity.
const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;

/**
 * The memo key of a collection's rendering: the values of the paths it reads
 * (objects by identity: a rendering holds them as they are). Undefined when a
 * path is missing: the rendering reports it. `frozen` is false when an object
 * value is not frozen: a rendering holding it must not be frozen either.
 */
function memoKey(paths: string[][], context: TemplateContext): { key: string; frozen: boolean } | undefined {
  let key = '';
  let frozen = true;
  for (const parts of paths) {
    const value = valueAt(context, parts);
    if (value === MISSING) return undefined;
    if (typeof value === 'string') key += `s${value.length}:${value}`;
    else if (value !== null && typeof value === 'object') {
      if (!Object.isFrozen(value)) frozen = false;
      let id = objectIds.get(value);
      if (id === undefined) objectIds.set(value, (id = nextObjectId++));
      key += `o${id};`;
    } else key += `${typeof value}:${String(value)};`;
  }
  return { key, frozen };
}
