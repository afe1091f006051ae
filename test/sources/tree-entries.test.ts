/**
 * What a git tree can hold besides plain files (broken symlinks, submodules,
 * strange names) is read the same by every source: the local folder, a
 * commit of a git repository and the GitHub API. None of them may turn it
 * into fewer Applications.
 */
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Problem } from '../../src/core/errors.js';
import { loadPlatformRepo } from '../../src/core/load/load-platform-repo.js';
import { openLocalRepo, type RepoFiles } from '../../src/sources/repo-files.js';
import { openGitCommit } from '../../src/sources/git/git.js';
import { openGitHubRepo } from '../../src/sources/github/github.js';
import { testApp } from '../fixtures/server-support/app.js';
import { startFakeGitHub } from '../fixtures/server-support/fake-github.js';
import { commitFiles, git, makeBareRemote, makeWorkTree, platformFiles, tempDir, type Files } from '../fixtures/server-support/git-repos.js';
import { problemsOf } from '../fixtures/core-support/support.js';

const CLUSTER = 'provider: kind\nserver: https://c3.example.com\n';
const APP = 'repoURL: https://github.com/x/y.git\npath: y\ntargetRevision: main\n';

/** The problems of loading a repo, without the ones every fixture has in common (none). */
function problems(repo: RepoFiles): { code: string; file?: string; message: string }[] {
  return problemsOf(() => loadPlatformRepo(repo)).map((p: Problem) => ({ code: p.code, file: p.file, message: p.message }));
}

/** The HEAD commit of a work tree, opened through the GitHub API served on loopback. */
async function openThroughGitHub(t: Test, work: string): Promise<RepoFiles> {
  const gh = await startFakeGitHub('acme', 'platform', work);
  t.teardown(() => gh.close());
  const source = openGitHubRepo({ url: 'https://github.com/acme/platform.git', apiUrl: gh.url, credentials: {}, retryBaseMs: 5 });
  return source.open(await source.resolve('main'), '');
}

/** A commit of the work tree read by each source: the checkout itself, git, and GitHub. */
async function everySource(t: Test, work: string): Promise<[string, RepoFiles][]> {
  return [
    ['local', openLocalRepo(work)],
    ['git', await openGitCommit(work, git(work, 'rev-parse', 'HEAD'))],
    ['github', await openThroughGitHub(t, work)],
  ];
}

t.test('a symlink whose target was removed is refused by every source, under its own name', async (t) => {
  const work = makeWorkTree({
    ...platformFiles(),
    'common/c3.yaml': CLUSTER,
    'common/app.yaml': APP,
    'clusters/c3.yaml': { symlink: '../common/c3.yaml' },
    'apps/guestbook/linked.yaml': { symlink: '../../common/app.yaml' },
  });
  commitFiles(work, {}, ['common/c3.yaml', 'common/app.yaml']);
  for (const [name, repo] of await everySource(t, work)) {
    const found = problems(repo);
    t.same(
      found.filter((p) => p.code === 'GK_PATH_ESCAPE'),
      [
        { code: 'GK_PATH_ESCAPE', file: 'apps/guestbook/linked.yaml', message: 'is a broken symlink' },
        { code: 'GK_PATH_ESCAPE', file: 'clusters/c3.yaml', message: 'is a broken symlink' },
      ],
      `${name}: both broken symlinks are named`,
    );
  }
});

t.test('a symlink to a symlink whose target is gone is reported under the name asked for', async (t) => {
  const work = makeWorkTree({
    ...platformFiles(),
    'common/c3.yaml': CLUSTER,
    'common/hop.yaml': { symlink: 'c3.yaml' },
    'clusters/c3.yaml': { symlink: '../common/hop.yaml' },
  });
  commitFiles(work, {}, ['common/c3.yaml']);
  for (const [name, repo] of await everySource(t, work)) {
    t.throws(() => repo.list('clusters'), { code: 'GK_PATH_ESCAPE', problems: [{ file: 'clusters/c3.yaml', message: 'is a broken symlink' }] }, name);
  }
});

