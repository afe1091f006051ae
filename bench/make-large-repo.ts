/**
 * Generates large, realistic platform repos for the benchmarks, and the
 * equivalent seed-style Helm chart (one template per app ranging over a list
 * of clusters) that `helm template` turns into the same Applications.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { emitYaml } from '../src/core/yaml/emit-yaml.js';

/** Options of {@link makeLargeRepo}. */
export interface LargeRepoOptions {
  /** Apps in the repo (every app runs on every cluster). Default 2,000. */
  apps?: number;
  /** Clusters, spread over four providers. Default 20. */
  clusters?: number;
  /** Apps per namespace folder. Default 40. */
  appsPerNamespace?: number;
}

/** What was generated. */
export interface LargeRepo {
  dir: string;
  apps: number;
  clusters: string[];
  namespaces: string[];
  /** Applications a render produces: apps x clusters. */
  applications: number;
  /** `namespace/app` of every app, in file order. */
  appIds: string[];
}

interface ClusterSpec {
  name: string;
  provider: string;
  server: string;
  env: string;
  region: string;
  domain: string;
}

interface AppSpec {
  namespace: string;
  name: string;
  /** An app folder with app.yaml, values.yaml and values.<provider>.yaml. */
  folder: boolean;
  /** overrides.providers.gke and overrides.clusters.<cluster> set replicaCount. */
  overridden: boolean;
  /** Service annotations from the provider's load-balancer preset. */
  loadBalancer: boolean;
  dependsOn?: string;
  chart: string;
  repoURL: string;
  version: string;
}

const PROVIDERS = ['digitalocean', 'eks', 'gke', 'aks'] as const;
// The built-in presets' values, repeated here for the Helm chart (which has no presets).
const PRESETS: Record<string, { storageClass: string; ingressClass: string; controlPlaneMetrics: boolean; loadBalancerAnnotations: Record<string, string> }> = {
  digitalocean: {
    storageClass: 'do-block-storage',
    ingressClass: 'nginx',
    controlPlaneMetrics: false,
    loadBalancerAnnotations: { 'service.beta.kubernetes.io/do-loadbalancer-healthcheck-protocol': 'tcp' },
  },
  eks: {
    storageClass: 'gp2',
    ingressClass: 'alb',
    controlPlaneMetrics: false,
    loadBalancerAnnotations: {
      'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
    },
  },
  gke: { storageClass: 'standard-rwo', ingressClass: 'gce', controlPlaneMetrics: false, loadBalancerAnnotations: { 'cloud.google.com/l4-rbs': 'enabled' } },
  aks: {
    storageClass: 'managed-csi',
    ingressClass: 'webapprouting.kubernetes.azure.com',
    controlPlaneMetrics: false,
    loadBalancerAnnotations: { 'service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path': '/healthz' },
  },
};
const CHARTS = [
  { repoURL: 'https://charts.bitnami.com/bitnami', chart: 'redis', version: '20.6.2' },
  { repoURL: 'https://prometheus-community.github.io/helm-charts', chart: 'prometheus-blackbox-exporter', version: '9.1.0' },
  { repoURL: 'https://grafana.github.io/helm-charts', chart: 'loki', version: '6.24.0' },
  { repoURL: 'https://charts.jetstack.io', chart: 'cert-manager', version: 'v1.16.2' },
  { repoURL: 'https://stefanprodan.github.io/podinfo', chart: 'podinfo', version: '6.7.1' },
];

function clusterSpecs(count: number): ClusterSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const provider = PROVIDERS[i % PROVIDERS.length]!;
    const name = `c${String(i).padStart(2, '0')}-${provider}`;
    const hex = ((i * 2654435761) >>> 0).toString(16).padStart(8, '0');
    const server = {
      digitalocean: `https://${hex}-4d8e-4b9a-9e27-0f6d2b8c5a41.k8s.ondigitalocean.com`,
      eks: `https://${hex.toUpperCase()}6C2F48D7A0B4E8C91F27D3.gr7.eu-west-1.eks.amazonaws.com`,
      gke: `https://34.91.${i}.${100 + i}`,
      aks: `https://${name}-${hex}.hcp.westeurope.azmk8s.io:443`,
    }[provider];
    return { name, provider, server, env: i % 3 === 0 ? 'staging' : 'prod', region: `r${i % 5}`, domain: `${name}.example.com` };
  });
}

