import { LRUCache } from 'lru-cache';
import type { Problem } from '../errors.js';
import { parseYamlFile, type YamlFile, type YamlLimits } from './parse-yaml.js';

/**
 * Parsed YAML files kept across loads, keyed by a content id (a git blob
 * id). A new commit of a large platform repo changes a handful of files: the
 * server parses those and takes the rest from here. Parsed data is deep-frozen
 * by the parser, so one parse can be shared by every model that holds it.
 */
export interface ParseCache {
  /** Whether a parse of this content at this path is kept. */
  has(id: string, file: string): boolean;
  /**
   * Whether files of this many bytes in all fit with room to spare: a source
   * skips reading ahead what is cached only then, so that nothing it skipped
   * is evicted during the load and read one by one.
   */
  canHold(textBytes: number): boolean;
  /**
   * The parse of `file` with content `id` under `limits`, parsing on a miss,
   * and what `check` finds in it. Parse errors are thrown, not kept; the
   * check's problems are kept with the parse, as its data is deep-frozen and
   * the answer cannot change.
   */
  parse(id: string, file: string, limits: YamlLimits, read: () => Buffer, check: (yaml: YamlFile) => Problem[]): CheckedParse;
}

/** A parse and the problems its check found (none: the data is sound). */
export interface CheckedParse {
  yaml: YamlFile;
  problems: Problem[];
}

/** Options of {@link createParseCache}. */
export interface ParseCacheOptions {
  /** Memory for kept parses, estimated from file sizes. Default 64 MiB. */
  maxBytes?: number;
  /** Called on every lookup, for metrics. */
  onLookup?: (hit: boolean) => void;
}

interface Entry {
  /** Parsed again under other limits (a changed gitops.yaml). */
  limits: string;
  parse: CheckedParse;
  bytes: number;
}

// Parsed data takes several times the text in the heap (objects, strings, the kept text itself).
const BYTES_PER_TEXT_BYTE = 8;

/** A parse cache bounded by memory (least recently used parses go first). */
export function createParseCache(options: ParseCacheOptions = {}): ParseCache {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const entries = new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: (e) => Math.max(1, e.bytes) });
  // By content and path: the same content at another path is parsed again, as messages name the path.
  const keyOf = (id: string, file: string): string => `${id}\0${file}`;
  return {
    has: (id, file) => entries.has(keyOf(id, file)),
    canHold: (textBytes) => textBytes * BYTES_PER_TEXT_BYTE <= maxBytes / 2,
    parse(id, file, limits, read, check) {
      const key = keyOf(id, file);
      const variant = `${limits.maxFileBytes ?? ''}\0${limits.maxAliasCount ?? ''}`;
      const kept = entries.get(key);
      if (kept?.limits === variant) {
        options.onLookup?.(true);
        return kept.parse;
      }
      options.onLookup?.(false);
      const content = read();
      const yaml = parseYamlFile(file, content, limits);
      const parse = { yaml, problems: check(yaml) };
      entries.set(key, { limits: variant, parse, bytes: content.length * BYTES_PER_TEXT_BYTE + 512 });
      return parse;
    },
  };
}
