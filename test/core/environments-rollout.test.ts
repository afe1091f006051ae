import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { GitopsError } from '../../src/core/errors.js';
import { explainApp } from '../../src/core/explain/explain.js';
import { formatObjects } from '../../src/cli/format-output.js';
import { loadPlatformRepo } from '../../src/core/load/load-platform-repo.js';
import { objectsOf, renderPlatform } from '../../src/core/render/render-platform.js';
import { openMemoryRepo } from '../../src/sources/repo-files.js';
import { buildStatusMatrix } from '../../src/integrations/status/status-matrix.js';
import { formatStatusTable } from '../../src/integrations/status/status-table.js';
import { renderStatusPage } from '../../src/integrations/status/status-page.js';
import type { ArgoAppStatus } from '../../src/integrations/argocd/argocd-client.js';
import { crdProblemsAll } from '../helpers/crd.js';
import { projectRoot, runCli } from '../fixtures/core-support/support.js';

type Files = Record<string, string>;
const repoOf = (files: Files) =>
  openMemoryRepo(
    'mem',
    Object.entries(files).map(([p, text]) => ({ path: p, type: 'file' as const, content: Buffer.from(text) })),
  );
const render = (files: Files) => renderPlatform(repoOf(files));
const byName = (files: Files) => new Map(render(files).apps.map((r) => [r.application.metadata.name, r.application]));
const problemsOf = (files: Files): GitopsError['problems'] => {
  try {
    loadPlatformRepo(repoOf(files));
  } catch (error) {
    if (error instanceof GitopsError) return error.problems;
    throw error;
  }
  return [];
};
type Values = Record<string, unknown>;
const valuesOf = (app: { spec: Record<string, unknown> } | undefined): Values =>
  ((app?.spec.source as { helm?: { valuesObject?: Values } } | undefined)?.helm?.valuesObject ?? {}) as Values;

// Three clusters in two environments; one app with a layer for each name.
const BASE: Files = {
  'gitops.yaml':
    'repoURL: https://example.com/platform.git\nvars: { tier: none }\ndefaults:\n' +
    '  values: { winner: { gitops: gitops, provider: gitops, environment: gitops, cluster: gitops } }\n',
  'providers/eks.yaml': 'defaults:\n  values: { winner: { provider: provider, environment: provider, cluster: provider } }\n',
  'environments/prod.yaml': 'vars: { tier: prod-env }\ndefaults:\n  values: { winner: { environment: environment, cluster: environment } }\n',
  'clusters/dev-1.yaml': 'provider: eks\nserver: https://dev-1.example.com\nenvironment: dev\n',
  'clusters/prod-1.yaml': 'provider: eks\nserver: https://prod-1.example.com\nenvironment: prod\ndefaults:\n  values: { winner: { cluster: cluster } }\n',
  'clusters/prod-2.yaml': 'provider: eks\nserver: https://prod-2.example.com\nenvironment: prod\n',
  'apps/web/site/app.yaml': [
    'repoURL: https://charts.example.com',
    'chart: site',
    'version: 1.0.0',
    'values: { env: "{{cluster.environment}}", tier: "{{vars.tier}}" }',
    'overrides:',
    '  providers: { eks: { values: { order: [provider] } } }',
    '  environments: { prod: { values: { order: [environment] } } }',
    '  clusters: { prod-2: { values: { order: [cluster] } } }',
    '',
  ].join('\n'),
  'apps/web/site/values.eks.yaml': 'file: provider\n',
  'apps/web/site/values.prod.yaml': 'file: environment\n',
  'apps/web/site/values.prod-2.yaml': 'file: cluster\n',
};