function appSpecs(apps: number, perNamespace: number): AppSpec[] {
  return Array.from({ length: apps }, (_, i) => {
    const namespace = `team-${String(Math.floor(i / perNamespace)).padStart(3, '0')}`;
    const chart = CHARTS[i % CHARTS.length]!;
    const withinNs = i % perNamespace;
    return {
      namespace,
      name: `svc-${String(i).padStart(4, '0')}`,
      folder: i % 10 === 3,
      overridden: i % 5 === 1,
      loadBalancer: i % 4 === 2,
      dependsOn: withinNs > 0 && i % 7 === 0 ? `svc-${String(i - 1).padStart(4, '0')}` : undefined,
      ...chart,
    };
  });
}

/**
 * The Helm values of an app. `t` says how a template reference is written:
 * handlebars strings for the platform repo, Go template text for the chart.
 */
function valuesOf(app: AppSpec, t: { ref: (name: string) => string; whole: (name: string) => unknown }): Record<string, unknown> {
  const values: Record<string, unknown> = {
    replicaCount: 2,
    image: { repository: `registry.example.com/${app.namespace}/${app.name}`, tag: `1.${app.name.length}.0`, pullPolicy: 'IfNotPresent' },
    podLabels: { team: app.namespace, cluster: t.ref('cluster.name') },
    ingress: {
      enabled: true,
      className: t.ref('provider.ingressClass'),
      hosts: [{ host: `${app.name}.${t.ref('cluster.vars.domain')}`, paths: [{ path: '/', pathType: 'Prefix' }] }],
      tls: [{ secretName: `${app.name}-tls`, hosts: [`${app.name}.${t.ref('cluster.vars.domain')}`] }],
    },
    persistence: { enabled: true, storageClass: t.ref('provider.storageClass'), size: '10Gi', accessModes: ['ReadWriteOnce'] },
    metrics: { enabled: true, serviceMonitor: { enabled: t.whole('provider.controlPlaneMetrics'), interval: '30s' } },
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    env: [
      { name: 'CLUSTER', value: t.ref('cluster.name') },
      { name: 'PROVIDER', value: t.ref('cluster.provider') },
      { name: 'LOG_LEVEL', value: 'info' },
    ],
  };
  if (app.loadBalancer) values.service = { type: 'LoadBalancer', port: 443, annotations: t.whole('provider.loadBalancerAnnotations') };
  return values;
}

const handlebars = { ref: (name: string) => `{{${name}}}`, whole: (name: string) => `{{${name}}}` };

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/**
 * Writes a platform repo of `apps` apps over `clusters` clusters into `dir`
 * (emptied first): charts with values referencing provider and cluster
 * variables, namespace defaults, per-provider and per-cluster overrides,
 * dependencies, and one app in ten as a folder with values files.
 */
export function makeLargeRepo(dir: string, options: LargeRepoOptions = {}): LargeRepo {
  const appCount = options.apps ?? 2000;
  const clusters = clusterSpecs(options.clusters ?? 20);
  const apps = appSpecs(appCount, options.appsPerNamespace ?? 40);
  rmSync(dir, { recursive: true, force: true });
  write(
    path.join(dir, 'gitops.yaml'),
    emitYaml({ repoURL: 'https://github.com/example/large-platform.git', targetRevision: 'main', vars: { owner: 'platform' } }),
  );
  for (const c of clusters) {
    write(
      path.join(dir, 'clusters', `${c.name}.yaml`),
      emitYaml({ provider: c.provider, server: c.server, labels: { env: c.env, region: c.region }, vars: { domain: c.domain } }),
    );
  }
  const namespaces = [...new Set(apps.map((a) => a.namespace))];
  for (const ns of namespaces) {
    write(
      path.join(dir, 'apps', ns, 'namespace.yaml'),
      emitYaml({ labels: { team: ns }, annotations: { owner: `${ns}@example.com` }, defaults: { releaseName: '{{app}}' } }),
    );
  }
  const overrideCluster = clusters[Math.min(7, clusters.length - 1)]!.name;
  for (const app of apps) {
    const keys: Record<string, unknown> = { repoURL: app.repoURL, chart: app.chart, version: app.version };
    if (app.dependsOn) keys.dependsOn = [app.dependsOn];
    if (app.overridden) {
      keys.overrides = { providers: { gke: { values: { replicaCount: 3 } } }, clusters: { [overrideCluster]: { values: { replicaCount: 1 } } } };
    }
    const values = valuesOf(app, handlebars);
    if (app.folder) {
      const base = path.join(dir, 'apps', app.namespace, app.name);
      write(path.join(base, 'app.yaml'), emitYaml(keys));
      write(path.join(base, 'values.yaml'), emitYaml(values));
      write(path.join(base, 'values.eks.yaml'), emitYaml({ persistence: { size: '20Gi' } }));
    } else {
      write(path.join(dir, 'apps', app.namespace, `${app.name}.yaml`), emitYaml({ ...keys, values }));
    }
  }
  return {
    dir,
    apps: apps.length,
    clusters: clusters.map((c) => c.name),
    namespaces,
    applications: apps.length * clusters.length,
    appIds: apps.map((a) => `${a.namespace}/${a.name}`),
  };
}

