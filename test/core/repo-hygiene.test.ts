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
  'tool-versions.sh': '20e673ac123055b742e6b7308795b3a19f0586654a0f215bcc05368392eb2830',
  'checksums/helm-v4.2.1-linux-amd64.tar.gz.sha256': '9af72c59b48a8147a9f75b9a555870c0fa2de10bfa1f808d54e13019414df227',
  'checksums/helm-v4.2.1-linux-arm64.tar.gz.sha256': 'fa1ac20b0aaa4f1070eb7ea52ef2910b31a2e8c76bc6a81b37aa02c58d54fd87',
  'checksums/kustomize_5.8.1_linux_amd64.tar.gz.sha256': '699f7951e324b59b885a414c30519e74b3a2efffc805a926c562292bdee65534',
  'checksums/kustomize_5.8.1_linux_arm64.tar.gz.sha256': 'd72019d79e0fb0ec04134d0a0505f6a8bee141fb16a3b5b05b4d02a5824bfbc3',
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
  t.same(Object.fromEntries(Object.keys(SHA256).map((f) => [f, sha(f)])), SHA256);
  t.end();
});
