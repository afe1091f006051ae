import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadPlatformRepo } from '../../src/core/load/load-platform-repo.js';
import { renderPlatform } from '../../src/core/render/render-platform.js';
import { openLocalRepo, openMemoryRepo } from '../../src/sources/repo-files.js';
import { applicationsByName, copyFixture, lintProblems, problemAt, problemsOf } from '../fixtures/core-support/support.js';

const SECRET = 'password: hunter2-do-not-leak';

function outsideDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gk-outside-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a path that climbs out of the repository is refused with its file, line and field', async (t) => {
  const problems = lintProblems('core-path-traversal');
  const escaped = problemAt(problems, 'apps/web/escape.yaml', 'path');
  t.equal(escaped.code, 'GK_PATH_ESCAPE');
  t.equal(escaped.line, 2);
  t.match(escaped.message, /leaves the repository/);
  t.equal(problemAt(problems, 'apps/web/absolute.yaml', 'path').code, 'GK_PATH_ESCAPE');
  // A path in another Git repository may not climb out of that one either.
  t.equal(problemAt(problems, 'apps/web/remote.yaml', 'path').code, 'GK_PATH_ESCAPE');
  const missing = problemAt(problems, 'apps/web/missing.yaml', 'path');
  t.equal(missing.code, 'GK_NOT_FOUND');
  t.equal(missing.line, 1);
  t.notOk(
    problems.some((p) => p.file === 'apps/web/ok.yaml'),
    'a path to a folder of the repo is fine',
  );
});

t.test('a symlink to a file outside the repository is refused and never read', async (t) => {
  const repo = copyFixture('core-symlinks', t.teardown);
  const outside = outsideDir(t);
  // A FIFO: opening it for reading would block this test until it times out.
  const fifo = path.join(outside, 'leak.yaml');
  execFileSync('mkfifo', [fifo]);
  symlinkSync(fifo, path.join(repo, 'apps/web/leak.yaml'));
  const problems = problemsOf(() => loadPlatformRepo(openLocalRepo(repo)));
  const p = problemAt(problems, 'apps/web/leak.yaml');
  t.equal(p.code, 'GK_PATH_ESCAPE');
  t.match(p.message, /outside the repository/);
  t.notOk(
    problems.some((x) => x.message.includes(outside)),
    'the target is not shown',
  );
});

t.test('a symlinked folder pointing out of the repository is refused without reading what it holds', async (t) => {
  const repo = copyFixture('core-symlinks', t.teardown);
  const outside = outsideDir(t);
  writeFileSync(path.join(outside, 'app.yaml'), `repoURL: https://charts.example.com\nchart: evil\nversion: 1.0.0\nvalues:\n  ${SECRET}\n`);
  symlinkSync(outside, path.join(repo, 'apps/evil'));
  const problems = problemsOf(() => renderPlatform(openLocalRepo(repo)));
  t.equal(problemAt(problems, 'apps/evil').code, 'GK_PATH_ESCAPE');
  t.notOk(problems.some((p) => p.message.includes('hunter2')));
});

t.test('a path: key through a symlink out of the repository is refused at the key', async (t) => {
  const repo = copyFixture('core-symlinks', t.teardown);
  const outside = outsideDir(t);
  symlinkSync(outside, path.join(repo, 'linked'));
  writeFileSync(path.join(repo, 'apps/web/through.yaml'), 'path: linked\n');
  const p = problemAt(
    problemsOf(() => loadPlatformRepo(openLocalRepo(repo))),
    'apps/web/through.yaml',
    'path',
  );
  t.equal(p.code, 'GK_PATH_ESCAPE');
  t.equal(p.line, 1);
});

t.test('a symlink inside the repository is followed like the file it points at', async (t) => {
  const repo = copyFixture('core-symlinks', t.teardown);
  symlinkSync('../../common/api.yaml', path.join(repo, 'apps/web/api.yaml'));
  mkdirSync(path.join(repo, 'real-manifests'));
  writeFileSync(path.join(repo, 'real-manifests/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
  mkdirSync(path.join(repo, 'apps/tools'));
  symlinkSync('../../real-manifests', path.join(repo, 'apps/tools/linked'));
  const apps = applicationsByName(renderPlatform(openLocalRepo(repo)));
  t.same(apps.get('web-api-in-cluster')?.spec.source, { repoURL: 'https://charts.example.com', chart: 'api', targetRevision: '2.0.0' });
  t.equal((apps.get('tools-linked-in-cluster')!.spec.source as { path: string }).path, 'apps/tools/linked');
  t.ok(apps.has('web-web-in-cluster'));
});

t.test('an in-memory tree (git, GitHub) refuses symlinks out of it, and follows those inside', async (t) => {
  const chart = Buffer.from('repoURL: https://charts.example.com\nchart: web\nversion: 1.0.0\n');
  const out = openMemoryRepo('mem', [
    { path: 'apps/web/web.yaml', type: 'file', content: chart },
    { path: 'apps/web/leak.yaml', type: 'symlink', content: Buffer.from('../../../etc/passwd') },
  ]);
  t.equal(
    problemAt(
      problemsOf(() => loadPlatformRepo(out)),
      'apps/web/leak.yaml',
    ).code,
    'GK_PATH_ESCAPE',
  );
  const absolute = openMemoryRepo('mem', [
    { path: 'apps/web/web.yaml', type: 'file', content: chart },
    { path: 'apps/web/abs.yaml', type: 'symlink', content: Buffer.from('/etc/passwd') },
  ]);
  t.equal(
    problemAt(
      problemsOf(() => loadPlatformRepo(absolute)),
      'apps/web/abs.yaml',
    ).code,
    'GK_PATH_ESCAPE',
  );
  const inside = openMemoryRepo('mem', [
    { path: 'common/web.yaml', type: 'file', content: chart },
    { path: 'apps/web/web.yaml', type: 'symlink', content: Buffer.from('../../common/web.yaml') },
  ]);
  t.same(
    loadPlatformRepo(inside).namespaces[0]!.apps.map((a) => a.name),
    ['web'],
  );
});
