import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { runCli } from '../../src/cli/cli.js';
import { objectsOf, openLocalRepo, renderPlatform, selectOutput, type RenderedApp } from '../../src/index.js';
import { crdProblemsAll } from '../helpers/crd.js';
import { projectRoot as root } from '../helpers/project-root.js';

const example = path.join(root, 'examples/platform');
const platform = renderPlatform(openLocalRepo(example));
const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
const objects = objectsOf(selectOutput(platform));

function appOf(id: string, cluster: string): RenderedApp {
  const found = platform.apps.find((r) => `${r.namespace.name}/${r.app.name}` === id && r.cluster.name === cluster);
  if (!found) throw new Error(`no Application for ${id} on ${cluster}`);
  return found;
}
// Helm values of one Application, as Argo CD will read them.
function valuesOf(id: string, cluster: string): any {
  return (appOf(id, cluster).application.spec.source as any).helm?.valuesObject;
}
function sourceOf(id: string, cluster: string): any {
  return appOf(id, cluster).application.spec.source;
}
function waveOf(id: string, cluster: string): number {
  return Number(appOf(id, cluster).application.metadata.annotations['argocd.argoproj.io/sync-wave'] ?? 0);
}

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env: {}, cwd: root });
  return { code, stdout, stderr };
}

t.test('the example lints clean', async (t) => {
  const { code, stderr } = await cli(['lint', 'examples/platform']);
  t.equal(code, 0, stderr);
  t.notMatch(stderr, /GK_|problem/);
});

t.test('every object the example renders is valid against the Argo CD CRDs', async (t) => {
  t.ok(objects.length > 20);
  t.same(crdProblemsAll(objects), []);
});

t.test('render prints YAML that reads back as the same objects', async (t) => {
  const { code, stdout } = await cli(['render', 'examples/platform']);
  t.equal(code, 0);
  const docs = parseAllDocuments(stdout).map((d) => d.toJS());
  t.same(docs, JSON.parse(JSON.stringify(objects)));
});

t.test('all three clusters, one per provider, get Applications', async (t) => {
  const byCluster = new Map<string, string>();
  for (const r of platform.apps) byCluster.set(r.cluster.name, r.cluster.provider);
  t.same(Object.fromEntries(byCluster), { 'do-ams3': 'digitalocean', 'eks-eu-west-1': 'eks', 'gke-europe-west4': 'gke' });
  t.match(appOf('kube-system/metrics-server', 'do-ams3').application.spec.destination, {
    server: /^https:\/\/[0-9a-f-]{36}\.k8s\.ondigitalocean\.com$/,
  });
  t.match(appOf('kube-system/metrics-server', 'eks-eu-west-1').application.spec.destination, {
    server: /^https:\/\/[0-9A-F]{32}\.gr7\.eu-west-1\.eks\.amazonaws\.com$/,
  });
  t.match(appOf('kube-system/metrics-server', 'gke-europe-west4').application.spec.destination, { server: /^https:\/\/\d+\.\d+\.\d+\.\d+$/ });
});

t.test('every chart is pinned to an exact version, every Git source to a commit or a release tag', async (t) => {
  for (const r of platform.apps) {
    const source = r.application.spec.source as { chart?: string; targetRevision?: string };
    if (source.chart) t.match(source.targetRevision, /^\d+\.\d+\.\d+$/, r.application.metadata.name);
    // Argo CD itself follows gitops-k8s's release tag: the one bootstrap pins (ref=v<version>).
    else if (r.namespace.name === 'argocd') t.equal(source.targetRevision, `v${version}`, r.application.metadata.name);
    else t.match(source.targetRevision, /^[0-9a-f]{40}$/, r.application.metadata.name);
  }
});

