import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { explainApp } from '../../src/core/explain/explain.js';
import { formatObjects } from '../../src/cli/format-output.js';
import { loadPlatformRepo } from '../../src/core/load/load-platform-repo.js';
import { toDnsLabel } from '../../src/core/render/naming.js';
import { createRenderCache } from '../../src/core/render/render-cache.js';
import { objectsOf, renderModel, renderPlatform, selectOutput } from '../../src/core/render/render-platform.js';
import { openLocalRepo, openMemoryRepo, type MemoryEntry } from '../../src/sources/repo-files.js';
import { crdProblemsAll } from '../helpers/crd.js';
import { applicationsByName, fixture, listFiles, projectRoot, renderFixture } from '../fixtures/core-support/support.js';

type Values = Record<string, unknown>;
const valuesOf = (app: { spec: Record<string, unknown> } | undefined): Values =>
  ((app!.spec.source as { helm?: { valuesObject?: Values } }).helm?.valuesObject ?? {}) as Values;
const waveOf = (app: { metadata: { annotations: Record<string, string> } } | undefined): string | undefined =>
  app?.metadata.annotations['argocd.argoproj.io/sync-wave'];

const RENDERABLE = [
  'core-layering',
  'core-provider-presets',
  'core-cluster-selection',
  'core-application-files',
  'core-folder-apps',
  'core-in-cluster',
  'core-sync-waves',
  'core-symlinks',
];

t.test('sync waves come from syncWave and dependsOn, across namespaces and folder defaults', async (t) => {
  const apps = applicationsByName(renderFixture('core-sync-waves'));
  // observe/namespace.yaml gives its apps syncWave 3.
  t.equal(waveOf(apps.get('observe-eck-operator-in-cluster')), '3');
  t.equal(waveOf(apps.get('observe-elasticsearch-in-cluster')), '4', 'one after eck-operator');
  t.equal(waveOf(apps.get('observe-kibana-in-cluster')), '5', 'one after elasticsearch');
  t.equal(waveOf(apps.get('web-early-in-cluster')), '-2', 'negative waves are kept');
  t.equal(waveOf(apps.get('web-late-in-cluster')), '10', 'an own wave above its dependencies stays');
  t.equal(waveOf(apps.get('web-needs-es-in-cluster')), '5', 'the highest dependency decides');
  t.equal(waveOf(apps.get('web-plain-in-cluster')), undefined, 'no annotation without a wave');
});

t.test('layers apply in the documented order: each one overrides the one below', async (t) => {
  const platform = renderFixture('core-layering');
  const apps = applicationsByName(platform);
  const prod = apps.get('web-site-prod')!;
  const values = valuesOf(prod);
  // Field `winner.<layer>` is set by that layer and every layer above it, so its value names the winner.
  t.same(values.winner, {
    gitops: 'gitops',
    preset: 'gitops', // built-in presets hold no app keys
    provider: 'provider',
    cluster: 'cluster',
    namespace: 'namespace',
    app: 'app',
    ovprovider: 'ovprovider',
    ovcluster: 'ovcluster',
    valuesprovider: 'valuesprovider',
    valuescluster: 'valuescluster',
  });
  t.same(values.list, ['cluster-1'], 'lists replace, never concatenate');
  t.ok('removed' in values && values.removed === null, 'null replaces a lower value (Helm then drops the chart default too)');
  t.equal(values.storage, 'gp3-provider', 'providers/eks.yaml overrides the built-in preset');
  t.equal(values.tier, 'cluster', 'cluster vars override gitops.yaml vars');
  t.equal(values.owner, 'gitops');
  t.equal(prod.metadata.labels.team, 'provider', 'providers/<p>.yaml defaults override gitops.yaml defaults');
  t.notOk('cost' in prod.metadata.labels, 'a null label removes the one a lower layer set');
  t.same((prod.spec.syncPolicy as Values).managedNamespaceMetadata, { labels: { team: 'web' }, annotations: { owner: 'web-team' } });

  // A gke cluster has none of the eks or prod layers: gitops.yaml, namespace.yaml and the app decide.
  const other = valuesOf(apps.get('web-site-other'));
  t.same(other.winner, {
    gitops: 'gitops',
    preset: 'gitops',
    provider: 'gitops',
    cluster: 'gitops',
    namespace: 'namespace',
    app: 'app',
    ovprovider: 'app',
    ovcluster: 'app',
    valuesprovider: 'app',
    valuescluster: 'app',
  });
  t.same(other.list, ['gitops-1', 'gitops-2']);
  t.equal(other.storage, 'standard-rwo', 'the built-in gke preset');
  t.equal(apps.get('web-site-other')!.metadata.labels.team, 'gitops');
});

