import t from 'tap';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../../src/cli/cli.js';
import { helmEnv, packageCharts, run, startChartRepo, writeTree } from '../helpers/manifest-servers.js';

function commit(dir: string, message: string): string {
  const git = (...args: string[]): string => run('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
  git('add', '-A');
  git('commit', '-qm', message);
  return git('rev-parse', 'HEAD').trim();
}

async function diff(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['diff', ...args], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env, cwd: process.cwd() });
  return { code, stdout, stderr };
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}}
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec: {containers: [{name: x, image: "nginx:{{ .Chart.Version }}"}]}
`;
const secret = `apiVersion: v1
kind: Secret
metadata: {name: {{ .Release.Name }}-creds}
stringData:
  password: {{ .Values.password | quote }}
{{- if .Values.token }}
  token: {{ .Values.token | quote }}
{{- end }}
`;

t.test('diff --manifests renders the touched Applications at both revisions and shows resources and fields, never Secret values', async (t) => {
  const dir = t.testdir({});
  const env = { ...helmEnv(dir), GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache') };
  packageCharts(path.join(dir, 'charts'), [
    { name: 'demo', version: '1.0.0', values: 'replicas: 1\npassword: base-password-1\n', templates: { 'deploy.yaml': deployment, 'secret.yaml': secret } },
    {
      name: 'demo',
      version: '1.1.0',
      values: 'replicas: 1\npassword: head-password-2\ntoken: head-token-3\n',
      templates: { 'deploy.yaml': deployment, 'secret.yaml': secret },
    },
  ]);
  const charts = await startChartRepo(path.join(dir, 'charts'));
  t.teardown(() => charts.server.close());

  // The platform repo is a sub-folder of its Git repository.
  const top = path.join(dir, 'repo');
  const platform = path.join(top, 'platform');
  mkdirSync(platform, { recursive: true });
  run('git', ['-C', top, 'init', '-q', '-b', 'main']);
  writeTree(platform, {
    'gitops.yaml': 'repoURL: https://git.example.com/platform.git\npath: platform\ntargetRevision: main\n',
    'clusters/c1.yaml': 'provider: generic\nserver: https://c1.example.com\n',
    'apps/web/demo.yaml': 'repoURL: https://charts.example.com/stable\nchart: demo\nversion: 1.0.0\n',
    'apps/web/gone.yaml': 'repoURL: https://charts.example.com/stable\nchart: demo\nversion: 1.0.0\n',
    'apps/web/files/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: files}\ndata: {level: info}\n',
    'apps/web/same/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: same}\n',
  });
  const base = commit(top, 'base');
  writeTree(platform, {
    'apps/web/demo.yaml': 'repoURL: https://charts.example.com/stable\nchart: demo\nversion: 1.1.0\nvalues:\n  replicas: 3\n',
    'apps/web/gone.yaml': null,
    'apps/web/new.yaml': 'repoURL: https://charts.example.com/stable\nchart: demo\nversion: 1.0.0\n',
    // The Application of a folder app stays the same when a manifest in its folder changes.
    'apps/web/files/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: files}\ndata: {level: debug}\n',
  });
  commit(top, 'head');
  const map = ['--repo-map', `https://charts.example.com/stable=${charts.url}`];

  const text = await diff([platform, '--base', base, '--manifests', ...map], env);
  t.equal(text.stderr, '');
  t.equal(text.code, 1, 'different');
  t.match(text.stdout, /^~ Application web-demo-c1 \(web\/demo on c1\): resources 0 added, 0 removed, 2 changed$/m);
  t.match(text.stdout, /^ {8}~ spec\.replicas: 1 -> 3$/m, 'a field: old -> new');
  t.match(text.stdout, /^ {8}~ spec\.template\.spec\.containers\[0\]\.image: "nginx:1\.0\.0" -> "nginx:1\.1\.0"$/m);
  t.match(
    text.stdout,
    new RegExp(
      /^ {4}~ Secret\/\/web-demo-c1-creds \(v1\)\n {8}~ stringData\["password"\]: \(secret value changed, not shown\)\n/.source +
        / {8}\+ stringData\["token"\]: \(secret value added, not shown\)$/.source,
      'm',
    ),
  );
  t.match(
    text.stdout,
    new RegExp(
      /^\+ Application web-new-c1 \(web\/new on c1\): resources 2 added, 0 removed, 0 changed\n/.source +
        / {4}\+ Deployment\/\/web-new-c1 \(apps\/v1\)\n {4}\+ Secret\/\/web-new-c1-creds \(v1\)$/.source,
      'm',
    ),
  );
  t.match(text.stdout, /^- Application web-gone-c1 \(web\/gone on c1\): resources 0 added, 2 removed, 0 changed$/m);
  t.match(
    text.stdout,
    new RegExp(
      /^~ Application web-files-c1 \(web\/files on c1\): resources 0 added, 0 removed, 1 changed\n/.source +
        / {4}~ ConfigMap\/\/files \(v1\)\n {8}~ data\.level: "info" -> "debug"$/.source,
      'm',
    ),
    'a folder app whose file changed',
  );
  t.notMatch(text.stdout, /web-same/, 'untouched apps are not rendered or shown');
  t.notMatch(text.stdout, /password-|token-3/, 'no Secret value, old or new');

  const md = await diff([platform, '--base', base, '--manifests', '-o', 'markdown', ...map], env);
  t.equal(md.code, 1);
  t.match(
    md.stdout,
    new RegExp(
      /<details><summary>\n~ Application <code>web-demo-c1<\/code> — <code>web\/demo<\/code> on <code>c1<\/code>: /.source +
        /0 added, 0 removed, 2 changed\n<\/summary>\n\n```diff\n~ Deployment\/\/web-demo-c1/.source,
    ),
  );
  t.equal(md.stdout.match(/<details>/g)?.length, md.stdout.match(/<\/details>/g)?.length, 'every block closed');
  t.notMatch(md.stdout, /password-|token-3/);

  const json = await diff([platform, '--base', base, '--manifests', '-o', 'json', ...map], env);
  const parsed = JSON.parse(json.stdout) as { changed: boolean; manifests: { apps: { application: string }[] } };
  t.same(
    parsed.manifests.apps.map((a) => a.application),
    ['web-demo-c1', 'web-files-c1', 'web-gone-c1', 'web-new-c1'],
  );
  t.notMatch(json.stdout, /password-|token-3/);

  const same = await diff([platform, '--base', 'HEAD', '--manifests', ...map], env);
  t.equal(same.code, 0, 'no change: exit 0');
  t.match(same.stdout, /Resources: no Application changed/);
});

t.test('diff --manifests fails whole, naming the revision, when a chart cannot be fetched', async (t) => {
  const top = t.testdir({});
  run('git', ['-C', top, 'init', '-q', '-b', 'main']);
  writeTree(top, {
    'gitops.yaml': 'repoURL: https://git.example.com/platform.git\n',
    'clusters/c1.yaml': 'provider: generic\nserver: https://c1.example.com\n',
    'apps/web/a/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
  });
  const base = commit(top, 'base');
  writeTree(top, { 'apps/web/gone.yaml': 'repoURL: http://127.0.0.1:9/charts\nchart: gone\nversion: 1.0.0\n' });
  commit(top, 'head');
  const result = await diff([top, '--base', base, '--manifests'], { ...helmEnv(top), GITOPS_K8S_CACHE_DIR: path.join(top, '.cache') });
  t.equal(result.code, 2);
  t.match(result.stderr, /the manifests of .* cannot be rendered:\napps\/web\/gone\.yaml: web\/gone on cluster c1: helm pull of chart gone/);
  t.notMatch(result.stdout, /Resources/, 'no resource diff on a partial picture');
});
