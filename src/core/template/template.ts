import type Handlebars from 'handlebars';
import { createRequire } from 'node:module';
import { closest } from '../did-you-mean.js';
import { deepFreeze, isPlainObject } from '../layering/merge.js';

/**
 * Handlebars over one context, strict: an unknown variable is an error, not
 * an empty string. No HTML escaping (these are YAML values, not pages), no
 * helpers beyond the built-in block helpers, and none from the repository:
 * templates come from Git and must not run code.
 */

/**
 * A Handlebars environment of our own and what it has compiled, kept in a
 * TemplateCache (per render, or for the server's lifetime). Its helpers
 * close over the engine, and read the limits of the render under way from
 * `budget`, so two engines never see each other's renders.
 */
export interface TemplateEngine {
  /**
   * Made on first use (`handlebarsOf`): most templates are plain `text {{variable}} text`,
   * rendered without Handlebars, and `generate` starts faster without loading it.
   */
  handlebars: typeof Handlebars | undefined;
  /** Compiled templates by source; bounded, so that a long-running server seeing many commits does not grow without end. */
  compiled: Map<string, CompiledTemplate>;
  /** What the Handlebars render under way has used of its limits; rendering is synchronous, so one at a time. */
  budget: Budget | undefined;
}

export function createTemplateEngine(): TemplateEngine {
  return { handlebars: undefined, compiled: new Map(), budget: undefined };
}

function handlebarsOf(engine: TemplateEngine): typeof Handlebars {
  if (!engine.handlebars) {
    const hbs = (createRequire(import.meta.url)('handlebars') as typeof Handlebars).create();
    hbs.unregisterHelper('log');
    for (const name of ['if', 'unless', 'each', 'with'] as const) hbs.registerHelper(name, countingBlock(engine, hbs.helpers[name]!));
    hbs.registerHelper('lookup', strictLookup);
    engine.handlebars = hbs;
  }
  return engine.handlebars;
}

/**
 * Bounds on one template string, so that a few bytes in a repository cannot
 * take minutes or gigabytes to render (five nested `each` over a 100-item
 * list are 10^10 steps). Checked before Handlebars parses the source (its
 * parser is quadratic in the nesting) and while it renders.
 */
export interface TemplateLimits {
  /** Longest template source, in characters. */
  maxTemplateLength: number;
  /** Deepest nesting of blocks (`#if`, `#each`, ..., `else if` chains) and sub-expressions. */
  maxTemplateDepth: number;
  /** Most block bodies run while rendering one string (every `each` iteration is one). */
  maxTemplateSteps: number;
  /** Most characters one string's rendering produces (values read and block output, counted as it renders). */
  maxTemplateOutput: number;
}

export const defaultTemplateLimits: Readonly<TemplateLimits> = Object.freeze({
  maxTemplateLength: 64 * 1024,
  maxTemplateDepth: 10,
  maxTemplateSteps: 10_000,
  maxTemplateOutput: 1024 * 1024,
});

/** What gitops.yaml may raise the template limits to. */
export const templateLimitCeiling: Readonly<TemplateLimits> = Object.freeze({
  maxTemplateLength: 1024 * 1024,
  maxTemplateDepth: 32,
  maxTemplateSteps: 1_000_000,
  maxTemplateOutput: 16 * 1024 * 1024,
});

const knownHelpers = { if: true, unless: true, each: true, with: true, lookup: true } as const;
const isKnownHelper = (name: string): boolean => Object.hasOwn(knownHelpers, name);
const MAX_COMPILED = 20_000;
const singleVariable = /^\{\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*\}\}$/;

/** The template context: `cluster`, `provider`, `namespace`, `app`, `repo`, `vars`. */
export type TemplateContext = Record<string, unknown>;

/** A template failure, with the message users see. */
export class TemplateError extends Error {}

/** What one Handlebars render has used of its limits. */
interface Budget {
  limits: TemplateLimits;
  steps: number;
  output: number;
  /** The last name a block looked up and did not find, for the message. */
  miss?: { target: object; key: string };
}

function overLimit(what: string, limit: number, key: keyof TemplateLimits): TemplateError {
  const ceiling = templateLimitCeiling[key].toLocaleString('en-US');
  return new TemplateError(`template ${what} ${limit.toLocaleString('en-US')}; simplify it, or raise limits.${key} in gitops.yaml (at most ${ceiling})`);
}

