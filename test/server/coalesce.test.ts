import { LRUCache } from 'lru-cache';
import t from 'tap';
import { createCachedCoalescer, type LookupResult } from '../../src/server/generator/coalesce.js';

t.test('a key is built once however many ask for it at once, then answered from the cache', async (t) => {
  const cache = new LRUCache<string, { n: number }>({ max: 10 });
  const lookups: LookupResult[] = [];
  const cached = createCachedCoalescer(cache, (result) => lookups.push(result));
  let builds = 0;
  const build = async () => ({ n: ++builds });
  const [a, b] = await Promise.all([cached('k', build), cached('k', build)]);
  t.equal(builds, 1);
  t.equal(a, b);
  t.equal(await cached('k', build), a);
  t.same(lookups, ['miss', 'shared', 'hit']);
});

t.test('a failed build is not cached: the next call builds again', async (t) => {
  const cache = new LRUCache<string, { n: number }>({ max: 10 });
  const cached = createCachedCoalescer(cache);
  await t.rejects(
    cached('k', async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  t.same(await cached('k', async () => ({ n: 2 })), { n: 2 });
});
