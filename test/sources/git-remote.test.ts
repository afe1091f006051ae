import t from 'tap';
import { openGitRemote } from '../../src/sources/git-remote.js';
import { startGitHttpServer } from '../fixtures/server-support/git-http-server.js';
import { commitFiles, git, makeBareRemote, platformFiles, tempDir } from '../fixtures/server-support/git-repos.js';

const HOUR = 3_600_000;

function openRemote(url: string, refreshIntervalMs: number) {
  const fetches: boolean[] = [];
  const source = openGitRemote({ url, cacheDir: tempDir('gk-cache-'), credentials: {}, refreshIntervalMs, fetchTimeoutMs: 10_000, onFetch: (_s, ok) => fetches.push(ok) });
  return { source, fetches };
}

t.test('a full commit id pushed after the last fetch is fetched at once, even within the refresh interval', async (t) => {
  const remote = makeBareRemote(platformFiles());
  const { source, fetches } = openRemote(`file://${remote.bare}`, HOUR);
  const first = await source.resolve('main');
  commitFiles(remote.work, { 'apps/guestbook/other.yaml': 'repoURL: https://github.com/x/y.git\npath: y\ntargetRevision: main\n' });
  const pushed = remote.push();
  t.equal(await source.resolve('main'), first, 'a branch within the interval stays on its fetched commit');
  t.equal(await source.resolve(pushed), pushed, 'the pushed commit is fetched and resolved');
  t.equal(await source.resolve(pushed.toUpperCase()), pushed);
  const files = await source.open(pushed, '');
  t.equal(files.kind('apps/guestbook/other.yaml'), 'file');
  const count = fetches.length;
  t.equal(await source.resolve(first), first);
  t.equal(fetches.length, count, 'a commit already in the clone is not fetched again');
  await t.rejects(source.resolve('0'.repeat(40)), { code: 'GK_UNKNOWN_REVISION' }, 'a commit the remote lacks is unknown after a fetch');
  t.equal(fetches.length, count + 1);
});

t.test('a full commit id asked for while an older fetch is in flight waits for a fetch that started after it', async (t) => {
  const remote = makeBareRemote(platformFiles());
  const server = await startGitHttpServer(remote.bare.replace(/\/platform\.git$/, ''));
  t.teardown(() => server.close());
  const { source } = openRemote(`${server.url}/platform.git`, 0);
  const first = await source.resolve('main');

  // The next ref listing is computed now (before the push) and delivered later.
  let release!: () => void;
  let listed!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const listedRefs = new Promise<void>((r) => (listed = r));
  let holds = 1;
  server.hold = (reply) => {
    if (holds === 0 || !reply.includes('refs/heads/main')) return undefined;
    holds--;
    listed();
    return gate;
  };
  const older = source.resolve('main');
  await listedRefs;
  commitFiles(remote.work, { 'apps/guestbook/other.yaml': 'repoURL: https://github.com/x/y.git\npath: y\ntargetRevision: main\n' });
  const pushed = remote.push();
  const asked = source.resolve(pushed);
  await new Promise((r) => setTimeout(r, 500));
  release();
  t.equal(await older, first, 'the fetch in flight saw the refs from before the push');
  t.equal(await asked, pushed, 'the commit was fetched again rather than reported unknown');
});

t.test('pull-request heads are fetched, so the head commit of a fork pull request resolves', async (t) => {
  const remote = makeBareRemote(platformFiles());
  const { source } = openRemote(`file://${remote.bare}`, HOUR);
  const main = await source.resolve('main');
  // A fork's commit exists on the remote only under refs/pull/1/head, as on GitHub.
  git(remote.work, 'checkout', '-q', '-b', 'fork');
  const head = commitFiles(remote.work, { 'apps/guestbook/fork.yaml': 'repoURL: https://github.com/x/y.git\npath: y\ntargetRevision: main\n' });
  git(remote.work, 'push', '-q', 'origin', 'HEAD:refs/pull/1/head');
  git(remote.work, 'checkout', '-q', 'main');
  t.equal(await source.resolve(head), head);
  t.equal((await source.open(head, '')).kind('apps/guestbook/fork.yaml'), 'file');
  t.equal(await source.resolve('refs/pull/1/head'), head, 'the ref itself resolves too');
  t.equal(await source.resolve('main'), main, 'branches are unchanged');
});
