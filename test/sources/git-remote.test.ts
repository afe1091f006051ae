import t from 'tap';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { openGitRemote } from '../../src/sources/git/git-remote.js';
import { startGitHttpServer } from '../fixtures/server-support/git-http-server.js';
import { commitFiles, git, makeBareRemote, platformFiles, tempDir } from '../fixtures/server-support/git-repos.js';

const HOUR = 3_600_000;

function openRemote(url: string, refreshIntervalMs: number) {
  const fetches: boolean[] = [];
  const source = openGitRemote({
    url,
    cacheDir: tempDir('gk-cache-'),
    credentials: {},
    refreshIntervalMs,
    fetchTimeoutMs: 10_000,
    onFetch: (_s, ok) => fetches.push(ok),
  });
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
  t.same(fetches.slice(count), [true, false], 'the branches, then the commit by id, which the remote does not have');
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

/** The refs of the bare clone a source keeps in `cacheDir`. */
function clonedRefs(cacheDir: string): string[] {
  const [clone] = readdirSync(cacheDir).filter((d) => d.endsWith('.git'));
  return git(path.join(cacheDir, clone!), 'for-each-ref', '--format=%(refname)').split('\n').filter(Boolean);
}

t.test("a fork pull request's head commit resolves by its id, without fetching every pull-request ref", async (t) => {
  const remote = makeBareRemote(platformFiles());
  const cacheDir = tempDir('gk-cache-');
  const source = openGitRemote({ url: `file://${remote.bare}`, cacheDir, credentials: {}, refreshIntervalMs: HOUR, fetchTimeoutMs: 10_000 });
  const main = await source.resolve('main');
  // A fork's commit exists on the remote only under refs/pull/1/head, as on GitHub.
  git(remote.work, 'checkout', '-q', '-b', 'fork');
  const head = commitFiles(remote.work, { 'apps/guestbook/fork.yaml': 'repoURL: https://github.com/x/y.git\npath: y\ntargetRevision: main\n' });
  git(remote.work, 'push', '-q', 'origin', 'HEAD:refs/pull/1/head');
  for (let n = 2; n <= 40; n++) git(remote.work, 'push', '-q', 'origin', `${main}:refs/pull/${n}/head`);
  git(remote.work, 'checkout', '-q', 'main');
  t.equal(await source.resolve(head), head);
  t.equal((await source.open(head, '')).kind('apps/guestbook/fork.yaml'), 'file');
  t.same(
    clonedRefs(cacheDir).filter((r) => r.startsWith('refs/pull/')),
    [],
    'no pull-request ref was fetched',
  );
  t.equal(await source.resolve('main'), main, 'branches are unchanged');
});

t.test("over git's smart HTTP (protocol v2), a commit inside a fork pull request, not its tip, resolves by id", async (t) => {
  const remote = makeBareRemote(platformFiles());
  const server = await startGitHttpServer(remote.bare.replace(/\/platform\.git$/, ''));
  t.teardown(() => server.close());
  const cacheDir = tempDir('gk-cache-');
  const source = openGitRemote({ url: `${server.url}/platform.git`, cacheDir, credentials: {}, refreshIntervalMs: HOUR, fetchTimeoutMs: 10_000 });
  await source.resolve('main');
  git(remote.work, 'checkout', '-q', '-b', 'fork');
  const inside = commitFiles(remote.work, { 'apps/guestbook/fork.yaml': 'repoURL: https://github.com/x/y.git\npath: y\ntargetRevision: main\n' });
  commitFiles(remote.work, { 'apps/guestbook/fork.yaml': 'repoURL: https://github.com/x/y.git\npath: z\ntargetRevision: main\n' });
  git(remote.work, 'push', '-q', 'origin', 'HEAD:refs/pull/3/head');
  git(remote.work, 'checkout', '-q', 'main');
  t.equal(await source.resolve(inside), inside);
  t.equal((await source.open(inside, '')).kind('apps/guestbook/fork.yaml'), 'file');
  await t.rejects(source.resolve('1'.repeat(40)), { code: 'GK_UNKNOWN_REVISION' }, 'a commit the remote lacks is unknown, not a git failure');
});

t.test('a pull-request ref asked for by name is fetched from then on, and one that goes away breaks no fetch', async (t) => {
  const remote = makeBareRemote(platformFiles());
  const cacheDir = tempDir('gk-cache-');
  const fetches: boolean[] = [];
  const source = openGitRemote({
    url: `file://${remote.bare}`,
    cacheDir,
    credentials: {},
    refreshIntervalMs: 0,
    fetchTimeoutMs: 10_000,
    onFetch: (_s, ok) => fetches.push(ok),
  });
  const main = await source.resolve('main');
  git(remote.work, 'checkout', '-q', '-b', 'fork');
  const first = commitFiles(remote.work, { 'apps/guestbook/fork.yaml': 'repoURL: https://github.com/x/y.git\npath: y\ntargetRevision: main\n' });
  git(remote.work, 'push', '-q', 'origin', 'HEAD:refs/pull/7/head');
  git(remote.work, 'push', '-q', 'origin', `${main}:refs/pull/8/head`);
  t.equal(await source.resolve('refs/pull/7/head'), first);
  t.equal(await source.resolve('pull/7/head'), first, 'without refs/ too');
  t.same(
    clonedRefs(cacheDir).filter((r) => r.startsWith('refs/pull/')),
    ['refs/pull/7/head'],
    'that ref alone',
  );

  const second = commitFiles(remote.work, { 'apps/guestbook/fork.yaml': 'repoURL: https://github.com/x/y.git\npath: z\ntargetRevision: main\n' });
  git(remote.work, 'push', '-q', '-f', 'origin', 'HEAD:refs/pull/7/head');
  t.equal(await source.resolve('refs/pull/7/head'), second, 'it moves with the pull request');

  git(remote.work, 'push', '-q', 'origin', ':refs/pull/7/head');
  t.equal(await source.resolve('main'), main, 'a deleted pull-request ref does not fail the fetch');
  await t.rejects(source.resolve('refs/pull/7/head'), { code: 'GK_UNKNOWN_REVISION' }, 'and is unknown once gone');
  await t.rejects(source.resolve('refs/pull/404/head'), { code: 'GK_UNKNOWN_REVISION' }, 'one that never was is unknown');
  t.ok(fetches.every(Boolean), 'every fetch succeeded');
});
