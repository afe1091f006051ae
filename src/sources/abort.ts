import { createError } from '../core/errors.js';

/** The reason a source's calls fail once it is closed. */
export function closedError(display: string): Error {
  return createError('GK_NOT_READY', `the source of ${display} was closed (the server is stopping)`);
}

/** A signal aborted by either of two (a call's and its source's), or the one given. */
export function eitherSignal(own: AbortSignal, call: AbortSignal | undefined): AbortSignal {
  return call ? AbortSignal.any([own, call]) : own;
}

/**
 * Waits for shared work (a fetch other calls also wait for), giving up when
 * `signal` is aborted: the work goes on for the others, this call stops waiting.
 */
export function waitUnlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, fail: () => Error): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(fail());
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(fail());
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}
