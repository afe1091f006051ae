import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { crdProblemsAll } from '../helpers/crd.js';
import { fixture, projectRoot, runCli } from '../fixtures/core-support/support.js';

const REPO_URL = 'https://git.example.com/platform.git';
const REVISION = '4f1c2a9d0b7e6c5a4f3e2d1c0b9a8f7e6d5c4b3a';

/** Argo CD v3.5's CMP environment for the app `platform`, as the repo-server sets it. */
function cmpEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ARGOCD_APP_NAME: 'platform',
    ARGOCD_APP_NAMESPACE: 'argocd',
    ARGOCD_APP_PROJECT_NAME: 'default',
    ARGOCD_APP_REVISION: REVISION,
    ARGOCD_APP_REVISION_SHORT: REVISION.slice(0, 7),
    ARGOCD_APP_REVISION_SHORT_8: REVISION.slice(0, 8),
    ARGOCD_APP_SOURCE_REPO_URL: REPO_URL,
    ARGOCD_APP_SOURCE_PATH: '.',
    ARGOCD_APP_SOURCE_TARGET_REVISION: 'main',
    KUBE_VERSION: '1.31.4',
    KUBE_API_VERSIONS: 'v1,apps/v1,batch/v1,networking.k8s.io/v1,argoproj.io/v1alpha1',
    ARGOCD_APP_PARAMETERS: 'null',
    ...extra,
  };
}

// Every case starts real processes; on a loaded machine they take seconds each.
t.setTimeout(600_000);

// The CMP app above has its source path at the repository root ('.'): render is told the same, whatever git says about the fixture's folder.
const render = (...args: string[]) => runCli(['render', fixture('core-cmp'), '--repo-url', REPO_URL, '--revision', 'main', '--path-prefix', '.', ...args]);

t.test("generate under Argo CD's CMP environment prints exactly what render prints", async (t) => {
  const cwd = fixture('core-cmp');
  const all = runCli(['generate'], { cwd, env: cmpEnv() });
  t.equal(all.status, 0, all.stderr);
  const expected = render();
  t.equal(expected.status, 0, expected.stderr);
  t.equal(all.stdout, expected.stdout, 'the same bytes');
  t.same(crdProblemsAll(parseAllDocuments(all.stdout).map((d) => d.toJS())), []);
  t.match(all.stdout, 'revision: main', 'repo.revision is the source targetRevision');

  const byEnv = runCli(['generate'], { cwd, env: cmpEnv({ ARGOCD_ENV_CLUSTER: 'alpha' }) });
  t.equal(byEnv.status, 0, byEnv.stderr);
  t.equal(byEnv.stdout, render('--cluster', 'alpha').stdout, 'ARGOCD_ENV_CLUSTER narrows like --cluster');

  const byNamespace = runCli(['generate'], { cwd, env: cmpEnv({ ARGOCD_ENV_NAMESPACE: 'ops', ARGOCD_ENV_CLUSTER: 'alpha,beta' }) });
  t.equal(byNamespace.stdout, render('--namespace', 'ops').stdout, 'ARGOCD_ENV_NAMESPACE narrows like --namespace');

  const params = JSON.stringify([
    { name: 'clusters', array: ['beta'] },
    { name: 'namespaces', string: 'web' },
  ]);
  const byParams = runCli(['generate'], { cwd, env: cmpEnv({ ARGOCD_APP_PARAMETERS: params, PARAM_CLUSTERS_0: 'beta', PARAM_NAMESPACES: 'web' }) });
  t.equal(byParams.status, 0, byParams.stderr);
  t.equal(byParams.stdout, render('--cluster', 'beta', '--namespace', 'web').stdout, 'parameters narrow like the options');
});

t.test('under a sub-folder of the Git repo, path sources carry ARGOCD_APP_SOURCE_PATH', async (t) => {
  const sourcePath = 'test/fixtures/core-cmp';
  const run = runCli(['generate'], { cwd: fixture('core-cmp'), env: cmpEnv({ ARGOCD_APP_SOURCE_PATH: sourcePath }) });
  t.equal(run.status, 0, run.stderr);
  t.equal(run.stdout, render('--path-prefix', sourcePath).stdout);
  const objects = parseAllDocuments(run.stdout).map((d) => d.toJS());
  const paths = objects.filter((o) => o.kind === 'Application' && o.spec.source.path).map((o) => o.spec.source.path);
  t.ok(paths.length >= 4);
  for (const p of paths) t.equal(p, `${sourcePath}/apps/web/static`);
  t.notOk(
    objects.some((o) => o.spec.source?.chart && o.spec.source.path),
    'chart sources have no path',
  );
});

