import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadPlatformRepo } from '../../src/core/load/load-platform-repo.js';
import type { KubeObject } from '../../src/manifests/kube-object.js';
import { renderManifests } from '../../src/manifests/render-manifests.js';
import { parseRepoMap } from '../../src/manifests/repo-map.js';
import { renderModel } from '../../src/core/render/render-platform.js';
import { openLocalRepo } from '../../src/sources/repo-files.js';
import { helmBinary } from '../helpers/tools.js';
import {
  commitAll,
  helmEnv,
  packageCharts,
  run,
  startChartRepo,
  startGitDaemon,
  startOciRegistry,
  writeTree,
  runCheck as check,
} from '../helpers/manifest-servers.js';

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  annotations:
    kube-version: "{{ .Capabilities.KubeVersion.Version }}"
    has-monitoring: "{{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}"
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec: {containers: [{name: x, image: "nginx:{{ .Values.tag }}"}]}
`;
const clusterRole = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: {{ .Release.Name }}-reader}
rules: []
`;
const widgetCrd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`;

t.test('check renders helm (HTTP and OCI), kustomize, directory and Git sources, and reports each of its four checks', async (t) => {
  const dir = t.testdir({});
  const env = { ...helmEnv(dir), GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache') };
  const [demo] = packageCharts(path.join(dir, 'charts'), [
    { name: 'demo', version: '1.0.0', values: 'replicas: 1\ntag: "1.0"\n', templates: { 'deploy.yaml': deployment, 'role.yaml': clusterRole } },
    { name: 'widgets', version: '0.1.0', templates: {}, crds: { 'widget.yaml': widgetCrd } },
  ]);
  const repo = await startChartRepo(path.join(dir, 'charts'));
  t.teardown(() => repo.server.close());
  const registry = await startOciRegistry(path.join(dir, 'registry'));
  t.teardown(() => registry.child.kill());
  run(helmBinary(), ['push', demo!, `oci://${registry.host}/charts`, '--plain-http'], { env });

  // Another Git repository, served by git daemon, holding a plain manifest folder.
  mkdirSync(path.join(dir, 'git/remote.git/deploy'), { recursive: true });
  writeFileSync(path.join(dir, 'git/remote.git/deploy/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: remote-config}\ndata: {a: "1"}\n');
  commitAll(path.join(dir, 'git/remote.git'), 'v1.0.0');
  const git = await startGitDaemon(path.join(dir, 'git'));
  t.teardown(() => git.child.kill());

  const platform = path.join(dir, 'platform');
  const files: Record<string, string> = {
    'gitops.yaml': 'repoURL: https://git.example.com/platform.git\ntargetRevision: main\n',
    'clusters/c1.yaml': 'provider: generic\nserver: https://c1.example.com\nkubernetesVersion: "1.30"\napiVersions: [monitoring.coreos.com/v1]\n',
    'clusters/c2.yaml': 'provider: generic\nserver: https://c2.example.com\n',
    'clusters/c3.yaml': 'provider: generic\nserver: https://c3.example.com\n',
    // HTTP chart repository, mapped from the URL users write to the loopback server.
    'apps/web/demo.yaml': 'repoURL: https://charts.example.com/stable\nchart: demo\nversion: 1.0.0\nreleaseName: demo\nvalues:\n  replicas: 3\n',
    'apps/web/oci-demo.yaml': `repoURL: oci://${registry.host}/charts\nchart: demo\nversion: 1.0.0\nclusters: [c1]\nvalues:\n  tag: "2.0"\n`,
    'apps/web/kust/app.yaml': 'kustomize:\n  namePrefix: k-\n  images: ["nginx=registry.example.com/nginx:9"]\n',
    'apps/web/kust/kustomization.yaml': 'resources: [deploy.yaml]\n',
    'apps/web/kust/deploy.yaml':
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n' +
      '  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx:1}]}\n',
    'apps/web/dir/app.yaml': 'directory:\n  recurse: true\n  exclude: "{app.yaml,skip/*}"\n',
    'apps/web/dir/a.yaml':
      'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: old-cron}\nspec: {}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n',
    'apps/web/dir/nested/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nested, namespace: elsewhere}\n',
    'apps/web/dir/skip/c.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: skipped}\n',
    'apps/web/remote.yaml': 'repoURL: https://git.example.com/remote.git\npath: deploy\ntargetRevision: v1.0.0\n',
    // Installs the Widget CRD, but in a later wave than the app that uses it.
    'apps/web/widgets.yaml': 'repoURL: https://charts.example.com/stable\nchart: widgets\nversion: 0.1.0\nsyncWave: 5\n',
    // Two apps managing one object.
    'apps/web/remote-twin.yaml': 'repoURL: https://git.example.com/remote.git\npath: deploy\ntargetRevision: v1.0.0\n',
  };
  writeTree(platform, files);
  const args = [
    platform,
    '-o',
    'json',
    '--oci-plain-http',
    '--repo-map',
    `https://charts.example.com/stable=${repo.url}`,
    '--repo-map',
    `https://git.example.com/=${git.url}/`,
  ];
  const result = await check(args, env);
  t.equal(result.stderr, '');
  t.equal(result.code, 1, 'problems exit 1');
  const report = JSON.parse(result.stdout) as {
    findings: { check: string; file: string; cluster: string; resource: string; message: string }[];
    suggestions: unknown[];
    notes: string[];
    renders: { runs: number; shared: number };
  };
  const found = (check: string, cluster: string, resource: string): string | undefined =>
    report.findings.find((f) => f.check === check && f.cluster === cluster && f.resource === resource)?.file;

  t.equal(found('project', 'c1', 'ClusterRole//demo-reader'), 'apps/web/demo.yaml', "the generated project refuses the chart's ClusterRole");
  t.equal(found('project', 'c1', 'ClusterRole//web-oci-demo-c1-reader'), 'apps/web/oci-demo.yaml', 'the OCI chart rendered with its default release name');
  t.equal(found('project', 'c1', 'CustomResourceDefinition//widgets.example.com'), 'apps/web/widgets.yaml', 'CRDs are included');
  t.equal(found('project', 'c1', 'ConfigMap/elsewhere/nested'), 'apps/web/dir/app.yaml', 'an explicit namespace outside the destinations');
  t.same(
    report.suggestions,
    [
      {
        file: 'apps/web/namespace.yaml',
        field: 'clusterResourceWhitelist',
        entries: [
          { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
          { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
        ],
      },
      {
        file: 'apps/web/namespace.yaml',
        field: 'extraDestinations',
        entries: ['c1', 'c2', 'c3'].map((c) => ({ server: `https://${c}.example.com`, namespace: 'elsewhere' })),
      },
    ],
    'the namespace.yaml entries that would permit them',
  );
  t.match(
    report.findings.find((f) => f.check === 'duplicate' && f.cluster === 'c1'),
    { file: 'apps/web/remote-twin.yaml', resource: 'ConfigMap/web/remote-config', message: /also managed by web\/remote on this cluster/ },
    'the Git source in two apps: one object, two Applications',
  );
  t.match(found('removed-api', 'c1', 'CronJob/web/old-cron'), 'apps/web/dir/app.yaml');
  t.equal(found('removed-api', 'c2', 'CronJob/web/old-cron'), undefined, 'c2 has no kubernetesVersion');
  t.match(report.notes, [/cluster c2: removed APIs not checked; set kubernetesVersion in clusters\/c2.yaml/]);
  t.match(
    report.findings.find((f) => f.check === 'crd' && f.resource === 'Widget/web/w'),
    { message: /installed by web\/widgets \(wave 5\), after this app's wave 0/ },
  );
  t.equal(found('project', 'c1', 'ConfigMap/web/skipped'), undefined);
  t.notOk(
    report.findings.some((f) => f.resource.includes('skipped')),
    'excluded files are not read',
  );
  // demo: c1 alone (its Kubernetes version), c2 and c3 shared; oci-demo: c1; kust, dir: once for
  // three clusters; remote and remote-twin: once for six; widgets: its release name is per cluster.
  t.same(report.renders, { runs: 9, shared: 10 }, 'identical renders run once');

  // A second run with a warm cache asks the chart repository for nothing; narrowed to a clean app, it passes.
  const asked = repo.requests.length;
  const clean = await check(
    [
      platform,
      '--app',
      'web/kust',
      '--repo-map',
      `https://charts.example.com/stable=${repo.url}`,
      '--repo-map',
      `https://git.example.com/=${git.url}/`,
      '--oci-plain-http',
    ],
    env,
  );
  t.equal(clean.code, 0, 'web/kust alone is clean, though every app of its clusters is rendered');
  t.match(clean.stdout, /^ok: 3 resources of 3 Applications on 3 clusters \(9 renders, 10 shared\)$/m);
  t.equal(repo.requests.length, asked, 'charts come from the cache');

  // What the tools printed: Argo CD's options reached helm and kustomize.
  const model = loadPlatformRepo(openLocalRepo(platform));
  const { apps } = await renderManifests(
    model,
    renderModel(model).apps.filter((r) => r.cluster.name === 'c1'),
    {
      platformDir: platform,
      cacheDir: env.GITOPS_K8S_CACHE_DIR,
      repoMap: parseRepoMap([`https://charts.example.com/stable=${repo.url}`, `https://git.example.com/=${git.url}/`]),
      env,
      concurrency: 2,
      ociPlainHttp: true,
    },
  );
  const objectsOf = (app: string): KubeObject[] => [...apps.find((a) => a.rendered.app.name === app)!.objects];
  const demoDeploy = objectsOf('demo').find((o) => o.kind === 'Deployment')!;
  t.match(
    demoDeploy,
    { metadata: { name: 'demo', annotations: { 'kube-version': 'v1.30.0', 'has-monitoring': 'true' } }, spec: { replicas: 3 } },
    'releaseName, values, --kube-version, --api-versions',
  );
  t.match(
    objectsOf('oci-demo').find((o) => o.kind === 'Deployment'),
    { metadata: { name: 'web-oci-demo-c1' }, spec: { template: { spec: { containers: [{ image: 'nginx:2.0' }] } } } },
  );
  t.match(
    objectsOf('kust'),
    [{ metadata: { name: 'k-web' }, spec: { template: { spec: { containers: [{ image: 'registry.example.com/nginx:9' }] } } } }],
    'namePrefix and images',
  );
  t.same(
    objectsOf('dir').map((o) => o.metadata.name),
    ['old-cron', 'w', 'nested'],
    'recurse, exclude',
  );
});

t.test('a source that cannot be fetched or rendered is an error naming the app and the cluster', async (t) => {
  const dir = writeTree(t.testdir({}), {
    'gitops.yaml': 'repoURL: https://git.example.com/platform.git\n',
    'clusters/c1.yaml': 'provider: generic\nserver: https://c1.example.com\n',
    'apps/web/gone.yaml': 'repoURL: http://127.0.0.1:9/charts\nchart: gone\nversion: 1.0.0\n',
    'apps/web/broken/kustomization.yaml': 'resources: [missing.yaml]\n',
    'apps/web/fine/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n',
  });
  const result = await check([dir], { ...helmEnv(dir), GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache') });
  t.equal(result.code, 1);
  t.equal(result.stdout, '', 'no report on a partial picture');
  t.match(result.stderr, /^apps\/web\/broken: web\/broken on cluster c1 failed: .*missing\.yaml/m);
  t.match(result.stderr, /^apps\/web\/gone\.yaml: web\/gone on cluster c1: helm pull of chart gone 1\.0\.0 from http:\/\/127\.0\.0\.1:9\/charts failed: .*\n/m);
  t.match(result.stderr, /web\/gone on cluster c1/, 'the cluster is named');
  t.match(result.stderr, /2 problems\n$/);
});

t.test('a missing helm is an error saying how to install it; usage errors exit 2', async (t) => {
  const dir = writeTree(t.testdir({}), {
    'clusters/c1.yaml': 'provider: generic\nserver: https://c1.example.com\n',
    'apps/web/chart.yaml': 'repoURL: https://charts.example.com\nchart: x\nversion: 1.0.0\n',
  });
  const missing = await check([dir], { PATH: '/nonexistent', GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache') });
  t.equal(missing.code, 1);
  t.match(missing.stderr, /helm is not on the PATH: install Helm \(/);
  t.equal((await check([dir, '-o', 'yaml'], {})).code, 2);
  t.equal((await check([dir, '--app', 'nope'], {})).code, 2);
});