function spend(engine: TemplateEngine, output: number): void {
  const b = engine.budget;
  if (!b) return;
  b.output += output;
  if (b.output > b.limits.maxTemplateOutput) throw overLimit('produces more characters than', b.limits.maxTemplateOutput, 'maxTemplateOutput');
}

/** A built-in block helper whose bodies count as steps and whose output counts against the limits. */
function countingBlock(engine: TemplateEngine, helper: Handlebars.HelperDelegate): Handlebars.HelperDelegate {
  const count = (body: Handlebars.TemplateDelegate): Handlebars.TemplateDelegate =>
    function (this: unknown, ...args: Parameters<Handlebars.TemplateDelegate>) {
      const b = engine.budget;
      if (b && ++b.steps > b.limits.maxTemplateSteps)
        throw overLimit('runs more block bodies (each iteration is one) than', b.limits.maxTemplateSteps, 'maxTemplateSteps');
      const text = body.apply(this, args);
      spend(engine, text.length);
      return text;
    };
  return function (this: unknown, ...args: unknown[]) {
    const options = args[args.length - 1] as Handlebars.HelperOptions;
    args[args.length - 1] = { ...options, fn: count(options.fn), inverse: count(options.inverse) };
    return (helper as (...all: unknown[]) => unknown).apply(this, args);
  };
}

/** `lookup`, strict: a missing key is an unknown variable, as everywhere else. */
function strictLookup(target: unknown, key: unknown): unknown {
  const name = String(key);
  if (target !== null && typeof target === 'object' && Object.hasOwn(target, name)) return (target as Record<string, unknown>)[name];
  const known = target !== null && typeof target === 'object' ? Object.keys(target) : [];
  const guess = closest(name, known);
  const hint = guess !== undefined ? ` (did you mean "${guess}"?)` : known.length > 0 ? ` (it has: ${known.slice(0, 20).join(', ')})` : '';
  throw new TemplateError(`unknown template variable ${JSON.stringify(name)} (in lookup)${hint}`);
}

// What a map or a list becomes in text: never a user's value (a NUL and a per-process random number).
const inText = `\u0000gitops-k8s-${Math.random().toString(36).slice(2)}:`;
const MAP_IN_TEXT = `${inText}map\u0000`;
const LIST_IN_TEXT = `${inText}list\u0000`;

/**
 * What templating keeps between strings: the engine that compiles and
 * renders them, views of the context's objects, what is known of each
 * collection of the layers, and its renderings. Weak on those objects (the
 * engine's compiled templates are bounded); made per render, or kept longer
 * by an owner that renders the same files again (the server, commit after
 * commit).
 */
export interface TemplateCache {
  engine: TemplateEngine;
  /** One view per object of the context, so that identity holds across renders. */
  views: WeakMap<object, object>;
  /**
   * What each collection holds: layers share their subtrees between the thousands
   * of (app, cluster) merges, and merged values are never mutated, so each
   * subtree is examined once.
   */
  nodeInfos: WeakMap<object, NodeInfo>;
  /** Object values in memo keys are told apart by identity: an id per object, from `nextObjectId`. */
  objectIds: WeakMap<object, number>;
  nextObjectId: number;
}

export function createTemplateCache(): TemplateCache {
  return { engine: createTemplateEngine(), views: new WeakMap(), nodeInfos: new WeakMap(), objectIds: new WeakMap(), nextObjectId: 0 };
}

/**
 * The context as Handlebars sees it: only own properties exist
 * (`constructor`, `length` of a string and the like are unknown variables,
 * not `""`), a map or list written into text is an error, and every string
 * read counts towards the output limit. The proxy's target is an empty
 * stand-in: the context's values may be frozen, and a proxy of a frozen
 * object must return its properties unchanged, not as views.
 */
