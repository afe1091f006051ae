/**
 * What `import` reads: Helm app-of-apps charts (rendered by the real
 * `helm template`), YAML files or streams of objects, stdin. Everything is
 * bounded: file size, alias expansion, helm's time and output.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createError, GitopsError, type Problem } from '../core/errors.js';
import { isPlainObject } from '../core/layering/merge.js';
import { parseYamlStream } from '../core/yaml/parse-yaml-stream.js';
import { requireTool, runTool } from '../tools/external-tool.js';
import { cleanObject } from './clean-object.js';

/** One object of the input and where it came from. */
export interface SourceObject {
  object: Record<string, unknown>;
  /** `file` or `file#<document>` (a chart's rendered template path when helm says it). */
  origin: string;
}

export interface ImportInput {
  applications: SourceObject[];
  projects: SourceObject[];
  namespaces: SourceObject[];
  /** Objects of other kinds: reported, not imported. */
  ignored: SourceObject[];
}

export interface ReadOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `--values` files for charts. */
  valueFiles?: string[];
  /** `--set` for charts. */
  set?: string[];
  /** stdin's text, for `-`. */
  readStdin?: () => Promise<string>;
  /** Largest input file. Default 64 MiB. */
  maxBytes?: number;
  helmTimeoutMs?: number;
}

const MAX_ALIASES = 100;

/** Parses a YAML stream into objects, flattening `kind: List`. */
function parseObjects(text: string, label: string): SourceObject[] {
  const docList = parseYamlStream(text, { uniqueKeys: true, prettyErrors: false });
  const problems: Problem[] = [];
  const out: SourceObject[] = [];
  docList.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problems.push({ code: 'GK_INVALID_YAML', file: label, line: e.line, message: e.message });
      return;
    }
    // helm template marks each document with its template's path: the most useful name for it.
    const source = /^# Source: (.+)$/m.exec(String(doc.commentBefore ?? ''))?.[1];
    let data: unknown;
    try {
      data = doc.toData(MAX_ALIASES);
    } catch (error) {
      problems.push({ code: 'GK_YAML_LIMIT', file: label, message: `document ${index + 1}: ${(error as Error).message.split('\n')[0]}` });
      return;
    }
    if (data === null || data === undefined) return;
    const origin = source ? `${label}#${source}` : docList.length > 1 ? `${label}#${index + 1}` : label;
    if (!isPlainObject(data)) {
      problems.push({ code: 'GK_INVALID_VALUE', file: origin, message: 'is not a Kubernetes object (a map with apiVersion and kind)' });
      return;
    }
    const items = data.kind === 'List' || (typeof data.kind === 'string' && data.kind.endsWith('List') && Array.isArray(data.items)) ? data.items : undefined;
    if (Array.isArray(items)) {
      items.forEach((item, i) => {
        if (isPlainObject(item)) out.push({ object: item, origin: `${origin}#items[${i}]` });
        else problems.push({ code: 'GK_INVALID_VALUE', file: origin, field: `items[${i}]`, message: 'is not a Kubernetes object' });
      });
    } else out.push({ object: data, origin });
  });
  if (problems.length > 0) throw new GitopsError(problems);
  return out;
}

function isArgo(object: Record<string, unknown>, kind: string): boolean {
  return object.kind === kind && typeof object.apiVersion === 'string' && object.apiVersion.startsWith('argoproj.io/');
}

/** Sorts cleaned objects by what import does with them. */
function classifyObjects(objects: readonly SourceObject[]): ImportInput {
  const input: ImportInput = { applications: [], projects: [], namespaces: [], ignored: [] };
  for (const { object, origin } of objects) {
    const cleaned = { object: cleanObject(object), origin };
    if (isArgo(object, 'Application')) input.applications.push(cleaned);
    else if (isArgo(object, 'AppProject')) input.projects.push(cleaned);
    else if (object.kind === 'Namespace' && object.apiVersion === 'v1') input.namespaces.push(cleaned);
    else input.ignored.push(cleaned);
  }
  return input;
}

async function renderChart(dir: string, label: string, options: ReadOptions): Promise<string> {
  const helm = requireTool('helm', options.env);
  const args = ['template', 'import', dir];
  for (const file of options.valueFiles ?? []) args.push('--values', path.resolve(options.cwd, file));
  for (const set of options.set ?? []) args.push('--set', set);
  const { stdout } = await runTool(helm, args, {
    cwd: options.cwd,
    env: options.env,
    timeoutMs: options.helmTimeoutMs,
    maxOutputBytes: options.maxBytes ?? 64 * 1024 * 1024,
    what: `helm template of ${label}`,
  });
  return stdout;
}

function readBounded(file: string, label: string, maxBytes: number): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw createError('GK_NOT_FOUND', `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { file: label });
  }
  if (size > maxBytes) throw createError('GK_FILE_TOO_LARGE', `file is ${size} bytes, over the limit of ${maxBytes}`, { file: label });
  return readFileSync(file, 'utf8');
}

/** Reads every SOURCE; every problem of every source is thrown at once. */
export async function readSources(sources: readonly string[], options: ReadOptions): Promise<ImportInput> {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const objects: SourceObject[] = [];
  const problems: Problem[] = [];
  for (const source of sources) {
    try {
      if (source === '-') {
        if (!options.readStdin) throw createError('GK_USAGE', 'stdin (-) is not available');
        const text = await options.readStdin();
        if (Buffer.byteLength(text) > maxBytes) throw createError('GK_FILE_TOO_LARGE', `stdin is over the limit of ${maxBytes} bytes`, { file: '-' });
        objects.push(...parseObjects(text, '(stdin)'));
        continue;
      }
      const file = path.resolve(options.cwd, source);
      let isDir = false;
      try {
        isDir = statSync(file).isDirectory();
      } catch {
        throw createError('GK_NOT_FOUND', 'no such file or folder', { file: source });
      }
      if (isDir) {
        try {
          statSync(path.join(file, 'Chart.yaml'));
        } catch {
          throw createError('GK_INVALID_VALUE', 'is a folder without Chart.yaml; give a Helm chart folder or a YAML file of Applications', { file: source });
        }
        objects.push(...parseObjects(await renderChart(file, source, options), source));
      } else objects.push(...parseObjects(readBounded(file, source, maxBytes), source));
    } catch (error) {
      if (!(error instanceof GitopsError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new GitopsError(problems);
  return classifyObjects(objects);
}
