import t from 'tap';
import { text as readText } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import { buildReply } from '../../src/server/generator/reply.js';

/** Writes `pieces` through the sink, waiting when it asks to. */
const writer = (pieces: string[]) => async (sink: (text: string) => void | Promise<void>) => {
  for (const piece of pieces) await sink(piece);
  return pieces.length;
};

t.test('a reply streamed through gzip unzips to exactly the text written, across batch edges, long pieces and non-ASCII', async (t) => {
  const pieces: string[] = [];
  for (let i = 0; i < 3000; i++) pieces.push(`{"name":"app-${i}","note":"${i % 7 === 0 ? 'café ☃ 𝄞' : 'x'.repeat(i % 500)}"},`);
  pieces.push('y'.repeat(600 * 1024), 'é'.repeat(100 * 1024), 'end');
  const text = pieces.join('');
  const reply = await buildReply(writer(pieces), 'c0ffee');
  t.equal(gunzipSync(await reply.gzipped()).toString('utf8'), text);
  t.equal(reply.length, Buffer.byteLength(text));
  t.equal(reply.count, pieces.length);
  t.equal(await readText(reply.plain()), text, 'the plain body is the same text');
});

t.test('only the gzip is held; the plain body is unzipped as it is read, a slice at a time', async (t) => {
  const piece = 'z'.repeat(64 * 1024);
  const pieces = Array.from({ length: 160 }, () => piece);
  const reply = await buildReply(writer(pieces), 'c0ffee');
  t.ok(reply.bytes < 1024 * 1024, `only the gzip is held (${reply.bytes} bytes)`);
  // A client that reads one chunk and stops: what the stream holds stays near its buffer sizes, not the 10 MiB body.
  const slow = reply.plain();
  const first = await new Promise<Buffer>((resolve) =>
    slow.once('data', (chunk: Buffer) => {
      slow.pause();
      resolve(chunk);
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.ok(first.length <= 64 * 1024);
  t.ok(slow.readableLength < 512 * 1024, `a paused reader holds ${slow.readableLength} bytes`);
  slow.destroy();
  let length = 0;
  for await (const chunk of reply.plain()) length += (chunk as Buffer).length;
  t.equal(length, 160 * 64 * 1024);
});

t.test('a producer that fails leaves no reply', async (t) => {
  await t.rejects(
    buildReply(async (sink) => {
      await sink('{"output":');
      throw new Error('render failed');
    }, 'c0ffee'),
    { message: 'render failed' },
  );
});