function viewOf(value: unknown, cache: TemplateCache): unknown {
  if (value === null || typeof value !== 'object') return value;
  const { views, engine } = cache;
  let view = views.get(value);
  if (view) return view;
  const real = value as Record<string | symbol, unknown>;
  const isList = Array.isArray(real);
  view = new Proxy(isList ? [] : Object.create(null), {
    has(_, key) {
      if (typeof key === 'string' && Object.hasOwn(real, key)) return true;
      if (typeof key === 'string' && engine.budget) engine.budget.miss = { target: real, key };
      return false;
    },
    get(_, key) {
      // Loose comparisons inside Handlebars (`context != depths[0]`) convert it too: a marker, found in the output afterwards.
      if (key === Symbol.toPrimitive) return isList ? () => LIST_IN_TEXT : () => MAP_IN_TEXT;
      if (typeof key === 'symbol' || !Object.hasOwn(real, key)) return undefined;
      const read = real[key];
      if (typeof read === 'string') spend(engine, read.length);
      return viewOf(read, cache);
    },
    ownKeys: () => Reflect.ownKeys(real),
    getOwnPropertyDescriptor(_, key) {
      const own = Reflect.getOwnPropertyDescriptor(real, key);
      if (!own) return undefined;
      // The stand-in list's own length is not configurable, and a proxy may not say otherwise.
      if (isList && key === 'length') return { value: (real as unknown as unknown[]).length, writable: true, enumerable: false, configurable: false };
      return { value: viewOf(own.value, cache), writable: false, enumerable: own.enumerable ?? false, configurable: true };
    },
  }) as object;
  views.set(value, view);
  return view;
}

function lookupPath(context: unknown, parts: readonly string[]): { found: boolean; value?: unknown; missingAt?: number } {
  let node: unknown = context;
  for (let i = 0; i < parts.length; i++) {
    if (!isPlainObject(node) || !Object.hasOwn(node, parts[i]!)) return { found: false, missingAt: i };
    node = node[parts[i]!];
  }
  return { found: true, value: node };
}

const MISSING = Symbol('missing');

