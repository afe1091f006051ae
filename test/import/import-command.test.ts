import t from 'tap';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadPlatformRepo } from '../../src/core/load/load-platform-repo.js';
import { renderModel } from '../../src/core/render/render-platform.js';
import { openLocalRepo } from '../../src/sources/repo-files.js';
import { runTool } from '../../src/tools/external-tool.js';
import { projectRoot } from '../helpers/project-root.js';
import { helmBinary } from '../helpers/tools.js';
import { fixture, freshDir, runImportCli } from '../helpers/import-support.js';

t.setTimeout(300_000);

const renderedNames = (dir: string): string[] =>
  renderModel(loadPlatformRepo(openLocalRepo(dir)))
    .apps.map((r) => r.application.metadata.name)
    .sort();
const read = (dir: string, file: string): Record<string, unknown> => parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;

async function chartApplications(args: string[] = []): Promise<string[]> {
  const { stdout } = await runTool(helmBinary(), ['template', 'x', fixture('import-seed-chart'), ...args]);
  return parseAllDocuments(stdout)
    .map((d) => d.toJS())
    .filter((o) => o?.kind === 'Application')
    .map((o) => o.metadata.name as string)
    .sort();
}

t.test("a seed-style app-of-apps chart becomes a native repo whose render is the chart's Applications", async (t) => {
  const out = freshDir();
  const run = await runImportCli(['import', fixture('import-seed-chart'), '--out', out]);
  t.equal(run.status, 0, run.stdout + run.stderr);
  t.match(run.stdout, /verified: the 6 generated Applications are the input's/);
  // Names kept, so Argo CD adopts the same objects.
  t.same(renderedNames(out), await chartApplications());
  // The same app on three clusters is one app, per-cluster differences as overrides, parameters as typed values.
  const es = read(out, 'apps/observe/elasticsearch.yaml');
  t.equal(es.name, undefined, 'naming.application gives its names');
  t.equal(es.clusters, undefined, 'on every cluster: no selection');
  t.same((es.values as Record<string, unknown>).ingress, { enabled: false });
  t.same((es.values as Record<string, unknown>).extraArgs, ['--verbose']);
  t.same((es.overrides as { clusters: Record<string, { values: Record<string, unknown> }> }).clusters['eks-eu']!.values, {
    volumeClaimTemplate: { storageClassName: 'gp3' },
    replicas: 2,
  });
  // A literal {{ in values survives the templating of app files.
  t.equal((es.values as Record<string, unknown>).clusterName, '\\{{ .Release.Name }}');
  // Parameters --set would read differently stay, in a full Application limited to its clusters.
  const kibana = read(out, 'apps/observe/kibana.yaml');
  t.equal(kibana.kind, 'Application');
  t.same(kibana['gitops-k8s'], { clusters: ['do-ams3', 'eks-eu'] });
  t.match(run.stdout, /apps\/observe\/kibana\.yaml: helm\.parameters image\.tag, annotations\.team are not/);
  // Clusters from destinations, providers from server URLs, said in the report.
  t.same(read(out, 'clusters/eks-eu.yaml'), { provider: 'eks', server: 'https://ABCD.gr7.eu-west-1.eks.amazonaws.com' });
  t.same(read(out, 'clusters/gke-prod.yaml'), { provider: 'generic', server: 'https://34.1.2.3' });
  t.match(run.stdout, /clusters\/do-ams3\.yaml: https:\/\/1a2b\.k8s\.ondigitalocean\.com: .*provider digitalocean/);
  // AppProject and Namespace into namespace.yaml.
  t.same(read(out, 'apps/observe/namespace.yaml'), {
    labels: { team: 'observe' },
    project: {
      name: 'observability',
      description: 'Monitoring',
      sourceRepos: ['*'],
      extraDestinations: [{ server: '*', namespace: 'observe' }],
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
    },
  });
  // No syncPolicy stays manual; no finalizer stays without one, and the report says so.
  const frontend = read(out, 'apps/web/frontend.yaml');
  t.equal(frontend.syncPolicy, undefined);
  t.equal(frontend.finalizer, false);
  // Most apps are named <app>-<cluster>; the one that is not says its name.
  t.same(read(out, 'gitops.yaml'), { naming: { application: '{{app}}-{{cluster.name}}' }, defaults: { syncPolicy: null } });
  t.equal(frontend.name, '{{app}}');
  t.match(run.stdout, /without the resources finalizer, kept so .*: frontend/);
  const rendered = renderModel(loadPlatformRepo(openLocalRepo(out))).apps.find((r) => r.application.metadata.name === 'frontend')!.application;
  t.equal(rendered.spec.syncPolicy, undefined);
  t.same(rendered.metadata.finalizers, []);
});

t.test("the chart's values, --values and --set decide what is imported (an if-guarded app)", async (t) => {
  const out = freshDir();
  mkdirSync(path.dirname(out), { recursive: true });
  const values = path.join(path.dirname(out), 'more.yaml');
  writeFileSync(values, 'esVersion: 8.6.0\n');
  const run = await runImportCli(['import', fixture('import-seed-chart'), '--out', out, '--set', 'grafana.enabled=true', '--values', values]);
  t.equal(run.status, 0, run.stdout + run.stderr);
  t.same(renderedNames(out), await chartApplications(['--set', 'grafana.enabled=true']));
  t.ok(renderedNames(out).includes('grafana'));
  t.equal(read(out, 'apps/observe/elasticsearch.yaml').version, '8.6.0');
  t.same(read(out, 'apps/observe/grafana.yaml').clusters, ['do-ams3']);
});

t.test('a kind: List of live Applications: cleaned, grouped across clusters by name, plugin and multi-source kept whole', async (t) => {
  const out = freshDir();
  const run = await runImportCli(['import', fixture('import-live-list/applications.yaml'), '--out', out]);
  t.equal(run.status, 0, run.stdout + run.stderr);
  t.match(run.stdout, /verified: the 5 generated Applications are the input's/);
  t.same(renderedNames(out), ['api-prod-eu', 'api-prod-us', 'api-staging', 'prometheus', 'vault-config']);
  const text = readFileSync(path.join(out, 'apps/api/api.yaml'), 'utf8');
  for (const live of ['status', 'uid', 'resourceVersion', 'managedFields', 'argocd.argoproj.io/refresh', 'last-applied-configuration']) t.notMatch(text, live);
  const api = read(out, 'apps/api/api.yaml') as { overrides: { clusters: Record<string, Record<string, unknown>> } } & Record<string, unknown>;
  t.same(api.kustomize, undefined, 'differs on staging: per cluster');
  t.same(api.overrides.clusters.staging, {
    repoURL: 'https://github.com/acme/api.git',
    targetRevision: 'main',
    path: 'deploy/overlays/staging',
    kustomize: { namePrefix: 'staging-' },
    finalizer: false,
  });
  t.same(api.annotations, { 'notifications.argoproj.io/subscribe.on-sync-failed.slack': 'backend' });
  // Destinations by Argo CD cluster name keep that name.
  t.same(read(out, 'clusters/prod-eu.yaml'), { provider: 'generic', name: 'prod-eu' });
  t.match(run.stdout, /apps\/vault\/vault-config\.yaml: spec\.source\.plugin has no app key/);
  t.match(run.stdout, /apps\/monitoring\/prometheus\.yaml: spec\.sources \(several sources\) has no app key/);
  t.same(read(out, 'apps/monitoring/prometheus.yaml')['gitops-k8s'], { clusters: ['prod-eu'] });
  t.match(run.stdout, /ignored ConfigMap stray/);
});

t.test('stdin (-) is a source too', async (t) => {
  // The command reads process.stdin; the in-process run gets it through a spawned CLI instead.
  const { spawnSync } = await import('node:child_process');
  const out = freshDir();
  const cli = path.join(projectRoot, 'dist/src/gitops-k8s.cjs');
  const run = spawnSync(process.execPath, [cli, 'import', '-', '--out', out], {
    input: readFileSync(fixture('import-live-list/applications.yaml')),
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  t.equal(run.status, 0, run.stdout + run.stderr);
  t.ok(existsSync(path.join(out, 'apps/api/api.yaml')));
});

t.test('a non-empty --out needs --force; differences fail the import unless accepted', async (t) => {
  const out = freshDir();
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'README.md'), 'mine\n');
  const refused = await runImportCli(['import', fixture('import-live-list/applications.yaml'), '--out', out]);
  t.equal(refused.status, 2);
  t.match(refused.stderr, /is not empty; pass --force/);
  t.notOk(existsSync(path.join(out, 'gitops.yaml')));
  // An Application name that is no DNS label cannot be kept: the render differs, and import says how.
  const input = path.join(path.dirname(out), 'dotted.yaml');
  writeFileSync(input, readFileSync(fixture('import-live-list/applications.yaml'), 'utf8').replace('name: api-staging', 'name: api.staging'));
  const differs = await runImportCli(['import', input, '--out', out, '--force']);
  t.equal(differs.status, 1, differs.stdout);
  t.match(differs.stdout, /difference: api\.staging: not generated \(missing\)/);
  t.match(differs.stdout, /difference: api-staging: generated, not in the input \(extra\)/);
  t.equal(readFileSync(path.join(out, 'README.md'), 'utf8'), 'mine\n', '--force replaces only what import writes');
  const accepted = await runImportCli(['import', input, '--out', out, '--force', '--accept', 'missing,extra']);
  t.equal(accepted.status, 0, accepted.stdout);
  t.match(accepted.stdout, /accepted: api\.staging: missing/);
});

t.test('bad input is one error naming every problem', async (t) => {
  const dir = path.dirname(freshDir());
  const bad = path.join(dir, 'bad.yaml');
  writeFileSync(
    bad,
    'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: { name: a }\n' +
      'spec: { destination: { server: https://x, namespace: Not_DNS } }\n---\nkey: [unclosed\n',
  );
  const run = await runImportCli(['import', bad, path.join(dir, 'absent.yaml'), '--out', path.join(dir, 'out')]);
  t.equal(run.status, 1);
  t.match(run.stderr, /absent\.yaml: no such file or folder/);
  t.match(run.stderr, /bad\.yaml:\d+: /);
});
