import t from 'tap';
import { lintPlatform, renderPlatform } from '../../src/core/render/render-platform.js';
import { openMemoryRepo, type MemoryEntry } from '../../src/sources/repo-files.js';
import { problemAt, problemsOf } from '../fixtures/core-support/support.js';

const file = (p: string, text: string): MemoryEntry => ({ path: p, type: 'file', content: Buffer.from(text) });
const chart = 'repoURL: https://charts.example.com\nchart: c\nversion: 1.0.0\n';
const lint = (entries: MemoryEntry[]) => problemsOf(() => lintPlatform(openMemoryRepo('m', entries)));

t.test('non-finite numbers are a lint error at their file, line and field, in every kind of file', async (t) => {
  const entries = [
    file('gitops.yaml', 'repoURL: https://git.example.com/p.git\nvars:\n  ratio: .nan\n'),
    file('apps/web/api.yaml', `${chart}values:\n  limit: .inf\n  list: [1, -.Inf]\n`),
  ];
  const problems = lint(entries);
  const limit = problemAt(problems, 'apps/web/api.yaml', 'values.limit');
  t.equal(limit.code, 'GK_INVALID_VALUE');
  t.equal(limit.line, 5);
  t.match(limit.message, 'must be a finite number (got .inf)');
  t.match(problemAt(problems, 'apps/web/api.yaml', 'values.list[1]').message, 'got -.inf');
  t.equal(problemAt(problems, 'gitops.yaml', 'vars.ratio').line, 3);
  t.throws(() => renderPlatform(openMemoryRepo('m', entries)), { name: 'GitopsError' }, 'render refuses it as lint does, no null in the output');
});

t.test('__proto__ keys are refused in every layer, never dropped or made a prototype', async (t) => {
  const problems = lint([
    file('apps/web/namespace.yaml', 'defaults:\n  values:\n    base: 1\nvars:\n  __proto__:\n    polluted: yes\n'),
    file('apps/web/api.yaml', `${chart}values:\n  __proto__:\n    kept: 1\n`),
  ]);
  const values = problemAt(problems, 'apps/web/api.yaml', 'values.__proto__');
  t.equal(values.code, 'GK_INVALID_VALUE');
  t.equal(values.line, 5);
  t.match(values.message, 'the key __proto__ is refused');
  t.equal(problemAt(problems, 'apps/web/namespace.yaml', 'vars.__proto__').line, 5);
});

t.test('null removes any key of syncPolicy a lower layer or the built-in default set', async (t) => {
  const platform = renderPlatform(
    openMemoryRepo('m', [
      file('apps/web/namespace.yaml', 'defaults:\n  syncPolicy:\n    retry: { limit: 3, backoff: { duration: 5s, factor: 2 } }\n'),
      file('apps/web/api.yaml', `${chart}syncPolicy:\n  automated: { prune: null }\n  retry: { limit: null, backoff: { factor: null } }\n`),
    ]),
  );
  t.same(platform.apps[0]!.application.spec.syncPolicy, {
    automated: { selfHeal: true },
    syncOptions: ['CreateNamespace=true'],
    retry: { backoff: { duration: '5s' } },
  });
});

t.test('two cluster files with one Argo CD destination are an error naming both', async (t) => {
  const problems = lint([
    file('clusters/a.yaml', 'provider: kind\n'),
    file('clusters/b.yaml', 'provider: generic\nlabels: { env: dev }\n'),
    file('clusters/c.yaml', 'provider: eks\nserver: https://eks.example.com/\n'),
    file('clusters/d.yaml', 'provider: eks\nserver: https://EKS.example.com\n'),
    file('clusters/e.yaml', 'provider: gke\nname: prod\n'),
    file('clusters/f.yaml', 'provider: gke\nname: prod\n'),
    file('clusters/g.yaml', 'provider: gke\nname: other\n'),
    file('apps/web/api.yaml', chart),
  ]);
  t.same(
    problems.map((p) => `${p.code} ${p.file}:${p.line ?? ''} ${p.field ?? ''}`),
    ['GK_NAME_COLLISION clusters/b.yaml: ', 'GK_NAME_COLLISION clusters/d.yaml:2 server', 'GK_NAME_COLLISION clusters/f.yaml:2 name'],
  );
  t.match(
    problemAt(problems, 'clusters/b.yaml').message,
    'server https://kubernetes.default.svc (the default without server or name) is also the destination of clusters/a.yaml',
  );
  t.match(problemAt(problems, 'clusters/f.yaml').message, 'Argo CD cluster name "prod" is also the destination of clusters/e.yaml');
});

