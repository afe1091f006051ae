// Credentials of private chart repositories and OCI registries from Argo CD's repository Secrets
// (GITOPS_K8S_REPO_CREDENTIALS): a real helm against a loopback chart repository that asks for
// HTTP basic auth and a docker-registry with htpasswd, the password never in argv or output.
import t from 'tap';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isGitopsError } from '../../src/core/errors.js';
import { findRepoCredential, loadRepoCredentials, parseRepoCredentials, type RepoCredentials } from '../../src/manifests/repo-credentials.js';
import { helmBinary } from '../helpers/tools.js';
import { startGitHttpServer } from '../fixtures/server-support/git-http-server.js';
import { makeBareRemote } from '../fixtures/server-support/git-repos.js';
import { helmEnv, packageCharts, run, startChartRepo, startOciRegistry, writeTree, runCheck as check } from '../helpers/manifest-servers.js';

const USER = 'chart-reader';
const PASSWORD = 'http-s3cret-Pa55';
// bcrypt (cost 5) of OCI_PASSWORD, for docker-registry's htpasswd.
const OCI_PASSWORD = 'oci-s3cret-Pa55';
const OCI_HTPASSWD = `${USER}:$2b$05$jjA5LLH2TwSNq4JSTAqkMuoVgGfG5h2J1VwLsuxXqYdI19F.ArpLi\n`;

/** A helm that logs its arguments (one run a line) before running the real one: what `ps` would show. */
function loggingHelm(dir: string): { helm: string; log: string } {
  const log = path.join(dir, 'helm-argv.log');
  const helm = path.join(dir, 'helm-logged');
  writeFileSync(helm, `#!/bin/sh\nprintf '%s ' "$@" >> '${log}'\necho >> '${log}'\nexec '${helmBinary()}' "$@"\n`);
  chmodSync(helm, 0o755);
  return { helm, log };
}

const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}}\ndata: {a: "1"}\n';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Secrets as `kubectl get secret -o yaml` prints them: a List, data in base64. */
function kubectlList(secrets: { name: string; type: 'repository' | 'repo-creds'; data: Record<string, string> }[]): string {
  const items = secrets.map(
    (s) =>
      `- apiVersion: v1\n  kind: Secret\n  type: Opaque\n  metadata:\n    name: ${s.name}\n    namespace: argocd\n` +
      `    labels:\n      argocd.argoproj.io/secret-type: ${s.type}\n  data:\n` +
      Object.entries(s.data)
        .map(([k, v]) => `    ${k}: ${b64(v)}\n`)
        .join(''),
  );
  return `apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: ""\nitems:\n${items.join('')}`;
}