t.test('explain names the file and line that set each field, layer by layer', async (t) => {
  const repo = loadPlatformRepo(openLocalRepo(fixture('core-layering')));
  const [prod] = explainApp(repo, 'web/site', { cluster: 'prod' });
  const source = (field: string): string | undefined => prod!.fields.find((f) => f.field === field)?.source;
  const v = 'spec.source.helm.valuesObject';
  t.equal(source(`${v}.winner.gitops`), 'gitops.yaml:9');
  t.equal(source(`${v}.winner.provider`), 'providers/eks.yaml:5');
  t.equal(source(`${v}.winner.cluster`), 'clusters/prod.yaml:10');
  t.equal(source(`${v}.winner.namespace`), 'apps/web/namespace.yaml:8');
  t.equal(source(`${v}.winner.app`), 'apps/web/site/app.yaml:6');
  t.equal(source(`${v}.winner.ovprovider`), 'apps/web/site/app.yaml:22');
  t.equal(source(`${v}.winner.ovcluster`), 'apps/web/site/app.yaml:30');
  t.equal(source(`${v}.winner.valuesprovider`), 'apps/web/site/values.eks.yaml:2');
  t.equal(source(`${v}.winner.valuescluster`), 'apps/web/site/values.prod.yaml:2');
  t.equal(source(`${v}.list[0]`), 'clusters/prod.yaml:17');
  t.equal(source('spec.source.targetRevision'), 'apps/web/site/app.yaml:3');
  t.equal(source('metadata.labels.team'), 'providers/eks.yaml:14');
  t.equal(source('spec.syncPolicy.automated.prune'), '(built-in defaults)');
  t.equal(source('spec.destination.server'), 'clusters/prod.yaml:2');
  t.equal(source('spec.syncPolicy.managedNamespaceMetadata.labels.team'), 'apps/web/namespace.yaml:2');
  t.equal(explainApp(repo, 'web/site').length, 2, 'one explanation per cluster without --cluster');
  const folder = loadPlatformRepo(openLocalRepo(fixture('core-folder-apps')));
  const [kust] = explainApp(folder, 'tools/kust');
  t.equal(kust!.fields.find((f) => f.field === 'spec.source.targetRevision')?.source, 'gitops.yaml:2', 'a path app follows gitops.yaml targetRevision');
  t.equal(kust!.fields.find((f) => f.field === 'spec.source.path')?.source, 'apps/tools/kust', 'a folder app: the folder itself');
});

