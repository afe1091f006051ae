import t from 'tap';
import { objectsOf, renderPlatform, selectOutput } from '../../src/index.js';
import { openGitCommit, resolveRevision } from '../../src/sources/git/git.js';
import { crdProblemsAll } from '../helpers/crd.js';
import { commitFiles, git, makeWorkTree, platformFiles } from '../fixtures/server-support/git-repos.js';

t.test('revisions resolve to full commit ids: branch, tag, HEAD, short and full id', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const head = git(dir, 'rev-parse', 'HEAD');
  git(dir, 'tag', 'v1');
  git(dir, 'tag', '-a', 'v1-annotated', '-m', 'annotated');
  t.equal(await resolveRevision(dir, 'main'), head);
  t.equal(await resolveRevision(dir, 'HEAD'), head);
  t.equal(await resolveRevision(dir, ''), head);
  t.equal(await resolveRevision(dir, 'v1'), head);
  t.equal(await resolveRevision(dir, 'v1-annotated'), head, 'an annotated tag peels to its commit');
  t.equal(await resolveRevision(dir, head), head);
  t.equal(await resolveRevision(dir, head.slice(0, 10)), head);
});

t.test('an unknown or option-like revision is GK_UNKNOWN_REVISION', async (t) => {
  const dir = makeWorkTree(platformFiles());
  await t.rejects(resolveRevision(dir, 'nope'), { code: 'GK_UNKNOWN_REVISION' });
  await t.rejects(resolveRevision(dir, '0'.repeat(40)), { code: 'GK_UNKNOWN_REVISION' });
  await t.rejects(resolveRevision(dir, '--output=/tmp/x'), { code: 'GK_UNKNOWN_REVISION' });
  await t.rejects(resolveRevision(dir, 'main..other'), { code: 'GK_UNKNOWN_REVISION' });
});

t.test('a folder that is not a repository is GK_GIT', async (t) => {
  const dir = makeWorkTree({ 'a.txt': 'a' });
  await t.rejects(resolveRevision(`${dir}/nowhere`, 'main'), { code: 'GK_GIT' });
});

t.test('a commit opens as RepoFiles that render like the work tree', async (t) => {
  const dir = makeWorkTree(platformFiles('platform/'));
  const first = git(dir, 'rev-parse', 'HEAD');
  commitFiles(dir, { 'platform/apps/guestbook/other.yaml': 'repoURL: https://github.com/x/y.git\npath: y\ntargetRevision: main\n' });
  const files = await openGitCommit(dir, first, { path: 'platform' });
  t.same(files.list('apps/guestbook'), [{ name: 'guestbook.yaml', type: 'file' }], 'reads the commit, not the work tree');
  const objects = objectsOf(selectOutput(renderPlatform(files)));
  t.ok(objects.length > 0);
  t.same(crdProblemsAll(objects), []);
});

t.test('files outside the read-ahead are read lazily, symlinks resolve inside the tree and are refused outside', async (t) => {
  const dir = makeWorkTree({
    'docs/deep/a/b/c/notes.txt': 'lazy',
    'common/cluster.yaml': 'provider: kind\nserver: https://kubernetes.default.svc\n',
    'clusters/linked.yaml': { symlink: '../common/cluster.yaml' },
    'clusters/escape.yaml': { symlink: '../../etc/passwd' },
  });
  const files = await openGitCommit(dir, await resolveRevision(dir, 'HEAD'));
  t.equal(files.read('docs/deep/a/b/c/notes.txt').toString(), 'lazy');
  t.match(files.read('clusters/linked.yaml').toString(), /provider: kind/);
  t.throws(() => files.read('clusters/escape.yaml'), { code: 'GK_PATH_ESCAPE' });
});

t.test('a missing sub-folder or commit is reported, not an empty repo', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const head = git(dir, 'rev-parse', 'HEAD');
  await t.rejects(openGitCommit(dir, head, { path: 'nowhere' }), { code: 'GK_NOT_FOUND' });
  await t.rejects(openGitCommit(dir, 'f'.repeat(40)), { code: 'GK_UNKNOWN_REVISION' });
  await t.rejects(openGitCommit(dir, 'main'), { code: 'GK_UNKNOWN_REVISION' });
});