t.test('generate exits non-zero with nothing on stdout on broken input or an unknown parameter', async (t) => {
  const broken = runCli(['generate'], { cwd: fixture('core-cmp-broken'), env: cmpEnv() });
  t.not(broken.status, 0);
  t.equal(broken.stdout, '');
  t.match(broken.stderr, 'apps/web/site.yaml:2: version: chart "site" has no version');

  const cwd = fixture('core-cmp');
  const unknown = runCli(['generate'], { cwd, env: cmpEnv({ ARGOCD_APP_PARAMETERS: JSON.stringify([{ name: 'clusterz', string: 'alpha' }]) }) });
  t.not(unknown.status, 0);
  t.equal(unknown.stdout, '');
  t.match(unknown.stderr, 'unknown plugin parameter "clusterz"');

  for (const bad of ['{not json', '{"name":"clusters"}', '[null]', '[{"name":"clusters","map":{"a":"b"}}]']) {
    const run = runCli(['generate'], { cwd, env: cmpEnv({ ARGOCD_APP_PARAMETERS: bad }) });
    t.not(run.status, 0, bad);
    t.not(run.status, 70, `${bad}: a usage error, not a crash`);
    t.equal(run.stdout, '', bad);
  }

  const unknownCluster = runCli(['generate'], { cwd, env: cmpEnv({ ARGOCD_ENV_CLUSTER: 'gamma' }) });
  t.not(unknownCluster.status, 0);
  t.equal(unknownCluster.stdout, '');

  const outside = runCli(['generate'], { cwd: projectRoot, env: cmpEnv() });
  t.not(outside.status, 0, 'a folder that is no platform repo');
  t.equal(outside.stdout, '');
});

t.test('output=projects prints exactly the AppProjects of render, output=applications exactly its Applications', async (t) => {
  const cwd = fixture('core-cmp');
  const everything = render();
  t.equal(everything.status, 0, everything.stderr);
  const all = parseAllDocuments(everything.stdout).map((d) => d.toJS());
  const kindsOf = (objects: { kind: string }[]): string[] => [...new Set(objects.map((o) => o.kind))];
  t.same(kindsOf(all), ['AppProject', 'Application'], 'the fixture has both kinds');

  const byKind = { projects: 'AppProject', applications: 'Application' } as const;
  for (const [output, kind] of Object.entries(byKind)) {
    const fromEnv = runCli(['generate'], { cwd, env: cmpEnv({ ARGOCD_ENV_OUTPUT: output }) });
    t.equal(fromEnv.status, 0, fromEnv.stderr);
    const objects = parseAllDocuments(fromEnv.stdout).map((d) => d.toJS());
    t.same(
      objects,
      all.filter((o) => o.kind === kind),
      `ARGOCD_ENV_OUTPUT=${output}: the ${kind}s of render, in its order`,
    );
    t.same(crdProblemsAll(objects), []);

    const only = render('--only', output);
    t.equal(only.status, 0, only.stderr);
    t.equal(fromEnv.stdout, only.stdout, `render --only ${output}: the same bytes`);

    const fromParameter = runCli(['generate'], {
      cwd,
      env: cmpEnv({ ARGOCD_APP_PARAMETERS: JSON.stringify([{ name: 'output', string: output }]), PARAM_OUTPUT: output }),
    });
    t.equal(fromParameter.status, 0, fromParameter.stderr);
    t.equal(fromParameter.stdout, fromEnv.stdout, `the output parameter selects like ARGOCD_ENV_OUTPUT=${output}`);
  }

  const filtered = runCli(['generate'], { cwd, env: cmpEnv({ ARGOCD_ENV_OUTPUT: 'projects', ARGOCD_ENV_NAMESPACE: 'ops' }) });
  t.equal(filtered.status, 0, filtered.stderr);
  t.equal(filtered.stdout, render('--only', 'projects', '--namespace', 'ops').stdout, 'filters narrow the projects too');
  t.same(
    parseAllDocuments(filtered.stdout).map((d) => d.toJS().metadata.name),
    ['ops'],
  );

  const explicitAll = runCli(['generate'], { cwd, env: cmpEnv({ ARGOCD_ENV_OUTPUT: 'all' }) });
  t.equal(explicitAll.stdout, everything.stdout, 'output=all is the default');
  t.equal(render('--only', 'all').stdout, everything.stdout);
});

t.test('an unknown output value exits non-zero with nothing on stdout', async (t) => {
  const cwd = fixture('core-cmp');
  const envs: Record<string, string>[] = [
    { ARGOCD_ENV_OUTPUT: 'project' },
    { ARGOCD_APP_PARAMETERS: JSON.stringify([{ name: 'output', string: 'everything' }]) },
  ];
  for (const env of envs) {
    const run = runCli(['generate'], { cwd, env: cmpEnv(env) });
    t.not(run.status, 0, JSON.stringify(env));
    t.not(run.status, 70, 'a usage error, not a crash');
    t.equal(run.stdout, '');
    t.match(run.stderr, /must be one of all, projects, applications/);
  }
  const bad = render('--only', 'apps');
  t.equal(bad.status, 2);
  t.equal(bad.stdout, '');
  t.match(bad.stderr, "option '--only <kinds>' argument 'apps' is invalid. Allowed choices are all, projects, applications, applicationset.");
});
