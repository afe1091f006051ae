import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import path from 'node:path';
import { errorCatalogue } from '../../src/core/errors.js';
import { testApp } from '../fixtures/server-support/app.js';
import { makeWorkTree, platformFiles, tempDir } from '../fixtures/server-support/git-repos.js';
import { projectRoot as root } from '../helpers/project-root.js';

const packageVersion = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** A reply body made from the catalogue: its status, code and title agree. */
function assertCatalogued(t: Test, res: { statusCode: number; json: () => unknown }, code: keyof typeof errorCatalogue): void {
  const body = res.json() as Record<string, unknown>;
  t.equal(res.statusCode, errorCatalogue[code].statusCode);
  t.same(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode']);
  t.equal(body.code, code);
  t.equal(body.statusCode, errorCatalogue[code].statusCode);
  t.equal(body.error, errorCatalogue[code].title);
  t.type(body.message, 'string');
}

t.test('404, not-ready and shutting-down replies are catalogue errors like every other', async (t) => {
  const { app, log } = await testApp({ repo: makeWorkTree(platformFiles()) });
  t.teardown(() => app.close());
  const missing = await app.inject({ url: '/no/such/route?token=x' });
  assertCatalogued(t, missing, 'GK_NOT_FOUND');
  t.equal((missing.json() as { message: string }).message, 'no route GET /no/such/route');
  const notReady = await app.inject({ url: '/readyz' });
  assertCatalogued(t, notReady, 'GK_NOT_READY');
  t.match((notReady.json() as { message: string }).message, /not been loaded yet/);
  t.match(log(), /"code":"GK_NOT_FOUND"/, 'counted and logged by the one error handler');
  const metrics = (await app.inject({ url: '/metrics' })).body;
  t.match(metrics, /gitops_k8s_errors_total\{code="GK_NOT_FOUND"\} 1\n/);
  t.match(metrics, /gitops_k8s_errors_total\{code="GK_NOT_READY"\} 1\n/);
});

t.test('a request that arrives while the server closes gets a catalogue 503 and a closed connection', async (t) => {
  const { app } = await testApp({ repo: makeWorkTree(platformFiles()) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  // Half a request: the connection is busy, so closing waits for it instead of dropping it as idle.
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const closed = app.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
  let raw = '';
  socket.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
  socket.write('\r\n');
  await once(socket, 'end');
  await closed;
  const [head, body] = raw.split('\r\n\r\n');
  t.match(head, /^HTTP\/1\.1 503 /);
  t.match(head, /\r\nconnection: close\r\n/i);
  t.same(JSON.parse(body!), {
    statusCode: 503,
    code: 'GK_NOT_READY',
    error: errorCatalogue.GK_NOT_READY.title,
    message: 'the generator is shutting down; retry',
  });
});

t.test("--version prints package.json's version, the one place it is written", async (t) => {
  const run = (bin: string) => spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
  const installed = run(path.join(root, 'dist/src/gitops-k8s.cjs'));
  t.equal(installed.status, 0, installed.stderr);
  t.equal(installed.stdout.trim(), packageVersion);
  // The same build under a package.json of another version prints that one.
  const copy = tempDir('gk-version-');
  cpSync(path.join(root, 'dist/src'), path.join(copy, 'dist/src'), { recursive: true });
  writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ name: 'gitops-k8s', version: '9.8.7-test.1', type: 'module' }));
  symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
  const moved = run(path.join(copy, 'dist/src/gitops-k8s.cjs'));
  t.equal(moved.status, 0, moved.stderr);
  t.equal(moved.stdout.trim(), '9.8.7-test.1');
});