t.test('provider presets are usable in templates, and a single-variable template keeps its type', async (t) => {
  const apps = applicationsByName(renderFixture('core-provider-presets'));
  const aws = valuesOf(apps.get('observe-prometheus-aws'));
  t.same(aws.kubeEtcd, { enabled: false }, 'a boolean stays a boolean');
  t.same(aws.kubeScheduler, { enabled: false }, 'spaces inside the braces too');
  t.equal(aws.storageClass, 'gp3', 'providers/eks.yaml over the eks preset');
  t.equal(aws.ingressClassName, 'alb', 'the rest of the eks preset stays');
  t.same(
    (aws.service as Values).annotations,
    {
      'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
    },
    'a map stays a map',
  );
  t.equal(aws.note, 'metrics false on Amazon EKS', 'text around a variable makes a string');
  t.equal(aws.quoted, 'false', 'a quoted "false" without a template stays a string');
  t.equal(aws.providerName, 'eks');
  const dc = valuesOf(apps.get('observe-prometheus-dc'));
  t.same(dc.kubeEtcd, { enabled: true });
  t.equal(dc.storageClass, 'ceph-rbd', 'a provider of its own');
  t.same((dc.service as Values).annotations, {}, 'built on the generic preset, so every preset key exists');
  t.equal(valuesOf(apps.get('observe-prometheus-do')).storageClass, 'do-block-storage');
  t.same(valuesOf(apps.get('observe-prometheus-local')).kubeEtcd, { enabled: true }, 'kind exposes control-plane metrics');
});

t.test('clusters are selected by names, list, matchLabels, providers and exclude; enabled: false removes', async (t) => {
  const platform = renderFixture('core-cluster-selection');
  const byApp = new Map<string, string[]>();
  for (const r of platform.apps) byApp.set(`${r.namespace.name}/${r.app.name}`, [...(byApp.get(`${r.namespace.name}/${r.app.name}`) ?? []), r.cluster.name]);
  t.same(Object.fromEntries([...byApp].map(([k, v]) => [k, v.sort()])), {
    'batch/also-gke': ['gke-prod'],
    'batch/job': ['do-ams3'],
    'web/by-label': ['do-ams3', 'gke-prod'],
    'web/by-list': ['gke-prod'],
    'web/by-name': ['do-ams3', 'eks-staging'],
    'web/by-provider': ['eks-staging', 'gke-prod'],
    'web/everywhere': ['do-ams3', 'eks-staging', 'gke-prod'],
    'web/excluded': ['do-ams3'],
    'web/off-on-eks': ['do-ams3', 'gke-prod'],
  });
  t.notOk(byApp.has('web/disabled'), 'enabled: false renders nothing');
  const apps = applicationsByName(platform);
  t.same(apps.get('web-everywhere-gke-prod')!.spec.destination, { name: 'gke-prod-registered', namespace: 'web' }, 'a cluster registered by name');
  t.same(apps.get('web-everywhere-do-ams3')!.spec.destination, { server: 'https://do-ams3.example.com', namespace: 'web' });
  t.same(apps.get('web-everywhere-do-ams3')!.metadata.labels, {
    'app.kubernetes.io/managed-by': 'gitops-k8s',
    'gitops-k8s.io/app': 'everywhere',
    'gitops-k8s.io/cluster': 'do-ams3',
    'gitops-k8s.io/namespace': 'web',
    'gitops-k8s.io/provider': 'digitalocean',
  });
  const selected = selectOutput(platform, { clusters: ['eks-staging'], namespaces: ['web'] });
  t.same(
    selected.apps.map((r) => r.application.metadata.name),
    ['web-by-name-eks-staging', 'web-by-provider-eks-staging', 'web-everywhere-eks-staging'],
  );
  t.same(
    selected.projects.map((p) => p.metadata.name),
    ['web'],
  );
});

