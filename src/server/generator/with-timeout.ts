import { createError } from '../../core/errors.js';

/** Runs `work`, failing with GK_TIMEOUT after `ms`; the timeout also aborts the signal `work` gets, which stops its git work and its render worker. */
export function withTimeout<T>(work: (signal: AbortSignal) => Promise<T>, ms: number, what: string): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = createError('GK_TIMEOUT', `${what} took longer than ${ms} ms`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  return Promise.race([work(controller.signal), timeout]).finally(() => clearTimeout(timer));
}