t.test('an environment is a layer between the provider and the cluster, everywhere layers exist', async (t) => {
  const apps = byName(BASE);
  const prod1 = valuesOf(apps.get('web-site-prod-1'));
  t.same(
    prod1.winner,
    { gitops: 'gitops', provider: 'provider', environment: 'environment', cluster: 'cluster' },
    'defaults: provider < environment < cluster',
  );
  t.equal(prod1.env, 'prod', '{{cluster.environment}}');
  t.equal(prod1.tier, 'prod-env', 'environment vars reach {{vars}}');
  t.same(prod1.order, ['environment'], 'overrides.environments over overrides.providers');
  t.equal(prod1.file, 'environment', 'values.<environment>.yaml over values.<provider>.yaml');
  const prod2 = valuesOf(apps.get('web-site-prod-2'));
  t.same(prod2.order, ['cluster'], 'overrides.clusters over overrides.environments');
  t.equal(prod2.file, 'cluster', 'values.<cluster>.yaml over values.<environment>.yaml');
  const dev = valuesOf(apps.get('web-site-dev-1'));
  t.same(dev.winner, { gitops: 'gitops', provider: 'provider', environment: 'provider', cluster: 'provider' }, 'an environment without a file adds no layer');
  t.same(dev.order, ['provider']);
  t.equal(dev.env, 'dev');
  t.equal(apps.get('web-site-dev-1')!.metadata.labels['gitops-k8s.io/environment'], 'dev');
});

t.test('clusters: { environments } selects by environment', async (t) => {
  const files = { ...BASE, 'apps/web/only-prod.yaml': 'repoURL: https://charts.example.com\nchart: x\nversion: 1.0.0\nclusters: { environments: [prod] }\n' };
  const names = [...byName(files).keys()].filter((n) => n.startsWith('web-only-prod'));
  t.same(names.sort(), ['web-only-prod-prod-1', 'web-only-prod-prod-2']);
});

t.test('explain names the environment file or layer that set a field', async (t) => {
  const [explained] = explainApp(loadPlatformRepo(repoOf(BASE)), 'web/site', { cluster: 'prod-2' });
  const source = (field: string) => explained!.fields.find((f) => f.field === field)?.source;
  t.equal(source('spec.source.helm.valuesObject.winner.environment'), 'environments/prod.yaml:3');
  t.equal(source('spec.source.helm.valuesObject.file'), 'apps/web/site/values.prod-2.yaml:1');
  const [prod1] = explainApp(loadPlatformRepo(repoOf(BASE)), 'web/site', { cluster: 'prod-1' });
  t.equal(prod1!.fields.find((f) => f.field === 'spec.source.helm.valuesObject.file')?.source, 'apps/web/site/values.prod.yaml:1');
  t.equal(prod1!.fields.find((f) => f.field === 'spec.source.helm.valuesObject.order[0]')?.source, 'apps/web/site/app.yaml:7');
});

t.test('an unknown environment anywhere is an error with "did you mean"; names may not collide', async (t) => {
  const problems = problemsOf({
    ...BASE,
    'gitops.yaml': 'repoURL: https://example.com/platform.git\nrollout:\n  steps:\n    - clusters: { environments: [dve] }\n    - {}\n',
    'apps/web/site/app.yaml':
      'repoURL: https://charts.example.com\nchart: site\nversion: 1.0.0\nclusters: { environments: [prdo] }\noverrides:\n  environments: { staging: {} }\n',
    'apps/web/site/values.prod.yaml': 'a: 1\n',
    'apps/web/site/values.qa.yaml': 'a: 1\n',
  });
  const unknown = problems.filter((p) => p.code === 'GK_UNKNOWN_ENVIRONMENT').sort((a, b) => `${a.file}${a.line}`.localeCompare(`${b.file}${b.line}`));
  t.match(unknown, [
    {
      file: 'apps/web/site/app.yaml',
      line: 4,
      field: 'clusters.environments[0]',
      message: /unknown environment "prdo" \(did you mean "prod"\?\); known: dev, prod/,
    },
    { file: 'apps/web/site/app.yaml', line: 6, field: 'overrides.environments.staging', message: /unknown environment "staging"; known: dev, prod/ },
    { file: 'gitops.yaml', line: 4, field: 'rollout.steps[0].clusters.environments[0]', message: /did you mean "dev"/ },
  ]);
  t.equal(unknown.length, 3);
  t.match(
    problems.find((p) => p.file === 'apps/web/site/values.qa.yaml'),
    { message: /names no provider, environment or cluster/ },
  );
  t.notOk(
    problems.some((p) => p.file === 'apps/web/site/values.prod.yaml'),
    'values.<environment>.yaml is a layer',
  );

  const collisions = problemsOf({
    ...BASE,
    'environments/eks.yaml': 'vars: {}\n',
    'clusters/qa.yaml': 'provider: eks\nserver: https://qa.example.com\nenvironment: prod-1\n',
  });
  t.match(
    collisions.find((p) => p.file === 'environments/eks.yaml'),
    { code: 'GK_NAME_COLLISION', message: /environment "eks" has the name of a provider/ },
  );
  t.match(
    collisions.find((p) => p.file === 'clusters/qa.yaml'),
    { code: 'GK_NAME_COLLISION', line: 3, field: 'environment', message: /environment "prod-1" has the name of a cluster/ },
  );
});