t.test('a full Argo CD Application file is fanned out per cluster with its destination replaced', async (t) => {
  const apps = applicationsByName(renderFixture('core-application-files'));
  t.same([...apps.keys()].sort(), ['guestbook-guestbook-one', 'guestbook-guestbook-two', 'guestbook-helm-guestbook-one', 'guestbook-helm-guestbook-two']);
  const one = apps.get('guestbook-guestbook-one')!;
  t.same(one.spec.destination, { server: 'https://one.example.com', namespace: 'guestbook' });
  t.same(apps.get('guestbook-guestbook-two')!.spec.destination, { name: 'two-registered', namespace: 'guestbook' });
  t.equal(one.metadata.namespace, 'argocd', 'Applications live in the Argo CD namespace');
  t.same(one.spec.source, {
    repoURL: 'https://github.com/argoproj/argocd-example-apps.git',
    path: 'guestbook',
    targetRevision: '0d521c6e049889134f3122eb32d7ed342f43ca0d',
  });
  t.same(
    one.spec.syncPolicy,
    { automated: { prune: false, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
    "its syncPolicy is layered over the defaults like an app file's, its own prune: false winning",
  );
  t.equal(one.spec.project, 'default');
  t.equal(one.metadata.labels.legacy, 'yes');
  t.equal(one.metadata.labels['gitops-k8s.io/cluster'], 'one');
  t.same(one.metadata.finalizers, ['resources-finalizer.argocd.argoproj.io']);
  const helm = apps.get('guestbook-helm-guestbook-two')!;
  t.equal(helm.spec.project, 'guestbook', "without a project it joins its folder's AppProject");
  t.same(valuesOf(helm), { ingress: { host: 'guestbook.two.example.com' } }, 'templates inside are rendered per cluster');
});

t.test('folders with Chart.yaml, kustomization.yaml or manifests become path sources of the platform repo', async (t) => {
  const apps = applicationsByName(renderFixture('core-folder-apps'));
  const source = (name: string): unknown => apps.get(name)?.spec.source;
  const repo = { repoURL: 'https://git.example.com/platform.git', targetRevision: 'main' };
  t.same(source('tools-chart-in-cluster'), { repoURL: repo.repoURL, path: 'apps/tools/chart', targetRevision: 'main' }, "a chart's own values.yaml is Helm's");
  t.same(source('tools-kust-in-cluster'), { repoURL: repo.repoURL, path: 'apps/tools/kust', targetRevision: 'main' });
  // A plain-manifest folder never applies gitops-k8s's own files, should it hold them.
  t.same(source('tools-plain-in-cluster'), {
    repoURL: repo.repoURL,
    path: 'apps/tools/plain',
    targetRevision: 'main',
    directory: { exclude: '{app.yaml,app.yml,values.yaml,values.yml,values.*.yaml,values.*.yml}' },
  });
  t.same(
    source('tools-tuned-in-cluster'),
    { repoURL: repo.repoURL, path: 'apps/tools/tuned', targetRevision: 'main', helm: { valuesObject: { replicas: 3 } } },
    'app.yaml beside a chart tunes it',
  );
  t.equal(waveOf(apps.get('tools-tuned-in-cluster')), '2');
  t.same(
    source('tools-shared-in-cluster'),
    { repoURL: repo.repoURL, path: 'manifests/shared', targetRevision: 'main' },
    'path alone is a folder of the platform repo',
  );
  const prefixed = applicationsByName(renderFixture('core-folder-apps', { pathPrefix: 'platform' }));
  t.equal((prefixed.get('tools-kust-in-cluster')!.spec.source as Values).path, 'platform/apps/tools/kust', 'under a sub-folder the paths carry its prefix');
});

t.test('without clusters/ there is one in-cluster cluster on the generic provider', async (t) => {
  const platform = renderFixture('core-in-cluster');
  t.equal(platform.apps.length, 1);
  const app = platform.apps[0]!.application;
  t.equal(app.metadata.name, 'web-web-in-cluster');
  t.same(app.spec.destination, { server: 'https://kubernetes.default.svc', namespace: 'web' });
  t.same(valuesOf(app), { server: 'https://kubernetes.default.svc', provider: 'generic' });
  t.same(
    app.spec.syncPolicy,
    { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
    'automated with prune and self-heal by default',
  );
  t.same(app.spec.source, {
    repoURL: 'https://charts.example.com',
    chart: 'web',
    targetRevision: '1.0.0',
    helm: { valuesObject: { server: 'https://kubernetes.default.svc', provider: 'generic' } },
  });
});

t.test('names are DNS-1123 labels of at most 63 characters, shortened with a stable hash suffix', async (t) => {
  const longNs = 'observability-and-monitoring-stack';
  const longApp = 'prometheus-operator-admission-webhook';
  const entries: MemoryEntry[] = [
    { path: `apps/${longNs}/${longApp}.yaml`, type: 'file', content: Buffer.from('repoURL: https://c.example.com\nchart: p\nversion: 1.0.0\n') },
    { path: `apps/${longNs}/${longApp}-2.yaml`, type: 'file', content: Buffer.from('repoURL: https://c.example.com\nchart: p\nversion: 1.0.0\n') },
    { path: 'gitops.yaml', type: 'file', content: Buffer.from('naming:\n  application: "{{cluster.name}}.{{namespace}}_{{app}}"\n') },
    { path: 'apps/web/Web.yaml', type: 'file', content: Buffer.from('x: 1\n') },
  ];
  t.equal(loadPlatformRepo(openMemoryRepo('m', entries.slice(0, 2))).namespaces.length, 1);
  const names = renderPlatform(openMemoryRepo('m', entries.slice(0, 2))).apps.map((r) => r.application.metadata.name);
  for (const name of names) {
    t.ok(name.length <= 63, `${name} is at most 63 characters`);
    t.match(name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    t.match(name, /-[0-9a-f]{8}$/, 'ends with the hash');
  }
  t.not(names[0], names[1], 'two long names with one prefix stay distinct');
  t.same(
    renderPlatform(openMemoryRepo('m', entries.slice(0, 2))).apps.map((r) => r.application.metadata.name),
    names,
    'stable across runs',
  );
  t.equal(toDnsLabel('Short_Name.x'), 'short-name-x');
  t.equal(toDnsLabel('a'.repeat(63)), 'a'.repeat(63), '63 characters are kept whole');
  t.equal(toDnsLabel('a'.repeat(64)).length, 63);
  // naming.application is configurable and normalised.
  const custom = renderPlatform(openMemoryRepo('m', [entries[0]!, entries[2]!])).apps.map((r) => r.application.metadata.name);
  t.equal(custom.length, 1);
  t.match(custom[0]!, /^in-cluster-observability-and-monitoring-stack-promethe-[0-9a-f]{8}$/);
  t.ok(custom[0]!.length <= 63);
});

t.test('rendering is deterministic: twice, and whatever order the folder lists files in', async (t) => {
  for (const name of ['core-layering', 'core-cluster-selection', 'core-folder-apps']) {
    const dir = fixture(name);
    const options = { repoURL: 'https://git.example.com/platform.git' };
    const first = formatObjects(objectsOf(selectOutput(renderPlatform(openLocalRepo(dir), options))));
    const second = formatObjects(objectsOf(selectOutput(renderPlatform(openLocalRepo(dir), options))));
    t.equal(second, first, `${name}: byte-identical twice`);
    const files = listFiles(dir);
    const entries = (order: string[]): MemoryEntry[] => order.map((f) => ({ path: f, type: 'file' as const, content: readFileSync(path.join(dir, f)) }));
    const reversed = formatObjects(objectsOf(selectOutput(renderPlatform(openMemoryRepo('m', entries([...files].reverse())), options))));
    const shuffled = formatObjects(objectsOf(selectOutput(renderPlatform(openMemoryRepo('m', entries([...files].sort(() => Math.random() - 0.5))), options))));
    t.equal(reversed, first, `${name}: independent of listing order (reversed)`);
    t.equal(shuffled, first, `${name}: independent of listing order (shuffled)`);
  }
});

t.test('every AppProject and Application emitted validates against the Argo CD CRDs', async (t) => {
  let count = 0;
  for (const name of RENDERABLE) {
    const objects = objectsOf(selectOutput(renderFixture(name, { repoURL: 'https://git.example.com/platform.git' })));
    count += objects.length;
    t.same(crdProblemsAll(objects), [], name);
  }
  const example = path.join(projectRoot, 'examples/platform');
  const objects = objectsOf(selectOutput(renderPlatform(openLocalRepo(example))));
  t.same(crdProblemsAll(objects), [], 'examples/platform');
  t.ok(count > 40, `${count} objects checked`);
});

t.test('a RenderCache kept across renders and repos, as the server keeps one, renders what a fresh one does', async (t) => {
  const kept = createRenderCache();
  for (const round of [1, 2]) {
    for (const name of RENDERABLE) {
      const repo = loadPlatformRepo(openLocalRepo(fixture(name)), { repoURL: 'https://git.example.com/platform.git' });
      const fresh = formatObjects(objectsOf(selectOutput(renderModel(repo))));
      t.equal(formatObjects(objectsOf(selectOutput(renderModel(repo, {}, kept)))), fresh, `${name}, round ${round}`);
    }
  }
});

t.test('the emitted YAML parses back to exactly the objects', async (t) => {
  for (const name of RENDERABLE) {
    const objects = objectsOf(selectOutput(renderFixture(name, { repoURL: 'https://git.example.com/platform.git' })));
    const text = formatObjects(objects);
    const docs = parseAllDocuments(text);
    t.same(
      docs.flatMap((d) => d.errors),
      [],
      `${name}: no YAML errors`,
    );
    t.strictSame(
      docs.map((d) => d.toJS()),
      JSON.parse(JSON.stringify(objects)),
      `${name}: same objects, same types`,
    );
    t.strictSame(JSON.parse(formatObjects(objects, 'json')), JSON.parse(JSON.stringify(objects)), `${name}: json too`);
  }
});

t.test('AppProjects permit exactly the sources and destinations of their apps', async (t) => {
  const platform = renderFixture('core-cluster-selection');
  const batch = platform.projects.find((p) => p.metadata.name === 'batch')!;
  t.same(batch.spec.sourceRepos, ['https://charts.example.com']);
  t.same(batch.spec.destinations, [
    { name: 'gke-prod-registered', namespace: 'batch' },
    { server: 'https://do-ams3.example.com', namespace: 'batch' },
  ]);
  t.same(batch.spec.clusterResourceWhitelist, [{ group: '', kind: 'Namespace', name: 'batch' }], 'only its own Namespace, for CreateNamespace=true');
  t.same(batch.metadata.finalizers, ['resources-finalizer.argocd.argoproj.io']);
});

t.test('null removes: automated sync off, manual sync, a default label or value gone', async (t) => {
  const file = (p: string, text: string): MemoryEntry => ({ path: p, type: 'file', content: Buffer.from(text) });
  const chart = 'repoURL: https://charts.example.com\nchart: c\nversion: 1.0.0\n';
  const platform = renderPlatform(
    openMemoryRepo('m', [
      file('gitops.yaml', 'defaults:\n  labels:\n    team: platform\n  annotations:\n    note: x\n  syncPolicy:\n    retry:\n      limit: 3\n'),
      file('apps/web/manual.yaml', `${chart}syncPolicy: null\n`),
      file('apps/web/no-auto.yaml', `${chart}syncPolicy:\n  automated: null\nlabels:\n  team: null\nannotations:\n  note: null\n`),
      file('apps/web/default.yaml', chart),
    ]),
  );
  const apps = applicationsByName(platform);
  t.notOk('syncPolicy' in apps.get('web-manual-in-cluster')!.spec, 'syncPolicy: null leaves manual sync');
  t.same(apps.get('web-no-auto-in-cluster')!.spec.syncPolicy, { syncOptions: ['CreateNamespace=true'], retry: { limit: 3 } });
  t.notOk('team' in apps.get('web-no-auto-in-cluster')!.metadata.labels);
  t.notOk('note' in apps.get('web-no-auto-in-cluster')!.metadata.annotations);
  t.same(apps.get('web-default-in-cluster')!.spec.syncPolicy, {
    automated: { prune: true, selfHeal: true },
    syncOptions: ['CreateNamespace=true'],
    retry: { limit: 3 },
  });
  t.equal(apps.get('web-default-in-cluster')!.metadata.labels.team, 'platform');
  t.same(crdProblemsAll(objectsOf(selectOutput(platform))), []);
});

t.test('tricky scalars in values parse back to the same values under YAML 1.2 and YAML 1.1 readers', async (t) => {
  const tricky: Record<string, unknown> = {
    version: '1.0',
    octal: '0777',
    hex: '0x1F',
    exp: '1e3',
    dot: '.5',
    inf: '.inf',
    yes: 'yes',
    No: 'No',
    on: 'on',
    tilde: '~',
    nul: 'null',
    empty: '',
    space: ' lead',
    trail: 'trail ',
    colon: 'a: b',
    hash: 'a #b',
    dash: '- x',
    star: '*x',
    amp: '&x',
    bang: '!x',
    pct: '%x',
    at: '@x',
    tick: '`x',
    quote: '"x"',
    single: "'x'",
    multi: 'line1\nline2\n',
    tab: 'a\tb',
    unicode: 'żółw ✓',
    date: '2024-01-01',
    time: '12:30:00',
    sexagesimal: '1:20',
    bool: true,
    int: 42,
    neg: -7,
    float: 1.5,
    big: 1e21,
    zero: 0,
    nothing: null,
    list: ['a', 1, false, null, { k: 'v' }, []],
    emptyMap: {},
    'key: with colon': 1,
    '- dash key': 2,
    true: 'key is true',
    '123': 'numeric key',
  };
  const text = `repoURL: https://charts.example.com\nchart: c\nversion: 1.0.0\nvalues: ${JSON.stringify(tricky)}\n`;
  const platform = renderPlatform(openMemoryRepo('m', [{ path: 'apps/web/x.yaml', type: 'file', content: Buffer.from(text) }]));
  const objects = JSON.parse(JSON.stringify(objectsOf(selectOutput(platform))));
  t.same(valuesOf(objects[1]), tricky, 'the values arrive as written');
  const yamlText = formatObjects(objects);
  for (const version of ['1.2', '1.1'] as const) {
    const docs = parseAllDocuments(yamlText, { version });
    t.same(
      docs.flatMap((d) => d.errors),
      [],
      `YAML ${version}: no errors`,
    );
    t.strictSame(
      docs.map((d) => d.toJS()),
      objects,
      `YAML ${version}: the same objects`,
    );
  }
});

t.test('an app using every key renders a valid Application with each key in its place', async (t) => {
  const file = (p: string, text: string): MemoryEntry => ({ path: p, type: 'file', content: Buffer.from(text) });
  const full = `repoURL: https://helm.elastic.co
chart: elasticsearch
version: 8.5.1
values: { replicas: 3 }
valueFiles: [values-prod.yaml]
releaseName: es
clusters:
  matchLabels: { env: prod }
  exclude: [gke-canary]
enabled: true
syncWave: 2
dependsOn: [observe/eck-operator]
syncPolicy:
  automated: { prune: true, selfHeal: true }
  syncOptions: [CreateNamespace=true, ServerSideApply=true]
  retry: { limit: 5, backoff: { duration: 5s, factor: 2, maxDuration: 3m } }
project: observability
ignoreDifferences: [{ group: apps, kind: Deployment, jsonPointers: [/spec/replicas] }]
info: [{ name: runbook, value: https://wiki.example.com/es }]
labels: { tier: data }
annotations: { notifications.argoproj.io/subscribe.on-sync-failed.slack: sre }
vars: { heap: 1g }
overrides:
  providers: { eks: { values: { esJavaOpts: "-Xmx{{vars.heap}}" } } }
  clusters:  { do-ams3: { version: 8.5.0 } }
`;
  const platform = renderPlatform(
    openMemoryRepo('m', [
      file('clusters/do-ams3.yaml', 'provider: digitalocean\nserver: https://do.example.com\nlabels: { env: prod }\n'),
      file('clusters/eks-eu.yaml', 'provider: eks\nname: eks-eu\nlabels: { env: prod }\n'),
      file('clusters/gke-canary.yaml', 'provider: gke\nserver: https://gke.example.com\nlabels: { env: prod }\n'),
      file('apps/observe/namespace.yaml', 'project:\n  name: observability\n  clusterResourceWhitelist: [{ group: "*", kind: "*" }]\n'),
      file('apps/observe/eck-operator.yaml', 'repoURL: https://helm.elastic.co\nchart: eck-operator\nversion: 2.14.0\nsyncWave: 1\n'),
      file('apps/observe/elasticsearch.yaml', full),
      file('apps/web/kust.yaml', 'repoURL: https://git.example.com/k.git\npath: overlays/prod\ntargetRevision: v1.4.0\nkustomize: { namePrefix: prod- }\n'),
      file('apps/web/dir.yaml', 'repoURL: https://git.example.com/k.git\npath: raw\ndirectory: { recurse: true }\n'),
    ]),
  );
  const objects = objectsOf(selectOutput(platform));
  t.same(crdProblemsAll(objects), []);
  const apps = applicationsByName(platform);
  const eks = apps.get('observe-elasticsearch-eks-eu')!;
  t.same(eks.spec.source, {
    repoURL: 'https://helm.elastic.co',
    chart: 'elasticsearch',
    targetRevision: '8.5.1',
    helm: { releaseName: 'es', valueFiles: ['values-prod.yaml'], valuesObject: { replicas: 3, esJavaOpts: '-Xmx1g' } },
  });
  t.equal((apps.get('observe-elasticsearch-do-ams3')!.spec.source as Values).targetRevision, '8.5.0');
  t.notOk(apps.has('observe-elasticsearch-gke-canary'));
  t.equal(eks.spec.project, 'observability');
  t.same(eks.spec.ignoreDifferences, [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }]);
  t.same(eks.spec.info, [{ name: 'runbook', value: 'https://wiki.example.com/es' }]);
  t.equal(eks.metadata.labels.tier, 'data');
  t.equal(eks.metadata.annotations['notifications.argoproj.io/subscribe.on-sync-failed.slack'], 'sre');
  t.equal(waveOf(eks), '2', 'own wave 2 = eck-operator 1 + 1');
  t.same(eks.spec.syncPolicy, {
    automated: { prune: true, selfHeal: true },
    syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'],
    retry: { limit: 5, backoff: { duration: '5s', factor: 2, maxDuration: '3m' } },
  });
  t.same(apps.get('web-kust-do-ams3')!.spec.source, {
    repoURL: 'https://git.example.com/k.git',
    path: 'overlays/prod',
    targetRevision: 'v1.4.0',
    kustomize: { namePrefix: 'prod-' },
  });
  t.same(apps.get('web-dir-do-ams3')!.spec.source, {
    repoURL: 'https://git.example.com/k.git',
    path: 'raw',
    targetRevision: 'HEAD',
    directory: { recurse: true },
  });
  const project = platform.projects.find((p) => p.metadata.name === 'observability')!;
  t.same(
    project.spec.clusterResourceWhitelist,
    [
      { group: '', kind: 'Namespace', name: 'observe' },
      { group: '*', kind: '*' },
    ].sort((a, b) =>
      `${a.group}/${a.kind}/${(a as { name?: string }).name ?? ''}`.localeCompare(`${b.group}/${b.kind}/${(b as { name?: string }).name ?? ''}`),
    ),
  );
});
