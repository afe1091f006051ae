import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { createError, GitopsError, type Problem } from '../errors.js';
import { deepFreeze } from '../layering/merge.js';
import { parseBlockYaml } from './parse-yaml-block.js';
import { explainGoTemplate, refuseAmbiguousNodes, refuseAmbiguousText } from './parse-yaml-refusals.js';

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
 * document per file, nothing that YAML readers read differently (see
 * parse-yaml-refusals.ts). Throws a {@link GitopsError} naming the file and line.
 */
export function parseYamlFile(file: string, content: string | Buffer, limits: YamlLimits = {}): YamlFile {
  const { maxFileBytes, maxAliasCount } = { ...defaultYamlLimits, ...limits };
  const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  if (size > maxFileBytes) {
    throw createError('GK_FILE_TOO_LARGE', `file is ${size} bytes, over the limit of ${maxFileBytes}`, { file });
  }
  const text = typeof content === 'string' ? content : content.toString('utf8');
  return explainGoTemplate(file, text, () => {
    refuseAmbiguousText(file, text);
    const fast = needsPositional.test(text) ? undefined : parseBlockYaml(text);
    if (fast === undefined) return readPositional(file, text, maxAliasCount);
    // Lines are needed only for messages and explain: the positional parse waits until then.
    let located: YamlFile | undefined;
    const locate = (): YamlFile => (located ??= readPositional(file, text, maxAliasCount));
    return {
      file,
      data: deepFreeze(fast.data),
      lineOf: (path) => locate().lineOf(path),
      lineOfKey: (path, key) => locate().lineOfKey(path, key),
    };
  });
}

// Anchors, aliases, merge keys and explicit tags go the careful way (alias
// expansion limits, YAML 1.1 merges, yaml's tag semantics); so do errors.
// A node property can only start a token: at a line start, or after
// whitespace, `[`, `{`, `,` or (JSON-like flow keys, `{"a":*b}`) `:`. A
// quoted "*" or a URL's `/*` no longer loads the positional parser.
const needsPositional = /(?:^|[\s[{,:])[&*!]|<</m;

/**
 * The positional parse alone (the authority for data, errors and lines; the
 * block parser reads its subset the same way); exported for tests that hold
 * the fast path to it.
 */
export function parsePositional(file: string, text: string, maxAliasCount = defaultYamlLimits.maxAliasCount): YamlFile {
  return explainGoTemplate(file, text, () => {
    refuseAmbiguousText(file, text);
    return readPositional(file, text, maxAliasCount);
  });
}

// `yaml` reports a line indented deeper than a finished `key: value` as a
// multi-line key at the line above; the mistake is the deeper line.
const overIndented =
  'this line is indented deeper than the line above, which already has its value, so YAML reads it as part of that line; indent it like the keys beside it';

/** Offset of the first text of the line after the one holding `offset` when that line is indented deeper, else undefined. */
function overIndentedLine(text: string, offset: number): number | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let indent = lineStart;
  while (text[indent] === ' ') indent++;
  const newline = text.indexOf('\n', offset);
  if (newline < 0) return undefined;
  let next = newline + 1;
  while (text[next] === ' ') next++;
  return next - newline - 1 > indent - lineStart ? next : undefined;
}

function readPositional(file: string, text: string, maxAliasCount: number): YamlFile {
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
    const continued = new Set(doc.errors.filter((e) => e.code === 'MULTILINE_IMPLICIT_KEY').map((e) => e.pos[0]));
    for (const err of doc.errors) {
      const deeper = err.code === 'MULTILINE_IMPLICIT_KEY' ? overIndentedLine(text, err.pos[0]) : undefined;
      if (deeper !== undefined) {
        problems.push({ code: 'GK_INVALID_YAML', file, line: lineAt(deeper), message: overIndented });
      } else if (!(err.code === 'BLOCK_AS_IMPLICIT_KEY' && continued.has(err.pos[0]))) {
        // A block map inside a multi-line key is the same mistake as the key itself: said once, above.
        problems.push({ code: 'GK_INVALID_YAML', file, line: lineAt(err.pos[0]), message: err.message.split('\n')[0]! });
      }
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
  refuseAmbiguousNodes(file, doc, lineAt);
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