// Two steps: dev first, then prod two at a time; a chain of dependencies in each.
const ROLLOUT_STEPS = 'rollout:\n  steps:\n    - clusters: { environments: [dev] }\n    - clusters: { environments: [prod] }\n      maxUpdate: 50%\n';
const ROLLOUT: Files = {
  ...BASE,
  'gitops.yaml': `${BASE['gitops.yaml']}${ROLLOUT_STEPS}`,
  'apps/web/db.yaml': 'repoURL: https://charts.example.com\nchart: db\nversion: 1.0.0\nsyncWave: -1\n',
  'apps/web/api.yaml': 'repoURL: https://charts.example.com\nchart: api\nversion: 1.0.0\ndependsOn: [db, site]\n',
};

t.test('rollout steps: a label per step, and waves ordered by step, then by dependsOn', async (t) => {
  const apps = byName(ROLLOUT);
  const wave = (name: string) => Number(apps.get(name)!.metadata.annotations['argocd.argoproj.io/sync-wave']);
  const step = (name: string) => apps.get(name)!.metadata.labels['gitops-k8s.io/rollout-step'];
  for (const [name, app] of apps) t.ok(app.metadata.labels['gitops-k8s.io/rollout-step'], `${name} has a step`);
  t.equal(step('web-db-dev-1'), '1');
  t.equal(step('web-db-prod-1'), '2');
  const dev = [...apps.keys()].filter((n) => n.endsWith('-dev-1'));
  const prod = [...apps.keys()].filter((n) => !n.endsWith('-dev-1'));
  t.ok(Math.max(...dev.map(wave)) < Math.min(...prod.map(wave)), 'every wave of step 2 is later than every wave of step 1');
  for (const cluster of ['dev-1', 'prod-1', 'prod-2']) {
    t.ok(wave(`web-db-${cluster}`) < wave(`web-api-${cluster}`), `dependsOn holds within the step on ${cluster}`);
    t.ok(wave(`web-db-${cluster}`) < wave(`web-site-${cluster}`), 'syncWave -1 before wave 0');
    t.equal(wave(`web-api-${cluster}`), wave(`web-site-${cluster}`) + 1);
  }
  t.same([wave('web-db-dev-1'), wave('web-site-dev-1'), wave('web-api-dev-1'), wave('web-db-prod-1'), wave('web-api-prod-2')], [0, 1, 2, 3, 5]);

  const [explained] = explainApp(loadPlatformRepo(repoOf(ROLLOUT)), 'web/api', { cluster: 'prod-1' });
  const source = explained!.fields.find((f) => f.field === 'metadata.annotations["argocd.argoproj.io/sync-wave"]')!.source;
  t.equal(
    source,
    'gitops.yaml:8 (rollout step 2): step 2 starts at wave 3; ' +
      "dependency wave 1 (apps/web/api.yaml:4 (dependsOn)) is number 3 of the step's waves, so 3 + 2 = 5",
  );
  t.equal(explained!.fields.find((f) => f.field === 'metadata.labels["gitops-k8s.io/rollout-step"]')!.source, 'gitops.yaml:8 (rollout step 2)');
});