t.test('provider values land where the seed hard-coded them', async (t) => {
  t.equal(
    valuesOf('observe/kube-prometheus-stack', 'gke-europe-west4').prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName,
    'premium-rwo',
  );
  t.equal(valuesOf('observe/kube-prometheus-stack', 'eks-eu-west-1').prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName, 'gp2');
  t.equal(
    valuesOf('observe/kube-prometheus-stack', 'do-ams3').prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName,
    'do-block-storage',
  );
  for (const cluster of ['do-ams3', 'eks-eu-west-1', 'gke-europe-west4']) {
    const values = valuesOf('observe/kube-prometheus-stack', cluster);
    t.equal(values.kubeEtcd.enabled, false, 'a single-variable template keeps the boolean');
    t.equal(values.grafana.ingress.ingressClassName, 'traefik', 'providers/<p>.yaml overrides the preset');
  }
  t.same(valuesOf('ingress/traefik', 'eks-eu-west-1').service.annotations, {
    'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
    'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
    'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
  });
  t.same(valuesOf('ingress/traefik', 'do-ams3').service.annotations, {
    'service.beta.kubernetes.io/do-loadbalancer-healthcheck-protocol': 'tcp',
    'service.beta.kubernetes.io/do-loadbalancer-name': 'platform-ingress',
  });
  t.same(valuesOf('kube-system/metrics-server', 'gke-europe-west4').args, ['--kubelet-insecure-tls=false', '--kubelet-preferred-address-types=InternalIP']);
  t.equal(valuesOf('kube-system/headlamp', 'eks-eu-west-1').ingress.hosts[0].host, 'headlamp.eu.example.com');
  t.match(valuesOf('observe/fluent-bit', 'gke-europe-west4').config.outputs, /Logstash_Prefix +gke-europe-west4\n/);
});

t.test('overrides and values files layer per provider and per cluster', async (t) => {
  t.equal(sourceOf('kube-system/metrics-server', 'do-ams3').targetRevision, '3.14.0');
  t.equal(sourceOf('kube-system/metrics-server', 'eks-eu-west-1').targetRevision, '3.13.1');
  t.equal(valuesOf('observe/kube-prometheus-stack', 'gke-europe-west4').kubeDns.enabled, true);
  t.equal(valuesOf('observe/kube-prometheus-stack', 'eks-eu-west-1').kubeDns, undefined);
  t.equal(valuesOf('observe/kube-prometheus-stack', 'do-ams3').prometheus.prometheusSpec.retention, '3d');
  const nodeSet = (cluster: string): any => valuesOf('observe/logging', cluster)['eck-elasticsearch'].nodeSets[0];
  t.equal(nodeSet('do-ams3').count, 1, 'values.do-ams3.yaml');
  t.equal(nodeSet('gke-europe-west4').podTemplate.spec.nodeSelector['cloud.google.com/gke-nodepool'], 'elastic', 'values.gke.yaml');
  t.equal(nodeSet('eks-eu-west-1').count, 3, 'values.yaml');
  t.equal(nodeSet('eks-eu-west-1').podTemplate, undefined);
  t.equal(nodeSet('eks-eu-west-1').volumeClaimTemplates[0].spec.storageClassName, 'gp2');
});

t.test('apps run only where their selectors put them', async (t) => {
  const clustersOf = (id: string): string[] => platform.apps.filter((r) => `${r.namespace.name}/${r.app.name}` === id).map((r) => r.cluster.name);
  t.same(clustersOf('kube-system/aws-load-balancer-controller'), ['eks-eu-west-1']);
  t.same(clustersOf('argocd/argo-cd'), ['eks-eu-west-1']);
  t.same(clustersOf('guestbook/guestbook'), ['do-ams3']);
  t.same(clustersOf('observe/fluent-bit').sort(), ['do-ams3', 'eks-eu-west-1', 'gke-europe-west4']);
});

t.test('dependsOn orders the sync waves', async (t) => {
  t.ok(waveOf('observe/logging', 'eks-eu-west-1') > waveOf('observe/eck-operator', 'eks-eu-west-1'));
  t.ok(waveOf('observe/fluent-bit', 'eks-eu-west-1') > waveOf('observe/logging', 'eks-eu-west-1'));
  t.ok(waveOf('kube-system/headlamp', 'eks-eu-west-1') > waveOf('ingress/traefik', 'eks-eu-west-1'));
  // Its own syncWave -5 puts it first among the waves of its rollout step.
  t.equal(appOf('argocd/argo-cd', 'eks-eu-west-1').rollout?.dependencyWave, -5);
  t.equal(appOf('argocd/argo-cd', 'eks-eu-west-1').rollout?.rank, 1);
  t.same((appOf('argocd/argo-cd', 'eks-eu-west-1').application.spec.syncPolicy as any).automated, { prune: false, selfHeal: true });
});