t.test('a private HTTP chart repository: check fails without credentials, passes with the Argo CD Secret, and never shows the password', async (t) => {
  const dir = t.testdir({});
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp);
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  t.teardown(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  });
  packageCharts(path.join(dir, 'charts'), [{ name: 'demo', version: '1.0.0', templates: { 'cm.yaml': configMap } }]);
  const repo = await startChartRepo(path.join(dir, 'charts'), { username: USER, password: PASSWORD });
  t.teardown(() => repo.server.close());
  const { helm, log } = loggingHelm(dir);
  const platform = writeTree(path.join(dir, 'platform'), {
    'gitops.yaml': 'repoURL: https://git.example.com/platform.git\n',
    'clusters/c1.yaml': 'provider: generic\nserver: https://c1.example.com\n',
    'apps/web/demo.yaml': `repoURL: ${repo.url}\nchart: demo\nversion: 1.0.0\n`,
  });
  const base = { ...helmEnv(dir), GITOPS_K8S_HELM: helm };

  const anonymous = await check([platform], { ...base, GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache-1') });
  t.equal(anonymous.code, 1);
  t.match(
    anonymous.stderr,
    /^apps\/web\/demo\.yaml: web\/demo on cluster c1: helm pull of chart demo 1\.0\.0 from http:\/\/127\.0\.0\.1:\d+\/charts failed: .*401 Unauthorized/m,
  );
  t.match(anonymous.stderr, /refused access \(authentication failed\); no credentials were sent: set GITOPS_K8S_REPO_CREDENTIALS/);

  const wrong = path.join(dir, 'wrong.yaml');
  writeFileSync(
    wrong,
    kubectlList([{ name: 'charts', type: 'repository', data: { type: 'helm', url: repo.url, username: USER, password: 'not-the-Pa55word' } }]),
  );
  const refused = await check([platform, '-o', 'json'], { ...base, GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache-2'), GITOPS_K8S_REPO_CREDENTIALS: wrong });
  t.equal(refused.code, 1);
  t.match(refused.stderr, /web\/demo on cluster c1: .*401 Unauthorized/);
  t.match(refused.stderr, new RegExp(`the credentials of Secret charts \\(${wrong.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\) were refused`));
  t.notMatch(refused.stderr + refused.stdout, 'not-the-Pa55word', 'a refused password is not shown either');

  const creds = path.join(dir, 'creds.yaml');
  writeFileSync(
    creds,
    kubectlList([
      { name: 'charts', type: 'repository', data: { type: 'helm', url: `${repo.url}/`, username: USER, password: PASSWORD, forceHttpBasicAuth: 'true' } },
    ]),
  );
  const env = { ...base, GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache-3'), GITOPS_K8S_REPO_CREDENTIALS: creds };
  const ok = await check([platform, '-o', 'json'], env);
  t.equal(ok.stderr, '');
  t.equal(ok.code, 0, 'the chart is pulled with the Secret');
  t.match(JSON.parse(ok.stdout), { findings: [], renders: { runs: 1 } });
  const text = await check([platform], { ...env, GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache-4') });
  t.match(text.stdout, /^ok: 1 resources of 1 Applications on 1 clusters/m);
  t.ok(
    repo.authorized.some((u) => u.endsWith('/index.yaml')) && repo.authorized.some((u) => u.endsWith('.tgz')),
    'index and chart were asked for with credentials',
  );

  const argv = readFileSync(log, 'utf8');
  t.notMatch(argv, PASSWORD, 'the password is never an argument of helm');
  t.notMatch(argv, b64(`${USER}:${PASSWORD}`));
  t.match(argv, /repo add gitops-k8s-creds .* --username chart-reader --password-stdin/);
  for (const r of [anonymous, refused, ok, text]) t.notMatch(r.stdout + r.stderr, PASSWORD, 'nor in any output');
  t.same(
    readdirSync(tmp).filter((f) => f.startsWith('gitops-k8s-creds-')),
    [],
    'the private temp folders are removed',
  );
});

t.test('a Secret scoped to a project serves only that project: an app of another project never reuses its pull', async (t) => {
  const dir = t.testdir({});
  packageCharts(path.join(dir, 'charts'), [{ name: 'demo', version: '1.0.0', templates: { 'cm.yaml': configMap } }]);
  const repo = await startChartRepo(path.join(dir, 'charts'), { username: USER, password: PASSWORD });
  t.teardown(() => repo.server.close());
  const app = `repoURL: ${repo.url}\nchart: demo\nversion: 1.0.0\n`;
  const platform = writeTree(path.join(dir, 'platform'), {
    'gitops.yaml': 'repoURL: https://git.example.com/platform.git\n',
    'clusters/c1.yaml': 'provider: generic\nserver: https://c1.example.com\n',
    'apps/web/demo.yaml': app,
    'apps/other/demo.yaml': app,
  });
  const creds = path.join(dir, 'creds.yaml');
  writeFileSync(
    creds,
    kubectlList([{ name: 'web-charts', type: 'repository', data: { type: 'helm', url: repo.url, username: USER, password: PASSWORD, project: 'web' } }]),
  );
  const env = { ...helmEnv(dir), GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache'), GITOPS_K8S_REPO_CREDENTIALS: creds };
  for (const round of ['cold cache', 'warm cache']) {
    const result = await check([platform], env);
    t.equal(result.code, 1, `${round}: the other project's app fails`);
    t.match(result.stderr, /^apps\/other\/demo\.yaml: other\/demo on cluster c1: .*401 Unauthorized/m, `${round}: as Argo CD would refuse it`);
    t.notMatch(result.stderr, /web\/demo on cluster c1/, `${round}: the project's own app pulls with its Secret`);
    t.notMatch(result.stdout + result.stderr, PASSWORD);
  }
});

t.test('a private Git source takes the username and password of a type: git Secret', async (t) => {
  const dir = t.testdir({});
  const remote = makeBareRemote({ 'deploy/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: private-config}\ndata: {a: "1"}\n' });
  remote.push();
  const server = await startGitHttpServer(path.dirname(remote.bare), { user: USER, password: PASSWORD });
  t.teardown(() => server.close());
  const platform = writeTree(path.join(dir, 'platform'), {
    'gitops.yaml': 'repoURL: https://git.example.com/platform.git\n',
    'clusters/c1.yaml': 'provider: generic\nserver: https://c1.example.com\n',
    'apps/web/private.yaml': `repoURL: ${server.url}/platform.git\npath: deploy\ntargetRevision: main\n`,
  });
  const base = { ...helmEnv(dir), GIT_TERMINAL_PROMPT: '0' };
  const anonymous = await check([platform], { ...base, GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache-1') });
  t.equal(anonymous.code, 1, 'without the Secret the source cannot be fetched');
  t.match(anonymous.stderr, /web\/private on cluster c1/);
  const creds = path.join(dir, 'creds.yaml');
  writeFileSync(creds, kubectlList([{ name: 'git', type: 'repo-creds', data: { type: 'git', url: server.url, username: USER, password: PASSWORD } }]));
  const ok = await check([platform, '-o', 'json'], { ...base, GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache-2'), GITOPS_K8S_REPO_CREDENTIALS: creds });
  t.equal(ok.stderr, '');
  t.equal(ok.code, 0, 'with it the source is fetched and rendered');
  t.match(JSON.parse(ok.stdout), { findings: [] });
  for (const r of [anonymous, ok]) t.notMatch(r.stdout + r.stderr, PASSWORD, 'the password is in no output');
});

t.test('repo-creds match by prefix on URL boundaries: another host or path never gets the password', async (t) => {
  const dir = t.testdir({});
  packageCharts(path.join(dir, 'charts'), [{ name: 'demo', version: '1.0.0', templates: { 'cm.yaml': configMap } }]);
  const repo = await startChartRepo(path.join(dir, 'charts'), { username: USER, password: PASSWORD });
  t.teardown(() => repo.server.close());
  // A repository anyone may read, that logs who sends an Authorization header.
  const other = await startChartRepo(path.join(dir, 'charts'));
  t.teardown(() => other.server.close());
  const origin = repo.url.replace(/\/charts$/, '');
  const platform = writeTree(path.join(dir, 'platform'), {
    'gitops.yaml': 'repoURL: https://git.example.com/platform.git\n',
    'clusters/c1.yaml': 'provider: generic\nserver: https://c1.example.com\n',
    'apps/web/inside.yaml': `repoURL: ${repo.url}\nchart: demo\nversion: 1.0.0\n`,
    // Same server, but a path that only string-starts with the prefix.
    'apps/web/sibling.yaml': `repoURL: ${origin}/charts-evil\nchart: demo\nversion: 1.0.0\n`,
    // A URL whose text starts with the prefix, though its host is the other server.
    'apps/web/userinfo.yaml': `repoURL: ${origin.replace('http://', 'http://x:')}@${other.url.replace('http://', '')}\nchart: demo\nversion: 1.0.0\n`,
    'apps/web/other.yaml': `repoURL: ${other.url}\nchart: demo\nversion: 1.0.0\n`,
  });
  const creds = path.join(dir, 'creds.yaml');
  // A broader template and the one for /charts: the longest prefix wins.
  writeFileSync(
    creds,
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: broad\n  labels: {argocd.argoproj.io/secret-type: repo-creds}\n' +
      `stringData:\n  type: helm\n  url: ${origin}\n  username: ${USER}\n  password: broad-but-wrong\n---\n` +
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: charts\n  labels: {argocd.argoproj.io/secret-type: repo-creds}\n' +
      `stringData:\n  type: helm\n  url: ${repo.url}\n  username: ${USER}\n  password: ${PASSWORD}\n`,
  );
  const result = await check([platform], { ...helmEnv(dir), GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache'), GITOPS_K8S_REPO_CREDENTIALS: creds });
  t.equal(result.code, 1);
  t.notMatch(result.stderr, /web\/inside on/, 'the app under the prefix got the longest match, and passed');
  t.match(
    result.stderr,
    /web\/sibling on cluster c1: .*401 Unauthorized.*\n.*the credentials of Secret broad/,
    '/charts-evil is not under /charts: only the broader template applies',
  );
  t.notMatch(result.stderr, /web\/other on|web\/userinfo on/, 'the other server asks for nothing: both apps passed');
  // helm sends the userinfo URL's own user and password (x:127.0.0.1:port); never a Secret's.
  const sent = other.authorizations.map((h) => Buffer.from(h.replace(/^Basic /, ''), 'base64').toString('utf8'));
  t.ok(sent.length > 0 && sent.every((s) => s.startsWith('x:127.0.0.1:')), "the other server saw only the URL's own userinfo");
  t.notOk(
    sent.some((s) => s.includes(PASSWORD) || s.includes('broad-but-wrong')),
    'and no password of the Secrets',
  );
  t.notMatch(result.stderr + result.stdout, PASSWORD);
  t.notMatch(result.stderr + result.stdout, 'broad-but-wrong');
});

t.test('findRepoCredential: exact beats prefix, boundaries, schemes, ports, types and projects', async (t) => {
  const secret = (name: string, type: string, data: Record<string, string>): string =>
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  labels: {argocd.argoproj.io/secret-type: ${type}}\nstringData:\n${Object.entries(data)
      .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`)
      .join('')}---\n`;
  const text =
    secret('prefix', 'repo-creds', { type: 'helm', url: 'https://charts.example.com', username: 'u', password: 'prefix-pass' }) +
    secret('deeper', 'repo-creds', { type: 'helm', url: 'https://Charts.example.com/team/', username: 'u', password: 'deeper-pass' }) +
    secret('exact', 'repository', { type: 'helm', url: 'https://charts.example.com/team/stable.git', username: 'u', password: 'exact-pass' }) +
    secret('scoped', 'repository', { type: 'helm', url: 'https://charts.example.com/scoped', username: 'u', password: 'scoped-pass', project: 'web' }) +
    secret('oci', 'repository', { type: 'helm', enableOCI: 'true', url: 'registry.example.com/charts', username: 'u', password: 'oci-pass' }) +
    secret('git', 'repo-creds', { url: 'https://git.example.com/org', username: 'u', password: 'git-pass' }) +
    secret('ssh', 'repo-creds', { url: 'git@git.example.com:org', sshPrivateKey: 'KEY' });
  const credentials: RepoCredentials = { source: 'creds.yaml', entries: parseRepoCredentials('creds.yaml', text) };
  const name = (url: string, kind: 'helm' | 'oci' | 'git' = 'helm', project?: string): string | undefined =>
    findRepoCredential(credentials, url, kind, project)?.name;
  t.equal(name('https://charts.example.com/team/stable'), 'exact', 'a repository Secret for the URL wins (.git and case aside)');
  t.equal(name('https://charts.example.com/team/other'), 'deeper', 'else the longest prefix');
  t.equal(name('https://charts.example.com/teams'), 'prefix', '/teams is not under /team');
  t.equal(name('https://charts.example.com/'), 'prefix');
  t.equal(name('https://charts.example.com.evil.test/team'), undefined, 'another host that starts with the same text');
  t.equal(name('https://charts.example.com@evil.test/team'), undefined, 'userinfo that looks like the host');
  t.equal(name('https://u:p@charts.example.com/team'), undefined, 'a URL with its own credentials gets none');
  t.equal(name('https://charts.example.com:8443/team'), undefined, 'another port');
  t.equal(name('http://charts.example.com/team'), undefined, 'another scheme');
  t.equal(name('https://charts.example.com:443/team/x'), 'deeper', 'the default port is the same origin');
  t.equal(name('https://charts.example.com/team', 'git'), undefined, 'helm Secrets are not used for Git');
  t.equal(name('https://charts.example.com/scoped'), 'prefix', "another project's Secret is not used");
  t.equal(name('https://charts.example.com/scoped', 'helm', 'web'), 'scoped', 'its own project uses it');
  t.equal(name('oci://registry.example.com/charts', 'oci'), 'oci', 'enableOCI: a host/path URL is oci://');
  t.equal(name('oci://registry.example.com/charts2', 'oci'), undefined);
  t.equal(name('https://git.example.com/org/repo.git', 'git'), 'git', 'type defaults to git');
  t.throws(
    () => findRepoCredential(credentials, 'ssh://git@git.example.com/org/repo', 'git'),
    { code: 'GK_REPO_CREDENTIALS', message: /Secret ssh .* uses sshPrivateKey, which gitops-k8s cannot use/ },
    'a matching Secret that cannot be used is an error',
  );
});

t.test('a malformed Secret file is refused naming the file and the field, never showing a password', async (t) => {
  const head = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  labels: {argocd.argoproj.io/secret-type: repository}\n';
  const cases: [string, RegExp, string | undefined][] = [
    [
      `${head}stringData:\n  url: https://c.example.com\n  pasword: hunter2-hunter2\n`,
      /Secret s: pasword is not a field of an Argo CD repository Secret/,
      'pasword',
    ],
    [`${head}data:\n  url: not*base64\n`, /Secret s: data\.url is not base64/, 'data.url'],
    [`${head}stringData:\n  url: https://c.example.com\n  insecure: "yes"\n`, /insecure must be "true" or "false"/, 'insecure'],
    [`${head}stringData:\n  url: https://c.example.com\n  insecure: true\n`, /stringData\.insecure is not a string \(quote it\)/, 'stringData.insecure'],
    [`${head}stringData:\n  username: u\n`, /Secret s: url is missing/, 'url'],
    [`${head}stringData:\n  url: https://u:hunter2-hunter2@c.example.com\n`, /url holds a user name or password/, 'url'],
    [`${head}stringData:\n  url: https://c.example.com\n  type: svn\n`, /type must be git, helm or oci/, 'type'],
    [`${head}stringData:\n  url: https://c.example.com\n  tlsClientCertData: CERT\n`, /tlsClientCertData and tlsClientCertKey go together/, 'tlsClientCertKey'],
    [
      'apiVersion: v1\nkind: Secret\nmetadata: {name: plain}\nstringData: {url: https://c.example.com}\n',
      /Secret plain: not labelled argocd\.argoproj\.io\/secret-type: repository or repo-creds/,
      'metadata.labels.argocd.argoproj.io/secret-type',
    ],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n', /object 1 is not a Kubernetes Secret/, 'kind'],
    [`${head}stringData:\n  url: https://c.example.com\n  password: "hunter2-hunter2\n`, /not valid YAML at line \d+, column \d+$/, undefined],
  ];
  const dir = t.testdir({});
  for (const [i, [text, message, field]] of cases.entries()) {
    const file = path.join(dir, `creds-${i}.yaml`);
    writeFileSync(file, text);
    try {
      loadRepoCredentials({ GITOPS_K8S_REPO_CREDENTIALS: file });
      t.fail(`case ${i} was accepted`);
    } catch (error) {
      if (!isGitopsError(error)) throw error;
      t.equal(error.code, 'GK_REPO_CREDENTIALS');
      t.match(error.problems[0], { file, field, message }, `case ${i}: ${message}`);
      t.notMatch(error.message, 'hunter2-hunter2', 'the value is not shown');
    }
  }
  t.throws(() => loadRepoCredentials({ GITOPS_K8S_REPO_CREDENTIALS: path.join(dir, 'absent.yaml') }), {
    code: 'GK_REPO_CREDENTIALS',
    message: /absent\.yaml, which cannot be read: ENOENT/,
  });

  // A folder: its YAML files are read, hidden ones (a mounted Secret's ..data) and others are not.
  const folder = path.join(dir, 'folder');
  mkdirSync(path.join(folder, '..data'), { recursive: true });
  writeFileSync(path.join(folder, 'a.yaml'), `${head}stringData:\n  url: https://a.example.com\n  type: helm\n`);
  writeFileSync(path.join(folder, 'b.yml'), `${head.replace('name: s', 'name: b')}data:\n  url: ${b64('https://b.example.com')}\n  type: ${b64('helm')}\n`);
  writeFileSync(path.join(folder, '.hidden.yaml'), 'garbage: [');
  writeFileSync(path.join(folder, 'README'), 'not read');
  t.same(
    loadRepoCredentials({ GITOPS_K8S_REPO_CREDENTIALS: folder }).entries.map((e) => e.url),
    ['https://a.example.com', 'https://b.example.com'],
  );
});

t.test('a credentials file inside the platform repo is never read', async (t) => {
  const dir = t.testdir({});
  const platform = writeTree(path.join(dir, 'repo'), {
    'platform/gitops.yaml': 'repoURL: https://git.example.com/platform.git\npath: platform\n',
    'platform/clusters/c1.yaml': 'provider: generic\nserver: https://c1.example.com\n',
    'platform/apps/web/cm/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n',
    // Outside the platform folder, but in its Git repository: a pull request could change where it points.
    'creds/charts.yaml':
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  labels: {argocd.argoproj.io/secret-type: repository}\n' +
      'stringData: {url: "https://evil.example.com", type: helm, username: u, password: p}\n',
  });
  const result = await check([path.join(platform, 'platform'), '--path-prefix', 'platform'], {
    ...helmEnv(dir),
    GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache'),
    GITOPS_K8S_REPO_CREDENTIALS: path.join(platform, 'creds'),
  });
  t.equal(result.code, 1);
  t.match(result.stderr, /GITOPS_K8S_REPO_CREDENTIALS names .*creds, which is inside the platform repo .*: credentials are never read from the platform repo/);
});

t.test('a private OCI registry (docker-registry with htpasswd): the Secret goes in a private registry config, not argv', async (t) => {
  const dir = t.testdir({});
  const env = helmEnv(dir);
  const [demo] = packageCharts(path.join(dir, 'charts'), [{ name: 'demo', version: '1.0.0', templates: { 'cm.yaml': configMap } }]);
  const registry = await startOciRegistry(path.join(dir, 'registry'), OCI_HTPASSWD);
  t.teardown(() => registry.child.kill());
  const pushConfig = path.join(dir, 'push-registry.json');
  writeFileSync(pushConfig, JSON.stringify({ auths: { [registry.host]: { auth: b64(`${USER}:${OCI_PASSWORD}`) } } }));
  run(helmBinary(), ['push', demo!, `oci://${registry.host}/charts`, '--plain-http', '--registry-config', pushConfig], { env });
  const { helm, log } = loggingHelm(dir);
  const platform = writeTree(path.join(dir, 'platform'), {
    'gitops.yaml': 'repoURL: https://git.example.com/platform.git\n',
    'clusters/c1.yaml': 'provider: generic\nserver: https://c1.example.com\n',
    'apps/web/demo.yaml': `repoURL: oci://${registry.host}/charts\nchart: demo\nversion: 1.0.0\n`,
  });
  const base = { ...env, GITOPS_K8S_HELM: helm, GITOPS_K8S_OCI_PLAIN_HTTP: 'true' };
  const anonymous = await check([platform], { ...base, GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache-1') });
  t.equal(anonymous.code, 1);
  t.match(
    anonymous.stderr,
    /web\/demo on cluster c1: helm pull of chart demo 1\.0\.0 from oci:\/\/127\.0\.0\.1:\d+\/charts failed: [\s\S]*refused access \(authentication failed\)/,
  );

  const creds = path.join(dir, 'creds.yaml');
  // Argo CD 2.x's way of writing an OCI Helm repository: type helm, enableOCI, no scheme.
  writeFileSync(
    creds,
    kubectlList([
      {
        name: 'registry',
        type: 'repository',
        data: { type: 'helm', enableOCI: 'true', url: `${registry.host}/charts`, username: USER, password: OCI_PASSWORD },
      },
    ]),
  );
  const ok = await check([platform], { ...base, GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache-2'), GITOPS_K8S_REPO_CREDENTIALS: creds });
  t.equal(ok.stderr, '');
  t.equal(ok.code, 0);
  const argv = readFileSync(log, 'utf8');
  t.match(argv, /pull oci:\/\/127\.0\.0\.1:\d+\/charts\/demo .*--plain-http --registry-config \S+\/gitops-k8s-creds-\w+\/registry\.json/);
  t.notMatch(argv, OCI_PASSWORD);
  t.notMatch(argv, b64(`${USER}:${OCI_PASSWORD}`));
  for (const r of [anonymous, ok]) t.notMatch(r.stdout + r.stderr, OCI_PASSWORD);
  const config = /--registry-config (\S+)/.exec(argv)![1]!;
  t.notOk(existsSync(config), 'the registry config is removed after the pull');
});