t.test('a cluster no step selects is an error; a last step without clusters takes the rest', async (t) => {
  const gitops = 'repoURL: https://example.com/platform.git\nrollout:\n  steps:\n    - clusters: [dev-1]\n    - clusters: { environments: [dev] }\n';
  const problems = problemsOf({ ...BASE, 'gitops.yaml': gitops });
  t.match(
    problems.find((p) => p.field === 'rollout.steps'),
    {
      code: 'GK_INVALID_VALUE',
      file: 'gitops.yaml',
      line: 4,
      message: /no step selects clusters prod-1, prod-2; add them to a step, or end with a step without clusters:/,
    },
  );
  t.match(
    problems.find((p) => p.field === 'rollout.steps[1]'),
    { code: 'GK_INVALID_VALUE', file: 'gitops.yaml', line: 5, message: /step 2 selects no cluster/ },
  );
  t.equal(problems.length, 2);
  const rest = byName({
    ...BASE,
    'gitops.yaml': 'repoURL: https://example.com/platform.git\nvars: { tier: none }\nrollout:\n  steps:\n    - clusters: [prod-2]\n    - {}\n',
  });
  t.same([...rest.values()].map((a) => `${a.metadata.labels['gitops-k8s.io/cluster']}:${a.metadata.labels['gitops-k8s.io/rollout-step']}`).sort(), [
    'dev-1:2',
    'prod-1:2',
    'prod-2:1',
  ]);
});

t.test('without rollout, nothing changes: no rollout label, the waves of before', async (t) => {
  const files = { ...ROLLOUT, 'gitops.yaml': BASE['gitops.yaml']! };
  const apps = byName(files);
  for (const app of apps.values()) t.notOk(Object.keys(app.metadata.labels).some((k) => k.startsWith('gitops-k8s.io/rollout')));
  t.equal(apps.get('web-db-prod-1')!.metadata.annotations['argocd.argoproj.io/sync-wave'], '-1');
  t.equal(apps.get('web-api-prod-1')!.metadata.annotations['argocd.argoproj.io/sync-wave'], '1');
  t.notOk('argocd.argoproj.io/sync-wave' in apps.get('web-site-prod-1')!.metadata.annotations);
  // The same repo without environments renders byte for byte as a repo of before this feature.
  const plain: Files = {
    'gitops.yaml': 'repoURL: https://example.com/platform.git\n',
    'clusters/a.yaml': 'provider: eks\nserver: https://a.example.com\n',
    'apps/web/db.yaml': ROLLOUT['apps/web/db.yaml']!,
    'apps/web/api.yaml': 'repoURL: https://charts.example.com\nchart: api\nversion: 1.0.0\ndependsOn: [db]\n',
  };
  t.matchSnapshot(formatObjects(objectsOf(render(plain))), 'output of a repo without environments or rollout');
});

