import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void;

let gc: GcFunction | undefined;
let scheduled = false;

function gcFunction(): GcFunction | undefined {
  if (gc) return gc;
  const exposed = (globalThis as { gc?: GcFunction }).gc;
  if (exposed) return (gc = exposed);
  try {
    // What --expose-gc gives, without asking every operator to start Node with it.
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as GcFunction;
  } catch {
    gc = undefined;
  }
  return gc;
}

/**
 * Asks V8 for a concurrent major collection on the next turn. The server calls
 * it when a branch moves on: the previous commit's loaded repo (tens of MiB for
 * a large platform repo) has just become garbage in the old generation, which
 * V8 would otherwise let grow until its own limit, and RSS with it (measured:
 * ten commits of the 2,000-app repo took the server from 187 to 250 MiB).
 */
export function collectGarbageSoon(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    gcFunction()?.({ type: 'major', execution: 'async' });
  }).unref();
}