/** The value at a path, or MISSING: lookupPath without an object per call, for the hot paths. */
function valueAt(context: unknown, parts: readonly string[]): unknown {
  let node: unknown = context;
  for (let i = 0; i < parts.length; i++) {
    if (!isPlainObject(node) || !Object.hasOwn(node, parts[i]!)) return MISSING;
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
function topLevelPaths(source: string, engine: TemplateEngine): string[][] {
  let ast: hbs.AST.Program;
  try {
    ast = handlebarsOf(engine).parse(source);
  } catch (error) {
    const why = (error as Error).message.split('\n').filter(Boolean).slice(-1)[0];
    throw new TemplateError(`template does not parse: ${why} (for a literal {{, as in values a chart passes to tpl, write \\{{)`);
  }
  const paths: string[][] = [];
  const collect = (expr: hbs.AST.Expression | undefined): void => {
    if (expr?.type !== 'PathExpression') return;
    const path = expr as hbs.AST.PathExpression;
    if (path.data || path.depth > 0 || path.parts.length === 0 || (path as { this_?: boolean }).this_) return;
    if (path.parts.length === 1 && isKnownHelper(path.parts[0]!)) return;
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
  /** The nesting depth of a template Handlebars renders. */
  depth?: number;
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

function compile(source: string, limits: TemplateLimits, engine: TemplateEngine): CompiledTemplate {
  if (source.length > limits.maxTemplateLength) throw overLimit('is longer than', limits.maxTemplateLength, 'maxTemplateLength');
  const { compiled } = engine;
  let entry = compiled.get(source);
  if (entry) {
    // Compiled under another repo's limits, maybe.
    if (entry.depth !== undefined && entry.depth > limits.maxTemplateDepth)
      throw overLimit('nests blocks deeper than', limits.maxTemplateDepth, 'maxTemplateDepth');
    return entry;
  }
  const single = singleVariable.exec(source);
  if (single) {
    const parts = single[1]!.split('.');
    if (!isKnownHelper(parts[0]!)) {
      if (compiled.size >= MAX_COMPILED) compiled.clear();
      compiled.set(source, (entry = { paths: [parts], single: parts }));
      return entry;
    }
  }
  const simple = simpleTemplate(source);
  if (simple) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(source, simple);
    return simple;
  }
  const go = goTemplateHint(source);
  if (go) throw new TemplateError(go);
  const depth = nestingDepth(source, engine);
  if (depth > limits.maxTemplateDepth) throw overLimit('nests blocks deeper than', limits.maxTemplateDepth, 'maxTemplateDepth');
  const paths = topLevelPaths(source, engine);
  try {
    entry = { render: handlebarsOf(engine).compile(source, { strict: true, noEscape: true, knownHelpers, knownHelpersOnly: true }), paths, depth };
  } catch (error) {
    throw new TemplateError(`template does not compile: ${(error as Error).message.split('\n')[0]}`);
  }
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(source, entry);
  return entry;
}

/**
 * The deepest nesting of blocks and sub-expressions, from Handlebars' own
 * lexer (linear, unlike its parser), so that escaped mustaches, comments
 * and raw blocks count as Handlebars reads them. An `else if` nests one
 * level more until its block closes. A source the lexer refuses is left to
 * the parser, which reports it.
 */
function nestingDepth(source: string, engine: TemplateEngine): number {
  type Lexing = { Parser: { lexer: { setInput(s: string): void; lex(): number }; terminals_: Record<number, string> } };
  const parser = (handlebarsOf(engine) as unknown as Lexing).Parser;
  const lexer = parser.lexer;
  const open: number[] = [];
  let depth = 0;
  let deepest = 0;
  try {
    lexer.setInput(source);
    for (let token = parser.terminals_[lexer.lex()]; token !== 'EOF' && token !== undefined; token = parser.terminals_[lexer.lex()]) {
      if (token === 'OPEN_BLOCK' || token === 'OPEN_INVERSE' || token === 'OPEN_RAW_BLOCK' || token === 'OPEN_PARTIAL_BLOCK' || token === 'OPEN_SEXPR') {
        open.push(1);
        depth++;
      } else if (token === 'OPEN_INVERSE_CHAIN') {
        if (open.length > 0) open[open.length - 1]!++;
        depth++;
      } else if (token === 'OPEN_ENDBLOCK' || token === 'END_RAW_BLOCK' || token === 'CLOSE_SEXPR') {
        depth -= open.pop() ?? 0;
      }
      if (depth > deepest) deepest = depth;
    }
  } catch {
    // The parser reports what the lexer refused.
  }
  return deepest;
}

// `{{ .Values.x }}`, `{{- if .Values.y }}`, `{{ include "x" . }}`, `{{ $.Chart }}`: Helm's (Go's) templates, not Handlebars.
const goWords = 'if|range|with|end|include|define|template|block|toYaml|tpl|printf|quote|default|required|nindent|indent';
const goTemplate = new RegExp(String.raw`(?<!\\)\{\{(-\s|\s*(?:\.[A-Za-z_]|\$\.|(?:${goWords})\s+[.$"(]))`);

function goTemplateHint(source: string): string | undefined {
  const m = goTemplate.exec(source);
  if (!m) return undefined;
  const end = source.indexOf('}}', m.index);
  const tag = source.slice(m.index, end < 0 ? undefined : end + 2);
  const values = /\.Values\.([\w.]+)/.exec(tag);
  const ours = values ? `{{vars.${values[1]}}}` : '{{vars.<name>}}';
  const ourSyntax = 'its templates are Handlebars over cluster, provider, namespace, app, repo and vars';
  const passThrough = `to pass it through to a chart that templates its own values (tpl), write \\${tag}`;
  return `${tag} is Helm/Go template syntax, which gitops-k8s does not read: ${ourSyntax} (write ${ours}); ${passThrough}`;
}

/**
 * Renders one string. A string that is exactly one `{{variable}}` keeps the
 * variable's type (a boolean stays a boolean, a map a map), so a provider's
 * `controlPlaneMetrics: false` can switch a chart's boolean.
 */
export function renderString(
  source: string,
  context: TemplateContext,
  limits: TemplateLimits = defaultTemplateLimits,
  cache: TemplateCache = createTemplateCache(),
): unknown {
  if (!source.includes('{{')) return source;
  const template = compile(source, limits, cache.engine);
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
          throw new TemplateError(
            `"${name}" is ${Array.isArray(value) ? 'a list' : 'a map'}: use it alone as "{{${name}}}" to keep it whole, or name one of its fields`,
          );
        }
        if (value !== null && value !== undefined) text += value as string;
        if (text.length > limits.maxTemplateOutput) throw overLimit('produces more characters than', limits.maxTemplateOutput, 'maxTemplateOutput');
      }
    }
    return text;
  }
  const { engine } = cache;
  const budget: Budget = { limits, steps: 0, output: 0 };
  engine.budget = budget;
  try {
    const text = template.render!(viewOf(context, cache), { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
    if (text.length > limits.maxTemplateOutput) throw overLimit('produces more characters than', limits.maxTemplateOutput, 'maxTemplateOutput');
    if (text.includes(inText))
      throw new TemplateError(`${text.includes(MAP_IN_TEXT) ? 'a map' : 'a list'} cannot be written into text; name one of its fields`);
    return text;
  } catch (error) {
    if (error instanceof TemplateError) throw error;
    const message = (error as Error).message.split('\n')[0]!;
    // Handlebars' strict check of a name: `"x" not defined in ...`, or over a string or number, JavaScript's own TypeError.
    const missing = /^"([^"]+)" not defined in/.exec(message) ?? /^Cannot use 'in' operator to search for '([^']+)'/.exec(message);
    if (missing) {
      const miss = budget.miss?.key === missing[1] ? budget.miss : undefined;
      const guess = miss && closest(miss.key, Object.keys(miss.target));
      throw new TemplateError(`unknown template variable "${missing[1]}" inside a block${guess !== undefined ? ` (did you mean "${guess}"?)` : ''}`);
    }
    if (error instanceof RangeError) throw new TemplateError(`template too large to render: ${message}`);
    throw new TemplateError(`template failed: ${message}`);
  } finally {
    engine.budget = undefined;
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
  limits: TemplateLimits = defaultTemplateLimits,
  cache: TemplateCache = createTemplateCache(),
): unknown {
  // One path array, pushed and popped, copied only for an error.
  return renderInto(value, { context, limits, cache, onError, path: [...path], errors: 0 });
}