t.test('render --only applicationset: the plugin generator with RollingSync steps per (step, wave)', async (t) => {
  const root = t.testdir(nest(ROLLOUT) as Parameters<typeof t.testdir>[0]);
  const run = runCli(['render', root, '--only', 'applicationset']);
  t.equal(run.status, 0, run.stderr);
  const appset = parse(run.stdout);
  t.same(crdProblemsAll([appset]), [], 'valid against the ApplicationSet CRD');
  t.same(appset.spec.generators[0].plugin.input.parameters, { repoURL: 'https://example.com/platform.git', revision: 'HEAD', path: '.' });
  t.equal(appset.spec.goTemplate, true);
  const steps = appset.spec.strategy.rollingSync.steps as { matchExpressions: { key: string; values: string[] }[]; maxUpdate?: unknown }[];
  t.equal(appset.spec.strategy.type, 'RollingSync');
  t.same(
    steps.map((s) => [s.matchExpressions.map((e) => `${e.key}=${e.values.join()}`).join(' '), s.maxUpdate]),
    [
      ['gitops-k8s.io/rollout-step=1 gitops-k8s.io/rollout-wave=1', undefined],
      ['gitops-k8s.io/rollout-step=1 gitops-k8s.io/rollout-wave=2', undefined],
      ['gitops-k8s.io/rollout-step=1 gitops-k8s.io/rollout-wave=3', undefined],
      ['gitops-k8s.io/rollout-step=2 gitops-k8s.io/rollout-wave=1', '50%'],
      ['gitops-k8s.io/rollout-step=2 gitops-k8s.io/rollout-wave=2', '50%'],
      ['gitops-k8s.io/rollout-step=2 gitops-k8s.io/rollout-wave=3', '50%'],
    ],
  );
  // Every Application is in exactly one RollingSync step: none is left for a manual sync.
  for (const r of render(ROLLOUT).apps) {
    const labels = r.application.metadata.labels;
    const matching = steps.filter((s) => s.matchExpressions.every((e) => e.values.includes(labels[e.key]!)));
    t.equal(matching.length, 1, r.application.metadata.name);
    // RollingSync turns automated sync off and takes prune from automated.prune: the generator keeps it.
    t.match(r.application.spec.syncPolicy, { automated: { prune: true } });
  }
  const usage = runCli(['render', root, '--only', 'applicationset', '--cluster', 'dev-1']);
  t.equal(usage.status, 2);
  t.match(usage.stderr, /covers the whole repo/);
});

t.test('the shipped ApplicationSet is what render prints for examples/platform', async (t) => {
  const run = runCli(['render', path.join(projectRoot, 'examples', 'platform'), '--only', 'applicationset']);
  t.equal(run.status, 0, run.stderr);
  t.equal(run.stdout, readFileSync(path.join(projectRoot, 'manifests', 'install', 'applicationset.yaml'), 'utf8'));
  const appset = parse(run.stdout);
  t.same(crdProblemsAll([appset]), []);
  t.ok(appset.spec.strategy.rollingSync.steps.length >= 2);
});

t.test('status shows rollout progress per step and the step under way', async (t) => {
  const platform = render(ROLLOUT);
  const argoApp = (name: string, sync: string, health: string): ArgoAppStatus =>
    ({ name, namespace: 'argocd', sync, health, conditions: [], labels: {} }) as unknown as ArgoAppStatus;
  const apps = platform.apps.map((r) => r.application.metadata.name);
  const status = apps.map((name) =>
    name.endsWith('-dev-1')
      ? argoApp(name, 'Synced', 'Healthy')
      : name === 'web-db-prod-1'
        ? argoApp(name, 'Synced', 'Progressing')
        : argoApp(name, 'OutOfSync', 'Healthy'),
  );
  const matrix = buildStatusMatrix(platform, { server: 'https://argocd.example.com', apps: status });
  t.same(matrix.rollout, {
    current: 2,
    steps: [
      { step: 1, clusters: ['dev-1'], applications: 3, synced: 3, healthy: 3, state: 'done' },
      { step: 2, clusters: ['prod-1', 'prod-2'], applications: 6, synced: 1, healthy: 5, state: 'active' },
    ],
  });
  const table = formatStatusTable(matrix);
  t.match(table, /rollout: step 2 of 2 under way/);
  t.match(table, /step 1 \(dev-1\): 3\/3 synced, 3\/3 healthy, done/);
  t.match(table, /step 2 \(prod-1, prod-2\): 1\/6 synced, 5\/6 healthy, active/);
  const page = renderStatusPage(matrix, { source: 'mem', nonce: 'n' });
  t.match(page, /<li class="rollout-active" data-step="2" data-state="active">/);
  t.notOk(buildStatusMatrix(render({ ...BASE })).rollout, 'no rollout section without rollout');
});

/** A flat map of paths to t.testdir's nested form. */
function nest(files: Files): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [p, text] of Object.entries(files)) {
    const parts = p.split('/');
    let node = out;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = text;
  }
  return out;
}
