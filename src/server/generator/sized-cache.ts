import { LRUCache } from 'lru-cache';

/** What an entry costs beyond its value and key: the LRU's slots and the Map entry. */
const ENTRY_BYTES = 64;

/**
 * The bytes a string key holds: two a character (V8 keeps a string with any
 * non-Latin-1 character at two), plus the entry. Keys come from requests
 * (repo URLs, paths, ApplicationSet names): left out of the count, many
 * small values under long keys grew memory past every limit.
 */
export function keyBytes(key: string): number {
  return key.length * 2 + ENTRY_BYTES;
}

/** An LRU bounded in bytes, keys included. */
export function createSizedCache<V extends {}>(maxBytes: number, sizeOf: (value: V) => number): LRUCache<string, V> {
  return new LRUCache<string, V>({
    maxSize: Math.max(1, Math.floor(maxBytes)),
    sizeCalculation: (value, key) => Math.max(1, Math.ceil(sizeOf(value))) + keyBytes(key),
  });
}