interface RenderState {
  context: TemplateContext;
  limits: TemplateLimits;
  cache: TemplateCache;
  onError: (path: (string | number)[], message: string) => void;
  path: (string | number)[];
  /** Failures so far: a rendering with one is not kept for reuse. */
  errors: number;
}

/** What is known of a collection: whether it holds templates, which paths they read, its renderings. */
export interface NodeInfo {
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
// Few distinct renderings are kept per collection (one per provider, typically).
const MAX_SHARED = 64;
// Context roots that are the same for every cluster of a provider.
const providerWide = new Set(['provider', 'app', 'namespace', 'repo']);

function isProviderWide(parts: readonly string[]): boolean {
  return providerWide.has(parts[0]!) || (parts.length === 2 && parts[0] === 'cluster' && parts[1] === 'provider');
}

function infoOf(value: object, cache: TemplateCache): NodeInfo {
  let info = cache.nodeInfos.get(value);
  if (info) return info;
  let templated = false;
  let pure = true;
  // Made when the first template turns up: most collections hold none.
  let paths: Map<string, string[]> | undefined;
  const add = (item: unknown): void => {
    let read: string[][] | undefined;
    if (typeof item === 'string') {
      if (!item.includes('{{')) return;
      read = pathsOf(item, cache.engine);
    } else if (item !== null && typeof item === 'object') {
      const child = infoOf(item, cache);
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
  cache.nodeInfos.set(value, info);
  return info;
}

function renderInto(value: unknown, state: RenderState): unknown {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    try {
      return renderString(value, state.context, state.limits, state.cache);
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
  const info = infoOf(value, state.cache);
  if (!info.templated) return value;
  // A collection whose templates read only what every cluster of a provider
  // shares renders the same for all of them: it is rendered once, frozen and
  // reused, which also lets the YAML emitter reuse its text.
  if (info.memo) {
    const key = memoKey(info.paths!, state.context, state.cache);
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
function pathsOf(source: string, engine: TemplateEngine): string[][] | undefined {
  if (!source.includes('{{')) return [];
  try {
    // The default limits: a string over them is rendered, and its error reported, under the repo's own.
    const template = compile(source, defaultTemplateLimits, engine);
    return template.single || template.pieces ? template.paths : undefined;
  } catch (error) {
    if (error instanceof TemplateError) return undefined;
    throw error;
  }
}

/**
 * The memo key of a collection's rendering: the values of the paths it reads
 * (objects by identity: a rendering holds them as they are). Undefined when a
 * path is missing: the rendering reports it. `frozen` is false when an object
 * value is not frozen: a rendering holding it must not be frozen either.
 */
function memoKey(paths: string[][], context: TemplateContext, cache: TemplateCache): { key: string; frozen: boolean } | undefined {
  let key = '';
  let frozen = true;
  for (const parts of paths) {
    const value = valueAt(context, parts);
    if (value === MISSING) return undefined;
    if (typeof value === 'string') key += `s${value.length}:${value}`;
    else if (value !== null && typeof value === 'object') {
      if (!Object.isFrozen(value)) frozen = false;
      let id = cache.objectIds.get(value);
      if (id === undefined) cache.objectIds.set(value, (id = cache.nextObjectId++));
      key += `o${id};`;
    } else key += `${typeof value}:${String(value)};`;
  }
  return { key, frozen };
}
