/**
 * `check` on examples/platform. Tests cannot reach the real chart
 * repositories, so each chart the example names is served from a loopback
 * chart repository as a small stand-in with the same name and version and the
 * kinds the real chart installs at cluster scope (CRDs, ClusterRoles,
 * webhooks, IngressClass, GatewayClass, APIService) and the custom resources
 * it creates; `--repo-map` points the example's repoURLs at it. Argo CD's own
 * app is served by git daemon from this repository's manifests/ (its remote
 * install.yaml replaced by the vendored copy). The guestbook app is left out:
 * its source is a pinned commit of a GitHub repository no test can recreate.
 */
import t from 'tap';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../../src/cli/cli.js';
import { commitAll, helmEnv, packageCharts, startChartRepo, startGitDaemon, type ChartSpec } from '../helpers/manifest-servers.js';
import { projectRoot as root } from '../helpers/project-root.js';

const crd = (group: string, kind: string, scope = 'Namespaced'): string => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ${kind.toLowerCase()}s.${group}}
spec:
  group: ${group}
  scope: ${scope}
  names: {kind: ${kind}, plural: ${kind.toLowerCase()}s}
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`;
const rbac = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "{{ .Release.Name }}"}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "{{ .Release.Name }}"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "{{ .Release.Name }}"}
subjects: [{kind: ServiceAccount, name: "{{ .Release.Name }}", namespace: "{{ .Release.Namespace }}"}]
`;
const workload = (kind: string): string => `apiVersion: apps/v1
kind: ${kind}
metadata: {name: "{{ .Release.Name }}"}
spec:
  selector: {matchLabels: {app: "{{ .Release.Name }}"}}
  template:
    metadata: {labels: {app: "{{ .Release.Name }}"}}
    spec: {containers: [{name: main, image: example/main:1}]}
`;
const webhooks = `apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: "{{ .Release.Name }}"}
webhooks: []
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: "{{ .Release.Name }}"}
webhooks: []
`;
const custom = (apiVersion: string, kind: string, name = '{{ .Release.Name }}'): string =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: "${name}"}\n`;

const charts: ChartSpec[] = [
  {
    name: 'kube-prometheus-stack',
    version: '88.4.0',
    crds: {
      'sm.yaml': crd('monitoring.coreos.com', 'ServiceMonitor'),
      'pr.yaml': crd('monitoring.coreos.com', 'PrometheusRule'),
      'p.yaml': crd('monitoring.coreos.com', 'Prometheus'),
    },
    templates: {
      'rbac.yaml': rbac,
      'hooks.yaml': webhooks,
      'op.yaml': workload('Deployment'),
      'ne.yaml': workload('DaemonSet'),
      'cr.yaml': `${custom('monitoring.coreos.com/v1', 'Prometheus')}---\n${custom('monitoring.coreos.com/v1', 'ServiceMonitor')}`,
    },
  },
  { name: 'fluent-bit', version: '0.57.0', templates: { 'rbac.yaml': rbac, 'ds.yaml': workload('DaemonSet') } },
  {
    name: 'eck-operator',
    version: '3.2.0',
    crds: { 'es.yaml': crd('elasticsearch.k8s.elastic.co', 'Elasticsearch'), 'kb.yaml': crd('kibana.k8s.elastic.co', 'Kibana') },
    templates: { 'rbac.yaml': rbac, 'hook.yaml': webhooks.split('---\n')[1]!, 'sts.yaml': workload('StatefulSet') },
  },
  {
    name: 'eck-stack',
    version: '0.17.0',
    templates: {
      'es.yaml': custom('elasticsearch.k8s.elastic.co/v1', 'Elasticsearch', 'elasticsearch'),
      'kb.yaml': custom('kibana.k8s.elastic.co/v1', 'Kibana', 'kibana'),
    },
  },
  {
    name: 'traefik',
    version: '39.0.9',
    crds: {
      'ir.yaml': crd('traefik.io', 'IngressRoute'),
      'gc.yaml': crd('gateway.networking.k8s.io', 'GatewayClass', 'Cluster'),
      'gw.yaml': crd('gateway.networking.k8s.io', 'Gateway'),
    },
    templates: {
      'rbac.yaml': rbac,
      'deploy.yaml': workload('Deployment'),
      'classes.yaml':
        'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: traefik}\nspec: {controller: traefik.io/ingress-controller}\n---\n' +
        `${custom('gateway.networking.k8s.io/v1', 'GatewayClass', 'traefik')}---\n` +
        custom('gateway.networking.k8s.io/v1', 'Gateway', 'traefik-gateway'),
    },
  },
  {
    name: 'aws-load-balancer-controller',
    version: '1.14.0',
    crds: { 'tgb.yaml': crd('elbv2.k8s.aws', 'TargetGroupBinding'), 'icp.yaml': crd('elbv2.k8s.aws', 'IngressClassParams', 'Cluster') },
    templates: {
      'rbac.yaml': rbac,
      'hooks.yaml': webhooks,
      'deploy.yaml': workload('Deployment'),
      'ic.yaml': `apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: alb}\nspec: {controller: ingress.k8s.aws/alb}\n`,
    },
  },
  { name: 'headlamp', version: '0.43.0', templates: { 'crb.yaml': rbac.split('---\n')[1]!, 'deploy.yaml': workload('Deployment') } },
  ...['3.13.1', '3.14.0'].map((version) => ({
    name: 'metrics-server',
    version,
    templates: {
      'rbac.yaml': rbac,
      'deploy.yaml': workload('Deployment'),
      'api.yaml':
        'apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: v1beta1.metrics.k8s.io}\n' +
        'spec: {group: metrics.k8s.io, version: v1beta1}\n',
      'sm.yaml': custom('monitoring.coreos.com/v1', 'ServiceMonitor'),
    },
  })),
];

t.test('check passes on examples/platform, its charts served on loopback', async (t) => {
  const dir = t.testdir({});
  const env = { ...helmEnv(dir), GITOPS_K8S_CACHE_DIR: path.join(dir, 'cache') };
  packageCharts(path.join(dir, 'charts'), charts);
  const repo = await startChartRepo(path.join(dir, 'charts'));
  t.teardown(() => repo.server.close());

  // This repository's manifests/ at tag v0.1.0, with Argo CD's install.yaml from vendor/ instead of GitHub.
  const self = path.join(dir, 'git/gitops-k8s.git');
  cpSync(path.join(root, 'manifests'), path.join(self, 'manifests'), { recursive: true });
  cpSync(path.join(root, 'vendor/argo-cd/install.yaml'), path.join(self, 'manifests/install/argo-cd-install.yaml'));
  const kustomization = path.join(self, 'manifests/install/kustomization.yaml');
  writeFileSync(
    kustomization,
    readFileSync(kustomization, 'utf8').replace(/https:\/\/raw\.githubusercontent\.com\/argoproj\/argo-cd\/[^\n]*install\.yaml/, 'argo-cd-install.yaml'),
  );
  commitAll(self, 'v0.1.0');
  const git = await startGitDaemon(path.join(dir, 'git'));
  t.teardown(() => git.child.kill());

  const platform = path.join(dir, 'platform');
  cpSync(path.join(root, 'examples/platform'), platform, { recursive: true });
  rmSync(path.join(platform, 'apps/guestbook'), { recursive: true });

  const chartRepos = [
    'https://prometheus-community.github.io/helm-charts',
    'https://fluent.github.io/helm-charts',
    'https://helm.elastic.co',
    'https://traefik.github.io/charts',
    'https://aws.github.io/eks-charts',
    'https://kubernetes-sigs.github.io/headlamp/',
    'https://kubernetes-sigs.github.io/metrics-server/',
  ];
  const maps = [...chartRepos.map((url) => `${url}=${repo.url}`), `https://github.com/gitops-k8s/gitops-k8s.git=${git.url}/gitops-k8s.git`];
  const check = async (): Promise<{ code: number; stdout: string; stderr: string }> => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['check', platform, ...maps.flatMap((m) => ['--repo-map', m])], {
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
      env,
      cwd: root,
    });
    return { code, stdout, stderr };
  };
  const passing = await check();
  t.equal(passing.stderr, '');
  t.equal(passing.code, 0, passing.stdout);
  t.match(passing.stdout, /^ok: \d+ resources of 23 Applications on 3 clusters/m);
  t.ok(
    repo.requests.some((r) => r.endsWith('kube-prometheus-stack-88.4.0.tgz')),
    'the charts came from the loopback repository',
  );

  // The ingress project without GatewayClass: Argo CD would refuse traefik's, and check says so and how to permit it.
  const ns = path.join(platform, 'apps/ingress/namespace.yaml');
  writeFileSync(ns, readFileSync(ns, 'utf8').replace(/^.*kind: GatewayClass.*\n/m, ''));
  const refused = await check();
  t.equal(refused.code, 1);
  t.match(
    refused.stdout,
    /^apps\/ingress\/traefik\.yaml: on do-ams3: GatewayClass\/\/traefik: AppProject ingress refuses GatewayClass\.gateway\.networking\.k8s\.io/m,
  );
  t.match(
    refused.stdout,
    new RegExp(
      /To permit these kinds, add to apps\/ingress\/namespace\.yaml:\n {2}project:\n {4}clusterResourceWhitelist:\n/.source +
        / {4}- group: gateway\.networking\.k8s\.io\n {6}kind: GatewayClass\n/.source,
    ),
  );
});