/**
 * Writes the seed-style Helm chart equivalent to {@link makeLargeRepo}'s repo:
 * the clusters (with their provider values spelled out) in values.yaml, and
 * one template per app that ranges over them, emitting one Application each.
 */
export function makeSeedChart(dir: string, options: LargeRepoOptions = {}): { dir: string; applications: number } {
  const clusters = clusterSpecs(options.clusters ?? 20);
  const apps = appSpecs(options.apps ?? 2000, options.appsPerNamespace ?? 40);
  rmSync(dir, { recursive: true, force: true });
  write(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: applications\nversion: 0.1.0\ndescription: The seed-style app of apps\n');
  write(
    path.join(dir, 'values.yaml'),
    emitYaml({
      argocdNamespace: 'argocd',
      clusters: clusters.map((c) => ({
        name: c.name,
        server: c.server,
        provider: c.provider,
        env: c.env,
        region: c.region,
        domain: c.domain,
        ...PRESETS[c.provider],
      })),
    }),
  );
  const clusterFields: Record<string, string> = { 'cluster.name': 'name', 'cluster.provider': 'provider', 'cluster.vars.domain': 'domain' };
  const go = {
    ref: (name: string) => `{{ $c.${clusterFields[name] ?? name.replace('provider.', '')} }}`,
    whole: (name: string) => `@@${name.replace('provider.', '')}@@`,
  };
  const overrideCluster = clusters[Math.min(7, clusters.length - 1)]!.name;
  const waves = new Map<string, number>();
  for (const app of apps) {
    const wave = app.dependsOn ? (waves.get(`${app.namespace}/${app.dependsOn}`) ?? 0) + 1 : 0;
    waves.set(`${app.namespace}/${app.name}`, wave);
    const values = valuesOf(app, go);
    if (app.overridden) values.replicaCount = `@@replicas@@`;
    if (app.folder) (values.persistence as Record<string, unknown>).size = '@@size@@';
    const application = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        name: `${app.namespace}-${app.name}-{{ $c.name }}`,
        namespace: '{{ $.Values.argocdNamespace }}',
        labels: {
          'app.kubernetes.io/managed-by': 'seed',
          'gitops-k8s.io/app': app.name,
          'gitops-k8s.io/cluster': '{{ $c.name }}',
          'gitops-k8s.io/namespace': app.namespace,
          'gitops-k8s.io/provider': '{{ $c.provider }}',
        },
        annotations: {
          ...(wave ? { 'argocd.argoproj.io/sync-wave': String(wave) } : {}),
          'gitops-k8s.io/source': `applications/templates/${app.namespace}-${app.name}.yaml`,
        },
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: {
        project: app.namespace,
        source: { repoURL: app.repoURL, chart: app.chart, targetRevision: app.version, helm: { releaseName: app.name, valuesObject: values } },
        destination: { server: '{{ $c.server }}', namespace: app.namespace },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ['CreateNamespace=true'],
          managedNamespaceMetadata: { labels: { team: app.namespace }, annotations: { owner: `${app.namespace}@example.com` } },
        },
      },
    };
    const body = emitYaml(application)
      .replace(
        /^( *)([^\n]*?): "@@loadBalancerAnnotations@@"$/gm,
        (_m, indent: string, key: string) => `${indent}${key}: {{- toYaml $c.loadBalancerAnnotations | nindent ${indent.length + 2} }}`,
      )
      .replace(/"@@controlPlaneMetrics@@"/g, '{{ $c.controlPlaneMetrics }}')
      .replace(/"@@replicas@@"/g, `{{ if eq $c.name "${overrideCluster}" }}1{{ else if eq $c.provider "gke" }}3{{ else }}2{{ end }}`)
      .replace(/"@@size@@"/g, '{{ if eq $c.provider "eks" }}20Gi{{ else }}10Gi{{ end }}');
    write(path.join(dir, 'templates', `${app.namespace}-${app.name}.yaml`), `{{- range $c := .Values.clusters }}\n---\n${body}{{- end }}\n`);
  }
  return { dir, applications: apps.length * clusters.length };
}