t.test('the server answers a broken cluster symlink with an error, not with that cluster left out', async (t) => {
  const remote = makeBareRemote({ ...platformFiles(), 'common/c3.yaml': CLUSTER, 'clusters/c3.yaml': { symlink: '../common/c3.yaml' } });
  const { app, call } = await testApp({ repo: `file://${remote.bare}` });
  t.teardown(() => app.close());
  t.equal((await call({})).statusCode, 200, 'the symlinked cluster reads before its target is removed');
  commitFiles(remote.work, {}, ['common/c3.yaml']);
  remote.push();
  const res = await call({});
  t.equal(res.statusCode, 422);
  t.match(res.json().message, /clusters\/c3\.yaml: is a broken symlink/);
});

/** Commits a submodule (a gitlink to a commit of another repository) at each path, with its .gitmodules entry. */
function addSubmodules(work: string, paths: string[]): string {
  const other = makeWorkTree({ 'app.yaml': APP, 'deploy.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n' });
  const commit = git(other, 'rev-parse', 'HEAD');
  for (const p of paths) {
    git(work, 'update-index', '--add', '--cacheinfo', `160000,${commit},${p}`);
    git(work, 'config', '-f', '.gitmodules', `submodule.${p}.path`, p);
    git(work, 'config', '-f', '.gitmodules', `submodule.${p}.url`, `file://${other}`);
  }
  git(work, 'add', '.gitmodules');
  git(work, 'commit', '-q', '-m', 'submodules');
  return other;
}

t.test('a submodule where the platform repo reads is an error naming it, in every source; elsewhere it is fine', async (t) => {
  const work = makeWorkTree({ ...platformFiles(), 'apps/guestbook/chart.yaml': 'repoURL: https://github.com/x/y.git\npath: y\ntargetRevision: main\n' });
  addSubmodules(work, ['apps/guestbook/vendored', 'apps/team', 'docs/vendored']);
  // A checkout without --recurse-submodules: the submodules are empty folders.
  const checkout = tempDir('gk-checkout-');
  execFileSync('git', ['clone', '-q', work, checkout]);
  t.same(readdirSync(path.join(checkout, 'apps/team')), [], 'the clone holds an empty folder for the submodule');
  const sources: [string, RepoFiles][] = [['checkout', openLocalRepo(checkout)], ...(await everySource(t, work)).filter(([name]) => name !== 'local')];
  for (const [name, repo] of sources) {
    const found = problems(repo);
    const files = found.map((p) => p.file);
    t.ok(files.includes('apps/guestbook/vendored'), `${name}: the app folder that is a submodule is named: ${JSON.stringify(found)}`);
    t.ok(files.includes('apps/team'), `${name}: the namespace folder that is a submodule is named`);
    t.notOk(
      files.some((f) => f?.startsWith('docs')),
      `${name}: a submodule outside the platform folders is no problem`,
    );
    t.match(
      found.find((p) => p.file === 'apps/team'),
      { code: 'GK_SUBMODULE', message: name === 'checkout' ? /empty folder/ : /is a git submodule at commit [0-9a-f]{12}/ },
      name,
    );
    t.equal(repo.kind('docs/vendored'), 'dir', `${name}: a path: key may name a submodule (Argo CD checks it out)`);
  }
});

t.test('a backslash in a name outside the platform folders fails nothing; inside them it is an error naming the file', async (t) => {
  const strange: Files = { 'docs/we\\ird.txt': 'x', 'manifests/a\\b/cm.yaml': 'x' };
  const work = makeWorkTree({ ...platformFiles(), ...strange });
  for (const [name, repo] of await everySource(t, work)) {
    t.same(
      loadPlatformRepo(repo).namespaces.map((n) => n.name),
      ['guestbook', 'kube-system', 'observe'],
      `${name}: loads`,
    );
  }
  commitFiles(work, { 'apps/guestbook/we\\ird.yaml': APP });
  for (const [name, repo] of await everySource(t, work)) {
    t.same(
      problems(repo).filter((p) => p.code === 'GK_PATH_ESCAPE'),
      [{ code: 'GK_PATH_ESCAPE', file: 'apps/guestbook/we\\ird.yaml', message: 'path "apps/guestbook/we\\\\ird.yaml" has a character paths may not hold' }],
      name,
    );
  }
});

t.test('the server reads a repository with a strange name outside the platform folders', async (t) => {
  const remote = makeBareRemote({ ...platformFiles('deploy/'), 'docs/we\\ird.txt': 'x' });
  const { app, call } = await testApp({ repo: `file://${remote.bare}` });
  t.teardown(() => app.close());
  const res = await call({ path: 'deploy' });
  t.equal(res.statusCode, 200, res.statusCode === 200 ? 'answered' : res.body);
});