t.test('each cluster has an environment, and changes roll out staging, canary, then production', async (t) => {
  t.same(
    platform.repo.clusters.map((c) => [c.name, c.environment]),
    [
      ['do-ams3', 'staging'],
      ['eks-eu-west-1', 'prod'],
      ['gke-europe-west4', 'prod'],
    ],
  );
  const stepOf = (cluster: string): number[] => [...new Set(platform.apps.filter((a) => a.cluster.name === cluster).map((a) => a.rollout!.step))];
  t.same([stepOf('do-ams3'), stepOf('gke-europe-west4'), stepOf('eks-eu-west-1')], [[1], [2], [3]]);
  const waves = (cluster: string): number[] => platform.apps.filter((a) => a.cluster.name === cluster).map((a) => a.rollout!.syncWave);
  t.ok(Math.max(...waves('do-ams3')) < Math.min(...waves('gke-europe-west4')));
  t.ok(Math.max(...waves('gke-europe-west4')) < Math.min(...waves('eks-eu-west-1')));
  t.match(
    (appOf('observe/kube-prometheus-stack', 'do-ams3').application.spec.source as any).helm.valuesObject.prometheus.prometheusSpec.retention,
    '3d',
    'environments/staging.yaml vars',
  );
  t.equal((appOf('observe/fluent-bit', 'eks-eu-west-1').application.spec.syncPolicy as any).retry.limit, 10, 'environments/prod.yaml defaults');
});

t.test('namespaces that install cluster-wide objects say so in their AppProject', async (t) => {
  const project = (name: string): any => platform.projects.find((p) => p.metadata.name === name)?.spec;
  t.match(project('argocd').clusterResourceWhitelist, [{ group: '*', kind: '*' }]);
  t.match(project('kube-system').clusterResourceWhitelist, [{ group: '*', kind: '*' }]);
  t.notOk(project('guestbook').clusterResourceWhitelist.some((w: { group: string }) => w.group === '*'));
  t.same(appOf('observe/fluent-bit', 'do-ams3').application.spec.syncPolicy, {
    automated: { prune: true, selfHeal: true },
    syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'],
    retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
    managedNamespaceMetadata: {
      labels: { 'pod-security.kubernetes.io/enforce': 'privileged', team: 'platform' },
      annotations: { owner: 'platform-team@example.com' },
    },
  });
});

t.test('Argo CD manages itself from manifests/install of this release, sidecars included, with nothing ignored', async (t) => {
  const r = appOf('argocd/argo-cd', 'eks-eu-west-1');
  const spec = r.application.spec as any;
  const gitops = parse(readFileSync(path.join(example, 'gitops.yaml'), 'utf8'));
  t.same(spec.source, { repoURL: gitops.repoURL, path: 'manifests/install', targetRevision: `v${version}` }, 'a Git path source in this project, no chart');
  const kustomization = parse(readFileSync(path.join(root, spec.source.path, 'kustomization.yaml'), 'utf8'));
  t.same(kustomization.components, ['../sidecar'], 'the folder it syncs carries the sidecar Component');
  const sidecarImage = /image: (ghcr\.io\/gitops-k8s\/gitops-k8s:\S+)/.exec(readFileSync(path.join(root, 'manifests/cmp/repo-server-patch.yaml'), 'utf8'))?.[1];
  t.equal(sidecarImage, `ghcr.io/gitops-k8s/gitops-k8s:${version}`, 'the tag it follows runs the image of the same release');
  t.same(spec.syncPolicy.automated, { prune: false, selfHeal: true });
  t.same(spec.syncPolicy.syncOptions, ['CreateNamespace=true', 'ServerSideApply=true']);
  t.notOk(spec.ignoreDifferences, 'no ignored diffs: the desired state is what runs');
  const others = platform.apps.filter((a) => a.namespace.name !== 'argocd' && a.cluster.name === 'eks-eu-west-1');
  t.ok(
    waveOf('argocd/argo-cd', 'eks-eu-west-1') < Math.min(...others.map((a) => Number(a.application.metadata.annotations['argocd.argoproj.io/sync-wave']))),
    'before every other app on its cluster',
  );
  const hubs = platform.apps.filter((a) => a.cluster.labels.role === 'hub').map((a) => a.cluster.name);
  t.same([...new Set(hubs)], ['eks-eu-west-1'], 'exactly one hub cluster');
  const project = platform.projects.find((p) => p.metadata.name === spec.project)!.spec as any;
  t.ok(project.sourceRepos.includes(gitops.repoURL), 'its AppProject allows the source');
  t.match(project.clusterResourceWhitelist, [{ group: '*', kind: '*' }], 'and the CRDs and ClusterRoles of the install');
  t.same(crdProblemsAll([r.application]), []);
});
