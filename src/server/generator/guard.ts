import { createError } from '../../core/errors.js';
import { createSizedCache } from './sized-cache.js';

/**
 * The drop guard: refuses (503) a reply with fewer parameter sets than
 * `(1 - maxDrop)` times the last good reply to the same ApplicationSet and
 * input, because Argo CD deletes the Applications a 2xx leaves out.
 */
export function createDropGuard(maxDrop: number | undefined): (key: string | undefined, count: number) => void {
  // Keys hold the ApplicationSet name and input: counted in bytes, so long ones cannot grow it past this.
  const last = createSizedCache<number>(4 * 1024 * 1024, () => 8);
  return (key, count) => {
    if (maxDrop === undefined || key === undefined) return;
    const previous = last.get(key);
    if (previous !== undefined && count < previous * (1 - maxDrop)) {
      throw createError(
        'GK_GUARD',
        `the reply would drop ${previous - count} of ${previous} parameter sets (more than ${Math.round(maxDrop * 100)}%) compared with the last good reply; ` +
          'refusing so Argo CD deletes nothing. If this is intended, raise --max-drop or restart the generator',
      );
    }
    last.set(key, count);
  };
}
