import t from 'tap';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { testApp } from '../fixtures/server-support/app.js';
import { makeWorkTree, platformFiles } from '../fixtures/server-support/git-repos.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A platform repo whose full reply is several MiB of JSON but gzips to little. */
function largeReplyRepo(): string {
  const files = { ...platformFiles() };
  const filler = 'x'.repeat(24 * 1024);
  for (let i = 0; i < 60; i++)
    files[`apps/bulk/app-${i}.yaml`] = `repoURL: https://charts.example.com\nchart: app-${i}\nversion: 1.0.0\nvalues:\n  filler: ${filler}\n`;
  return makeWorkTree(files);
}

t.test('concurrent clients without gzip do not each hold a copy of the plain reply, even when they stall', async (t) => {
  const { app, call } = await testApp({ repo: largeReplyRepo(), logger: false });
  t.teardown(() => app.close());
  const warm = await call({});
  t.equal(warm.statusCode, 200, warm.statusCode === 200 ? 'built' : warm.body);
  const plainBytes = warm.rawPayload.length;
  t.ok(plainBytes > 2 * 1024 * 1024, `the plain reply is ${plainBytes} bytes`);
  // A Unix socket: its kernel buffers hold a few hundred KiB a client, where loopback TCP's grow to
  // megabytes and would take a whole reply, so that a server holding a copy a client would pass.
  // In a short folder of its own: a socket's path has at most 107 bytes, and tap's test folders are longer.
  const socketDir = mkdtempSync(path.join(tmpdir(), 'gk-sock-'));
  t.teardown(() => rmSync(socketDir, { recursive: true, force: true }));
  const socketPath = path.join(socketDir, 'server.sock');
  await app.listen({ path: socketPath });
  const { TOKEN } = await import('../fixtures/server-support/app.js');

  gc();
  const before = process.memoryUsage().arrayBuffers;
  const clients = 30;
  const body = JSON.stringify({ applicationSetName: 'slow', input: { parameters: {} } });
  const headers = `Host: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  const request = `POST /api/v1/getparams.execute HTTP/1.1\r\n${headers}\r\n${body}`;
  const sockets: Socket[] = [];
  const heads: Promise<string>[] = [];
  for (let i = 0; i < clients; i++) {
    const socket = connect(socketPath);
    sockets.push(socket);
    // Reads the first chunk (the status line and headers), then stops reading, as a stalled client does.
    heads.push(
      once(socket, 'data').then(([chunk]) => {
        socket.pause();
        return String(chunk);
      }),
    );
    socket.write(request);
  }
  t.teardown(() => {
    for (const s of sockets) s.destroy();
  });
  const firsts = await Promise.all(heads);
  t.ok(
    firsts.every((h) => h.startsWith('HTTP/1.1 200 ')),
    'every client is being answered',
  );
  t.ok(
    firsts.every((h) => new RegExp(`\\r\\ncontent-length: ${plainBytes}\\r\\n`, 'i').test(h)),
    'with the length of the plain body',
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  // What the stalled clients keep alive, after a collection: the chunks already handed to the kernel are
  // garbage, which a peak sampled before collecting would count rather than what is held.
  gc();
  const held = process.memoryUsage().arrayBuffers - before;
  t.ok(
    held < (clients * plainBytes) / 3,
    `at most ${clients} clients hold ${(held / 2 ** 20).toFixed(1)} MiB of buffers, not ${clients} × ${(plainBytes / 2 ** 20).toFixed(1)} MiB`,
  );
});
