/**
 * The sources never block the server and stop their work when asked: a
 * file not read ahead is read between loads (never by a blocking git call),
 * an aborted signal stops a call's git work, and close() stops everything.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { createError } from '../../src/core/errors.js';
import { openGitCommit, resolveRevision } from '../../src/sources/git/git.js';
import { openGitHubRepo } from '../../src/sources/github/github.js';
import { openGitRemote } from '../../src/sources/git/git-remote.js';
import { testApp } from '../fixtures/server-support/app.js';
import { startFakeGitHub } from '../fixtures/server-support/fake-github.js';
import { startGitHttpServer } from '../fixtures/server-support/git-http-server.js';
import { makeBareRemote, makeWorkTree, platformFiles, tempDir } from '../fixtures/server-support/git-repos.js';

/** The command lines of running git processes that name `needle` (a test server's URL). */
function gitProcessesNaming(needle: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(needle) && /\bgit/.test(line));
}

/** Waits until `check` holds, for at most `ms`. */
async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

t.test('with deferred reads a file that was not read ahead is read between loads, never by a blocking git call', async (t) => {
  const dir = makeWorkTree({ ...platformFiles(), 'docs/deep/a/b/c/notes.txt': 'later' });
  const files = await openGitCommit(dir, await resolveRevision(dir, 'HEAD'), { deferReads: true });
  t.equal(files.read('clusters/kind-dev.yaml').toString().startsWith('provider: kind'), true, 'what was read ahead reads at once');
  t.throws(
    () => files.read('docs/deep/a/b/c/notes.txt'),
    { code: 'GK_GIT', problems: [{ file: 'docs/deep/a/b/c/notes.txt' }] },
    'the rest fails, naming the file',
  );
  t.equal(await files.readDeferred!(), true, 'and is read in one batch');
  t.equal(files.read('docs/deep/a/b/c/notes.txt').toString(), 'later');
  t.equal(await files.readDeferred!(), false, 'nothing is left to read');
});

t.test('the server loads again when a file was not read ahead: a cluster symlinked from outside the served path', async (t) => {
  const remote = makeBareRemote({
    ...platformFiles('deploy/'),
    'outside/deep/er/than/four/c3.yaml': 'provider: kind\nserver: https://c3.example.com\n',
    'deploy/clusters/c3.yaml': { symlink: '../../outside/deep/er/than/four/c3.yaml' },
  });
  const { app, call } = await testApp({ repo: `file://${remote.bare}` });
  t.teardown(() => app.close());
  const res = await call({ path: 'deploy', cluster: 'c3' });
  t.equal(res.statusCode, 200, res.statusCode === 200 ? 'answered' : res.body);
  t.ok((res.json() as { output: { parameters: { cluster: { name: string } }[] } }).output.parameters.every((p) => p.cluster.name === 'c3'));
});

t.test("an aborted signal stops a call's wait for a remote that does not answer", async (t) => {
  const remote = makeBareRemote(platformFiles());
  const server = await startGitHttpServer(remote.bare.replace(/\/platform\.git$/, ''));
  t.teardown(() => server.close());
  server.mode = 'hang';
  const source = openGitRemote({
    url: `${server.url}/platform.git`,
    cacheDir: tempDir('gk-cache-'),
    credentials: {},
    refreshIntervalMs: 0,
    fetchTimeoutMs: 60_000,
  });
  t.teardown(() => source.close());
  const controller = new AbortController();
  const started = Date.now();
  const resolving = source.resolve('main', controller.signal);
  setTimeout(() => controller.abort(createError('GK_TIMEOUT', 'answering getparams took longer than 300 ms')), 300);
  await t.rejects(resolving, { code: 'GK_TIMEOUT', message: /took longer than 300 ms/ });
  t.ok(Date.now() - started < 5_000, `stopped after ${Date.now() - started} ms, not at the 60 s fetch timeout`);
  const opened = new AbortController();
  opened.abort(createError('GK_TIMEOUT', 'gone'));
  await t.rejects(source.open('0'.repeat(40), '', { signal: opened.signal }), { code: 'GK_TIMEOUT', message: 'gone' }, 'an aborted open runs no git');
});

t.test("closing the server stops the git work in flight: the call fails at once and git's processes are gone", async (t) => {
  const remote = makeBareRemote(platformFiles());
  const server = await startGitHttpServer(remote.bare.replace(/\/platform\.git$/, ''));
  t.teardown(() => server.close());
  server.mode = 'hang';
  const { app, call } = await testApp({ repo: `${server.url}/platform.git`, fetchTimeoutMs: 60_000, requestTimeoutMs: 60_000 });
  const started = Date.now();
  const answer = call({});
  t.ok(await eventually(() => gitProcessesNaming(server.url).length > 0, 10_000), 'git is fetching from the hanging remote');
  await app.close();
  const res = await answer;
  t.ok(res.statusCode >= 500, `answered ${res.statusCode}`);
  t.ok(Date.now() - started < 20_000, `stopped after ${Date.now() - started} ms, not at the 60 s fetch timeout`);
  t.ok(await eventually(() => gitProcessesNaming(server.url).length === 0, 5_000), `no git process left: ${gitProcessesNaming(server.url).join('; ')}`);
});

t.test('the GitHub source honours an aborted signal and close()', async (t) => {
  const work = makeWorkTree(platformFiles());
  const gh = await startFakeGitHub('acme', 'platform', work);
  t.teardown(() => gh.close());
  const source = openGitHubRepo({ url: 'https://github.com/acme/platform.git', apiUrl: gh.url, credentials: {}, refreshIntervalMs: 0, retryBaseMs: 5 });
  const commit = await source.resolve('main');
  const aborted = new AbortController();
  aborted.abort(createError('GK_TIMEOUT', 'gone'));
  const asked = gh.log.length;
  await t.rejects(source.open(commit, '', { signal: aborted.signal }), { code: 'GK_TIMEOUT', message: 'gone' });
  await t.rejects(source.resolve('main', aborted.signal), { code: 'GK_TIMEOUT' });
  t.equal(gh.log.length, asked, 'nothing was asked of GitHub');
  source.close();
  await t.rejects(source.resolve('main'), { code: 'GK_NOT_READY' }, 'a closed source answers nothing');
  t.equal(gh.log.length, asked);
});
