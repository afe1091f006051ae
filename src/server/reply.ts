import { createGzip, gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { ReplySink } from './prepared-sets.js';

/** A serialized getparams reply, kept gzipped (Argo CD's Go client asks for gzip by default). */
export interface Reply {
  /** The body gzipped. */
  gzipped(): Promise<Buffer>;
  /** The plain body (JSON): kept when small, otherwise unzipped on demand. */
  body(): Promise<Buffer>;
  /** The plain body's length in bytes. */
  length: number;
  count: number;
  commit: string;
  /** What it holds in memory, for the reply cache. */
  bytes: number;
}

/** Plain bodies up to this size are kept beside the gzipped one; larger ones are unzipped for the rare client without gzip. */
const KEEP_PLAIN_BYTES = 8 * 1024 * 1024;
// zlib runs on the thread pool: parts are handed over in batches, since one write per parameter set would cost more than the copy.
const BATCH_BYTES = 256 * 1024;
const gunzipAsync = promisify(gunzip);

/**
 * Builds a reply by streaming what `write` produces through gzip. The
 * producer waits while zlib catches up, so a large reply never sits in
 * memory uncompressed, and rendering (main thread) overlaps compression
 * (thread pool).
 */
export async function buildReply(write: (sink: ReplySink) => Promise<number>, commit: string): Promise<Reply> {
  const zip = createGzip({ level: 6 });
  const out: Buffer[] = [];
  zip.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    zip.on('end', resolve);
    zip.on('error', reject);
  });
  let plain: Buffer[] | undefined = [];
  let length = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const pass = (chunk: Buffer): Promise<void> | undefined => {
    if (plain) {
      if (length <= KEEP_PLAIN_BYTES) plain.push(chunk);
      else plain = undefined;
    }
    if (zip.write(chunk)) return undefined;
    return new Promise((resolve) => zip.once('drain', resolve));
  };
  const flush = (): Promise<void> | undefined => {
    if (batchBytes === 0) return undefined;
    const chunk = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes);
    batch = [];
    batchBytes = 0;
    return pass(chunk);
  };
  let count: number;
  try {
    count = await write((part) => {
      length += part.length;
      // A large part (a run of sets) goes to zlib as it is; small ones are batched.
      if (part.length >= BATCH_BYTES / 4) {
        const before = flush();
        if (before) return before.then(() => pass(part));
        return pass(part);
      }
      batch.push(part);
      batchBytes += part.length;
      return batchBytes >= BATCH_BYTES ? flush() : undefined;
    });
    await flush();
    zip.end();
    await ended;
  } catch (error) {
    zip.destroy();
    throw error;
  }
  const gzipped = Buffer.concat(out);
  const kept = plain && length <= KEEP_PLAIN_BYTES ? Buffer.concat(plain, length) : undefined;
  return {
    gzipped: async () => gzipped,
    body: async () => kept ?? (await gunzipAsync(gzipped)),
    length,
    count,
    commit,
    bytes: gzipped.length + (kept?.length ?? 0) + 1024,
  };
}
