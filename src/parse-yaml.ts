import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { createError, GitopsError, type Problem } from './errors.js';
import { deepFreeze } from './merge.js';
import { parseBlockYaml } from './parse-yaml-block.js';

/** Limits applied to every YAML file read from a platform repo. */
export interface YamlLimits {
  /** Largest file accepted, in bytes. Default 1 MiB. */
  maxFileBytes?: number;
  /**
   * Most alias resolutions in one document. Default 100: enough for anchors
   * used as shared defaults, far too few for a "billion laughs" bomb.
   */
  maxAliasCount?: number;
}

export const defaultYamlLimits: Required<YamlLimits> = {
  maxFileBytes: 1024 * 1024,
  maxAliasCount: 100,
};

/** A parsed YAML document that still knows where each node came from. */
export interface YamlFile {
  /** Repo-relative path, as shown in messages. */
  file: string;
  /** The document as plain data. */
  data: unknown;
  /** 1-based line of the node at `path` (or of its nearest existing parent). */
  lineOf(path: readonly (string | number)[]): number | undefined;
  /** 1-based line of the key `key` of the mapping at `path`. */
  lineOfKey(path: readonly (string | number)[], key: string): number | undefined;
}

function nodeAt(doc: Document, path: readonly (string | number)[]): Node | undefined {
  let node: unknown = doc.contents;
  let found: Node | undefined = node as Node | undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment);
      if (!pair) break;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else {
      break;
    }
    if (node && typeof node === 'object' && 'range' in node) found = node as Node;
    else break;
  }
  return found;
}

/**
 * Parses one YAML document with the safety limits a platform repo needs:
 * bounded size, bounded alias expansion, duplicate keys refused, one
 * document per file. Throws a {@link GitopsError} naming the file and line.
 */
export function parseYamlFile(file: string, content: string | Buffer, limits: YamlLimits = {}): YamlFile {
  const { maxFileBytes, maxAliasCount } = { ...defaultYamlLimits, ...limits };
  const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  if (size > maxFileBytes) {
    throw createError('GK_FILE_TOO_LARGE', `file is ${size} bytes, over the limit of ${maxFileBytes}`, { file });
  }
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const fast = parseFast(text);
  if (fast !== undefined) {
    // Lines are needed only for messages and explain: the positional parse waits until then.
    let located: YamlFile | undefined;
    const locate = (): YamlFile => (located ??= parsePositional(file, text, maxAliasCount));
    return {
      file,
      data: deepFreeze(fast.data),
      lineOf: (path) => locate().lineOf(path),
      lineOfKey: (path, key) => locate().lineOfKey(path, key),
    };
  }
  return parsePositional(file, text, maxAliasCount);
}

// Anchors, aliases, merge keys and explicit tags go the careful way (alias
// expansion limits, YAML 1.1 merges, yaml's tag semantics); so do errors.
// A node property can only start a token: at a line start, or after
// whitespace, `[`, `{`, `,` or (JSON-like flow keys, `{"a":*b}`) `:`. A
// quoted "*" or a URL's `/*` no longer loads the positional parser.
const needsPositional = /(?:^|[\s[{,:])[&*!]|<</m;

/**
 * The plain data of a file through js-yaml's core schema, about three times
 * faster than the positional parse; undefined when the file must take the
 * positional parse instead. Both agree on every plain scalar of the YAML 1.2
 * core schema (test/core/parse-yaml-paths.test.ts checks them against each other).
 */
function parseFast(text: string): { data: unknown } | undefined {
  if (needsPositional.test(text)) return undefined;
  // Most files are plain block YAML, which a parser for just that reads several times faster.
  const block = parseBlockYaml(text);
  if (block) return block;
  let docs: unknown[];
  try {
    docs = loadAll(text, { schema: CORE_SCHEMA }) as unknown[];
  } catch {
    return undefined;
  }
  const real = docs.filter((d) => d !== null && d !== undefined);
  if (real.length > 1 || real.some((d) => d === '')) return undefined;
  return { data: real.length === 0 ? null : real[0] };
}

/** The positional parse alone (the authority for errors and lines); exported for tests that hold the fast path to it. */
export function parsePositional(file: string, text: string, maxAliasCount = defaultYamlLimits.maxAliasCount): YamlFile {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter,
    uniqueKeys: true,
    prettyErrors: false,
    strict: true,
    // Helm reads values as YAML 1.1, where `<<: *anchor` merges; users expect the same here.
    merge: true,
  });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  if (!Array.isArray(docs)) {
    return { file, data: null, lineOf: () => undefined, lineOfKey: () => undefined };
  }
  const problems: Problem[] = [];
  for (const doc of docs) {
    for (const err of doc.errors) {
      problems.push({ code: 'GK_INVALID_YAML', file, line: lineAt(err.pos[0]), message: err.message.split('\n')[0]! });
    }
  }
  if (problems.length > 0) throw new GitopsError(problems);
  // A bare `---` (leading or trailing) makes an empty document, not a second definition.
  const real = docs.filter((d) => !(d.contents === null || (isScalar(d.contents) && d.contents.source === '')));
  if (real.length > 1) {
    throw createError('GK_INVALID_YAML', 'holds more than one YAML document; put one definition in each file', {
      file,
      line: lineAt(real[1]!.range[0]),
    });
  }
  const doc = real[0];
  if (!doc) return { file, data: null, lineOf: () => undefined, lineOfKey: () => undefined };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = /alias/i.test(message) ? 'GK_YAML_LIMIT' : 'GK_INVALID_YAML';
    throw createError(code, message.split('\n')[0]!, { file, line: 1 }, { cause: error });
  }
  return {
    file,
    data: deepFreeze(data),
    lineOf(path) {
      const node = nodeAt(doc, path);
      return node?.range ? lineAt(node.range[0]) : undefined;
    },
    lineOfKey(path, key) {
      const parent = nodeAt(doc, path);
      if (isMap(parent)) {
        const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
        const keyNode = pair?.key as Node | undefined;
        if (keyNode?.range) return lineAt(keyNode.range[0]);
      }
      return parent?.range ? lineAt(parent.range[0]) : undefined;
    },
  };
}
