import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';

/** A getparams reply, kept gzipped (Argo CD's Go client asks for gzip by default). */
export interface Reply {
  /** The body gzipped. */
  gzipped(): Promise<Buffer>;
  /**
   * The plain body (JSON), unzipped as the client reads it: a request holds
   * a slice at a time, never the whole body (100 clients without gzip once
   * held 100 copies of a 5,175-set reply, and RSS kept the gigabyte).
   */
  plain(): Readable;
  /** The plain body's length in bytes. */
  length: number;
  count: number;
  commit: string;
  /** What it holds in memory, for the reply cache. */
  bytes: number;
}

// zlib runs on the thread pool: text is handed over in batches, since one write per parameter set would cost more than the copy.
const BATCH_BYTES = 256 * 1024;
/** What the plain stream hands zlib at a time: pipe's backpressure then holds unzipping to the client's pace. */
const PLAIN_SLICE_BYTES = 16 * 1024;

function* slicesOf(buffer: Buffer): Generator<Buffer> {
  for (let at = 0; at < buffer.length; at += PLAIN_SLICE_BYTES) yield buffer.subarray(at, at + PLAIN_SLICE_BYTES);
}

/** Where reply text goes as it is made; may return a promise to slow the producer down. */
export type ReplySink = (text: string) => void | Promise<void>;

/**
 * Builds a reply by streaming the text `write` produces through gzip. The
 * text is encoded into two batch buffers in turn: one fills (main thread)
 * while zlib compresses the other (thread pool), and the producer waits when
 * both are taken. So a large reply never sits in memory uncompressed, and
 * making it allocates two buffers instead of one per parameter set (tens of
 * thousands of short-lived buffers fragmented the allocator: about 50 MiB
 * of RSS left behind by the full reply of the 40,000-app repo).
 */
export async function buildReply(write: (sink: ReplySink) => Promise<number>, commit: string): Promise<Reply> {
  const zip = createGzip({ level: 6 });
  const out: Buffer[] = [];
  zip.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    zip.on('end', resolve);
    zip.on('error', reject);
  });
  let length = 0;
  const buffers = [Buffer.allocUnsafeSlow(BATCH_BYTES), Buffer.allocUnsafeSlow(BATCH_BYTES)];
  const inFlight: (Promise<void> | undefined)[] = [undefined, undefined];
  let current = 0;
  let at = 0;
  const send = (chunk: Buffer): Promise<void> => {
    // The callback comes once zlib has consumed the chunk: only then may its buffer be filled again.
    return new Promise((resolve, reject) => zip.write(chunk, (error) => (error ? reject(error) : resolve())));
  };
  const flush = async (): Promise<void> => {
    if (at > 0) {
      inFlight[current] = send(buffers[current]!.subarray(0, at));
      current ^= 1;
      at = 0;
    }
    const busy = inFlight[current];
    if (busy) {
      inFlight[current] = undefined;
      await busy;
    }
  };
  let count: number;
  try {
    count = await write((text) => {
      // UTF-8 takes at most three bytes per UTF-16 unit.
      if (text.length * 3 <= BATCH_BYTES - at) {
        const written = buffers[current]!.write(text, at);
        at += written;
        length += written;
        return undefined;
      }
      return flush().then(async () => {
        if (text.length * 3 <= BATCH_BYTES) {
          const written = buffers[current]!.write(text, 0);
          at = written;
          length += written;
          return;
        }
        // Longer than a batch (one very large parameter set): a buffer of its own.
        const bytes = Buffer.from(text);
        length += bytes.length;
        await send(bytes);
      });
    });
    await flush();
    await Promise.all(inFlight);
    zip.end();
    await ended;
  } catch (error) {
    zip.destroy();
    throw error;
  }
  const gzipped = Buffer.concat(out);
  return {
    gzipped: async () => gzipped,
    // Not kept: a client without gzip is rare, and a kept plain body cost as much memory as twenty gzipped ones.
    plain: () => Readable.from(slicesOf(gzipped), { objectMode: false }).pipe(createGunzip()),
    length,
    count,
    commit,
    bytes: gzipped.length + 1024,
  };
}
