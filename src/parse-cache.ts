import { LRUCache } from 'lru-cache';
import { parseYamlFile, type YamlFile, type YamlLimits } from './parse-yaml.js';

/**
 * Parsed YAML files kept across loads, keyed by a content id (a git blob
 * id). A new commit of a large platform repo changes a handful of files: the
 * server parses those and takes the rest from here. Parsed data is deep-frozen
 * by the parser, so one parse can be shared by every model that holds it.
 */
export interface ParseCache {
  /** Whether a parse of this content is kept (whatever its path or limits). */
  has(id: string): boolean;
  /** The parse of `file` with content `id` under `limits`, parsing on a miss. Parse errors are thrown, not kept. */
  parse(id: string, file: string, limits: YamlLimits, read: () => Buffer): YamlFile;
}

/** Options of {@link createParseCache}. */
export interface ParseCacheOptions {
  /** Memory for kept parses, estimated from file sizes. Default 64 MiB. */
  maxBytes?: number;
  /** Called on every lookup, for metrics. */
  onLookup?: (hit: boolean) => void;
}

interface Entry {
  /** The same content at another path, or under other limits, is parsed again: messages name the path. */
  variant: string;
  yaml: YamlFile;
  bytes: number;
}

// Parsed data takes several times the text in the heap (objects, strings, the kept text itself).
const BYTES_PER_TEXT_BYTE = 8;

/** A parse cache bounded by memory (least recently used parses go first). */
export function createParseCache(options: ParseCacheOptions = {}): ParseCache {
  const entries = new LRUCache<string, Entry>({ maxSize: options.maxBytes ?? 64 * 1024 * 1024, sizeCalculation: (e) => Math.max(1, e.bytes) });
  return {
    has: (id) => entries.has(id),
    parse(id, file, limits, read) {
      const variant = `${file}\0${limits.maxFileBytes ?? ''}\0${limits.maxAliasCount ?? ''}`;
      const kept = entries.get(id);
      if (kept?.variant === variant) {
        options.onLookup?.(true);
        return kept.yaml;
      }
      options.onLookup?.(false);
      const content = read();
      const yaml = parseYamlFile(file, content, limits);
      entries.set(id, { variant, yaml, bytes: content.length * BYTES_PER_TEXT_BYTE + 512 });
      return yaml;
    },
  };
}
