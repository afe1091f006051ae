import type { LRUCache } from 'lru-cache';
import { collectGarbageSoon } from './collect-garbage.js';

/**
 * The cache keys of one commit of a (repo, path, revision) lineage. The model
 * is cached under `model`, its replies under `reply(selection)`, both
 * starting with `lineage`: when the lineage moves on to another commit, what
 * was cached for the older ones is found by that prefix and freed.
 */
export interface CacheKeys {
  /** Repo, path and revision, without the commit. */
  lineage: string;
  /** The lineage at one commit: the key of the loaded model (and of the rendered platform). */
  model: string;
  /** The key of the reply to one selection of the model. */
  reply(selectionKey: string): string;
}

export function cacheKeysOf(canonicalRepo: string, pathPrefix: string, revision: string, commit: string): CacheKeys {
  const lineage = `${canonicalRepo}\0${pathPrefix}\0${revision}\0`;
  const model = `${lineage}${commit}`;
  return { lineage, model, reply: (selectionKey) => `${model}\0${selectionKey}` };
}

/**
 * Frees what the caches hold for the lineage's other commits: a branch that
 * moved on is not asked for its older commits again (a pinned commit is a
 * lineage of its own), so one commit per branch stays in memory.
 */
export function freeOlderCommits(keys: CacheKeys, caches: readonly LRUCache<string, object>[]): void {
  let freed = false;
  for (const cache of caches) {
    for (const key of [...cache.keys()]) {
      if (key.startsWith(keys.lineage) && !key.startsWith(keys.model)) freed = cache.delete(key) || freed;
    }
  }
  if (freed) collectGarbageSoon();
}