t.test('a cluster selector that matches no cluster is an error listing what the clusters have', async (t) => {
  const clusters = [
    file('clusters/prod-eu.yaml', 'provider: eks\nserver: https://eu.example.com\nlabels: { env: prod, region: eu }\n'),
    file('clusters/dev.yaml', 'provider: kind\n'),
  ];
  const problems = lint([
    ...clusters,
    file('apps/web/api.yaml', `${chart}clusters:\n  matchLabels: { env: production, regoin: eu }\n`),
    file('apps/web/off.yaml', `${chart}enabled: false\nclusters:\n  matchLabels: { env: production }\n`),
    file('apps/jobs/namespace.yaml', 'defaults:\n  clusters: { providers: [eks], names: [dev] }\n'),
    file('apps/jobs/cron.yaml', chart),
  ]);
  const api = problemAt(problems, 'apps/web/api.yaml', 'clusters');
  t.equal(api.code, 'GK_UNKNOWN_CLUSTER');
  t.equal(api.line, 5);
  t.match(api.message, 'matches no cluster');
  t.match(api.message, 'no cluster has env=production (did you mean "prod"?)');
  t.match(api.message, 'no cluster has the label "regoin" (did you mean "region"?)');
  t.match(api.message, 'the clusters are dev (provider kind, no labels); prod-eu (provider eks, labels env=prod, region=eu)');
  t.match(api.message, 'enabled: false');
  const folder = problemAt(problems, 'apps/jobs/namespace.yaml', 'defaults.clusters');
  t.equal(folder.line, 2);
  t.match(folder.message, '(app jobs/cron)');
  t.equal(problems.length, 2, 'an app with enabled: false may select nothing');
});

t.test('a cloud name for a provider suggests its preset: aws is eks, not aks', async (t) => {
  const problems = lint([
    file('clusters/a.yaml', 'provider: aws\nserver: https://a.example.com\n'),
    file('clusters/b.yaml', 'provider: gcp\nserver: https://b.example.com\n'),
    file('clusters/c.yaml', 'provider: Azure\nserver: https://c.example.com\n'),
    file('clusters/d.yaml', 'provider: do\nserver: https://d.example.com\n'),
    file('apps/web/api.yaml', `${chart}clusters: { providers: [google] }\n`),
  ]);
  t.match(problemAt(problems, 'clusters/a.yaml', 'provider').message, 'unknown provider "aws" (did you mean "eks"?)');
  t.match(problemAt(problems, 'clusters/b.yaml', 'provider').message, '(did you mean "gke"?)');
  t.match(problemAt(problems, 'clusters/c.yaml', 'provider').message, '(did you mean "aks"?)');
  t.match(problemAt(problems, 'clusters/d.yaml', 'provider').message, '(did you mean "digitalocean"?)');
  t.match(problemAt(problems, 'apps/web/api.yaml', 'clusters.providers[0]').message, '(did you mean "gke"?)');
});

t.test('every file under apps/, clusters/ and providers/ is read or an error naming it', async (t) => {
  const problems = lint([
    file('clusters/c1.yaml', 'provider: kind\n'),
    file('clusters/c2.YAML', 'provider: kind\nserver: https://c2.example.com\n'),
    file('clusters/notes.md', 'cluster notes\n'),
    file('clusters/.gitkeep', ''),
    file('providers/eks.yml ', 'defaults: {}\n'),
    file('apps/web/api.yaml', chart),
    file('apps/web/app.YAML', chart),
    file('apps/web/db.yaml ', chart),
    file('apps/web/.hidden.yaml', chart),
    file('apps/web/README.md', '# web\n'),
    file('apps/README.md', '# apps\n'),
  ]);
  t.same(problems.map((p) => `${p.code} ${p.file}`).sort(), [
    'GK_INVALID_NAME apps/README.md',
    'GK_INVALID_NAME apps/web/.hidden.yaml',
    'GK_INVALID_NAME apps/web/README.md',
    'GK_INVALID_NAME apps/web/app.YAML',
    'GK_INVALID_NAME apps/web/db.yaml ',
    'GK_INVALID_NAME clusters/c2.YAML',
    'GK_INVALID_NAME clusters/notes.md',
    'GK_INVALID_NAME providers/eks.yml ',
  ]);
  t.match(problemAt(problems, 'clusters/c2.YAML').message, 'only names ending exactly in .yaml or .yml are (rename it to "c2.yaml")');
  t.match(problemAt(problems, 'apps/web/db.yaml ').message, '(rename it to "db.yaml")');
  t.match(problemAt(problems, 'apps/web/README.md').message, 'apps/web/ holds only <app>.yaml files, app folders and namespace.yaml');
});

