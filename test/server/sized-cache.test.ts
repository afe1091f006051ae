import t from 'tap';
import { createSizedCache, keyBytes } from '../../src/server/generator/sized-cache.js';

t.test('the byte bound of a cache counts its keys: many small values under long keys stay under it', async (t) => {
  const maxBytes = 1024 * 1024;
  const cache = createSizedCache<{ bytes: number }>(maxBytes, (v) => v.bytes);
  for (let i = 0; i < 2000; i++) cache.set(`${'k'.repeat(10_000)}${i}`, { bytes: 10 });
  const keys = [...cache.keys()];
  const keyTotal = keys.reduce((n, k) => n + k.length * 2, 0);
  t.ok(cache.calculatedSize <= maxBytes, `counted ${cache.calculatedSize} bytes`);
  t.ok(keyTotal <= maxBytes, `the keys kept hold ${keyTotal} bytes`);
  t.ok(keys.length > 10 && keys.length < 100, `${keys.length} entries kept, the most recent`);
  t.equal(
    cache.calculatedSize,
    keys.reduce((n, k) => n + 10 + keyBytes(k), 0),
  );
});
