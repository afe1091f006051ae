// A user's clone has only the repository: nothing the project runs may read a
// folder beside it (the Argo CD data it tests against lives in vendor/argo-cd).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot as root } from '../helpers/project-root.js';

// sha256 of the upstream files at v3.5.1, taken when they were copied in.
const SHA256 = {
  'application-crd.yaml': '5dde0e229249b6b707beb98674c1deae3949d5c319a6c45b9f5a80c99618e40c',
  'applicationset-crd.yaml': '7d282054f41ca2b71a22bab04a8caf0000e07e53a62432e6ea292dae5ab4f07d',
  'appproject-crd.yaml': 'ab225266944322750136f1198d93786e4a79a0e43c8d149abfba44da30a3eac8',
  'install.yaml': '795a3a972224da6a7f9d32c3e946445f062b60fb46028476715affeb688236e3',
};

t.test('no source, test, script or bench reads the shared folder beside the checkout', (t) => {
  const files = execFileSync('git', ['ls-files', 'src', 'test', 'scripts', 'bench', 'package.json'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && !f.startsWith('test/fixtures/') && f !== 'test/core/repo-hygiene.test.ts');
  t.ok(files.length > 50, 'lists the tracked files');
  const offenders = files.filter((f) => /\.\.\/shared|['"]shared['"],\s*['"]argo-cd['"]/.test(readFileSync(path.join(root, f), 'utf8')));
  t.same(offenders, []);
  t.end();
});

t.test('the vendored Argo CD data is the pinned upstream release, unedited', (t) => {
  const readme = readFileSync(path.join(root, 'vendor/argo-cd/README.md'), 'utf8');
  t.match(readme, /v3\.5\.1/);
  t.match(readme, /109ca7ca71139e514114499d294a492e7910a965/);
  t.match(readme, /Apache License 2\.0/);
  const sha = (f: string) =>
    createHash('sha256')
      .update(readFileSync(path.join(root, 'vendor/argo-cd', f)))
      .digest('hex');
  t.same(Object.fromEntries(['application-crd.yaml', 'applicationset-crd.yaml', 'appproject-crd.yaml', 'install.yaml'].map((f) => [f, sha(f)])), SHA256);
  t.end();
});