t.test('labels, paths and valueFiles are checked after templating', async (t) => {
  const long = 'x'.repeat(64);
  const problems = lint([
    file('gitops.yaml', 'repoURL: https://git.example.com/p.git\n'),
    file('apps/web/namespace.yaml', `vars:\n  long: ${long}\n  bad: "a b"\n  up: ../../../etc\n`),
    file('apps/web/labels.yaml', `${chart}labels:\n  tier: "{{vars.long}}"\n  team: "{{vars.bad}}"\n  "bad key": x\n`),
    file('apps/web/ext.yaml', 'repoURL: https://git.example.com/other.git\npath: "{{vars.up}}"\n'),
    file('apps/web/files.yaml', `${chart}valueFiles: [ok.yaml, ../secrets.yaml, /etc/passwd, "{{vars.up}}/x.yaml"]\n`),
  ]);
  t.same(
    problems.map((p) => `${p.code} ${p.file}:${p.line} ${p.field}`).sort(),
    [
      'GK_INVALID_VALUE apps/web/labels.yaml:5 labels.tier',
      'GK_INVALID_VALUE apps/web/labels.yaml:6 labels.team',
      'GK_INVALID_VALUE apps/web/labels.yaml:7 labels["bad key"]',
      'GK_PATH_ESCAPE apps/web/ext.yaml:2 path',
      'GK_PATH_ESCAPE apps/web/files.yaml:4 valueFiles[1]',
      'GK_PATH_ESCAPE apps/web/files.yaml:4 valueFiles[2]',
      'GK_PATH_ESCAPE apps/web/files.yaml:4 valueFiles[3]',
    ].sort(),
  );
  t.match(problemAt(problems, 'apps/web/labels.yaml', 'labels.tier').message, 'must be at most 63');
  t.match(problemAt(problems, 'apps/web/ext.yaml', 'path').message, 'leaves the repository');
});

t.test('files of an app folder that nothing reads are errors; valueFiles must exist in an in-repo chart', async (t) => {
  const chartFolder = (dir: string): MemoryEntry[] => [
    file(`${dir}/Chart.yaml`, 'apiVersion: v2\nname: c\nversion: 1.0.0\n'),
    file(`${dir}/templates/cm.yaml`, 'apiVersion: v1\nkind: ConfigMap\n'),
  ];
  const problems = lint([
    file('gitops.yaml', 'repoURL: https://git.example.com/p.git\n'),
    file('clusters/prod.yaml', 'provider: eks\n'),
    file('apps/web/remote/app.yaml', chart),
    file('apps/web/remote/values-eks.yaml', 'a: 1\n'),
    file('apps/web/remote/values_prod.yml', 'a: 1\n'),
    file('apps/web/remote/extra.yaml', 'a: 1\n'),
    file('apps/web/remote/README.md', 'notes\n'),
    ...chartFolder('apps/web/local'),
    file('apps/web/local/app.yaml', 'valueFiles: [values-prod.yaml, values-prd.yaml]\n'),
    file('apps/web/local/values-prod.yaml', 'a: 1\n'),
    file('apps/web/local/values-eks.yaml', 'a: 1\n'),
    ...chartFolder('charts/shared'),
    file('apps/web/single.yaml', 'path: charts/shared\nvalueFiles: [missing.yaml]\n'),
  ]);
  t.same(problems.map((p) => `${p.code} ${p.file} ${p.field ?? ''}`).sort(), [
    'GK_INVALID_NAME apps/web/local/values-eks.yaml ',
    'GK_INVALID_NAME apps/web/remote/values-eks.yaml ',
    'GK_INVALID_NAME apps/web/remote/values_prod.yml ',
    'GK_INVALID_VALUE apps/web/remote/extra.yaml ',
    'GK_NOT_FOUND apps/web/local/app.yaml valueFiles[1]',
    'GK_NOT_FOUND apps/web/single.yaml valueFiles[0]',
  ]);
  t.match(problemAt(problems, 'apps/web/remote/values-eks.yaml').message, '(rename it to "values.eks.yaml")');
  t.match(problemAt(problems, 'apps/web/remote/values_prod.yml').message, '(rename it to "values.prod.yml")');
  t.match(problemAt(problems, 'apps/web/local/values-eks.yaml').message, 'or list it in valueFiles');
  t.match(problemAt(problems, 'apps/web/remote/extra.yaml').message, "the app's source is the chart c of https://charts.example.com");
  t.match(problemAt(problems, 'apps/web/local/app.yaml').message, 'no file "values-prd.yaml" in apps/web/local (did you mean "values-prod.yaml"?)');
  t.equal(problemAt(problems, 'apps/web/single.yaml').line, 2);
});
