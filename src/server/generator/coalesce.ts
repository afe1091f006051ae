/** How a lookup was answered: from the cache, by joining a build in flight, or by starting one. */
export type LookupResult = 'hit' | 'shared' | 'miss';

/** The cache a {@link createCachedCoalescer} keeps its results in (an LRU: it may decline or drop any of them). */
export interface ResultCache<T> {
  get(key: string): T | undefined;
  set(key: string, value: T): unknown;
}

/**
 * Returns the cached value for a key, or joins the build in flight for it,
 * or starts the build and caches its result: however many callers ask for a
 * key at once, it is built once. A failed build is not cached; the next call
 * builds again.
 */
export function createCachedCoalescer<T>(
  cache: ResultCache<T>,
  onLookup?: (result: LookupResult) => void,
): (key: string, build: () => Promise<T>) => Promise<T> {
  const inFlight = new Map<string, Promise<T>>();
  return async (key, build) => {
    const cached = cache.get(key);
    if (cached !== undefined) {
      onLookup?.('hit');
      return cached;
    }
    const running = inFlight.get(key);
    if (running) {
      onLookup?.('shared');
      return running;
    }
    onLookup?.('miss');
    const promise = build()
      .then((value) => {
        cache.set(key, value);
        return value;
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, promise);
    return promise;
  };
}
