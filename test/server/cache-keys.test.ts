import { LRUCache } from 'lru-cache';
import t from 'tap';
import { cacheKeysOf, freeOlderCommits } from '../../src/server/generator/cache-keys.js';

t.test('a lineage moving on frees the models and replies of its older commits, not those of other lineages', async (t) => {
  const cache = new LRUCache<string, object>({ max: 100 });
  const old = cacheKeysOf('repo', '.', 'main', 'a'.repeat(40));
  const other = cacheKeysOf('repo', '.', 'dev', 'a'.repeat(40));
  for (const keys of [old, other]) {
    cache.set(keys.model, {});
    cache.set(keys.reply('sel'), {});
  }
  const next = cacheKeysOf('repo', '.', 'main', 'b'.repeat(40));
  cache.set(next.reply('sel'), {});
  freeOlderCommits(next, [cache]);
  t.same([...cache.keys()].sort(), [next.reply('sel'), other.model, other.reply('sel')].sort());
});
