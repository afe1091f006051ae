import type { TemplateLimits } from './template/template.js';
import type { YamlFile } from './yaml/parse-yaml.js';

/** Where a cluster selection, an override or a value came from. */
export interface Located {
  /** The parsed file it is in. */
  yaml: YamlFile;
  /** Path of the data inside that file. */
  base: (string | number)[];
}

/** App keys as users write them (see `appSchema`). */
export interface AppKeys {
  enabled?: boolean;
  repoURL?: string;
  chart?: string;
  version?: string;
  path?: string;
  targetRevision?: string;
  values?: Record<string, unknown> | null;
  valueFiles?: string[];
  releaseName?: string;
  kustomize?: Record<string, unknown>;
  directory?: Record<string, unknown>;
  clusters?: ClusterSelector | string[];
  syncWave?: number;
  dependsOn?: string[];
  syncPolicy?: Record<string, unknown> | null;
  project?: string;
  ignoreDifferences?: Record<string, unknown>[];
  info?: { name: string; value: string }[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  vars?: Record<string, unknown>;
  /** The Application name (a template), instead of naming.application. */
  name?: string;
  /** false: no resources finalizer. */
  finalizer?: boolean;
  overrides?: {
    providers?: Record<string, AppKeys>;
    environments?: Record<string, AppKeys>;
    clusters?: Record<string, AppKeys>;
  };
}

export interface ClusterSelector {
  names?: string[];
  exclude?: string[];
  providers?: string[];
  environments?: string[];
  matchLabels?: Record<string, string>;
}

/** One step of `rollout.steps` in gitops.yaml. */
export interface RolloutStep {
  clusters?: ClusterSelector | string[];
  /** As RollingSync takes it: a count or a percentage. */
  maxUpdate?: number | string;
}

/** `gitops.yaml`, with defaults applied. */
export interface Settings {
  repoURL?: string;
  targetRevision: string;
  /**
   * Where the platform repo sits in its Git repository; path sources inside it
   * carry this prefix. The CMP (ARGOCD_APP_SOURCE_PATH) and the server know it
   * themselves and take precedence.
   */
  path?: string;
  argocdNamespace: string;
  argocdURL?: string;
  naming: { application: string; project: string };
  /** AppProjects made outside this repo that a full Application file may name. */
  externalProjects?: string[];
  vars: Record<string, unknown>;
  defaults: AppKeys;
  /** Bounds on each template string (gitops.yaml `limits`, within their ceiling). */
  templateLimits: TemplateLimits;
  /** The ordered rollout steps, when gitops.yaml has `rollout`. */
  rollout?: { steps: RolloutStep[] };
  yaml?: YamlFile;
}

/** An environment: named by clusters' `environment:`, optionally with `environments/<name>.yaml`. */
export interface Environment {
  name: string;
  /** App keys for clusters of this environment (`defaults` of environments/<name>.yaml). */
  defaults: AppKeys;
  vars: Record<string, unknown>;
  yaml?: YamlFile;
}

export interface Provider {
  name: string;
  /** The preset merged with `providers/<name>.yaml`; `name` included. */
  values: Record<string, unknown>;
  builtIn: boolean;
  /** App keys for clusters of this provider (`defaults` of providers/<name>.yaml). */
  defaults?: AppKeys;
  yaml?: YamlFile;
}

export interface Cluster {
  name: string;
  provider: string;
  /** `environment:` of the cluster file. */
  environment?: string;
  server?: string;
  /** A cluster registered in Argo CD by name. */
  destinationName?: string;
  labels: Record<string, string>;
  vars: Record<string, unknown>;
  defaults: AppKeys;
  /** `kubernetesVersion:` (`1.31`), for `check` and `helm template --kube-version`. */
  kubernetesVersion?: string;
  /** `apiVersions:`, for `helm template --api-versions`. */
  apiVersions?: string[];
  /** `crds:`: custom resources the cluster has without an Application installing them. */
  crds?: { group: string; kind: string; scope?: 'Namespaced' | 'Cluster' }[];
  yaml?: YamlFile;
}

export interface NamespaceFolder {
  name: string;
  /** `apps/<name>` */
  dir: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  vars: Record<string, unknown>;
  defaults: AppKeys;
  project: {
    name?: string;
    description?: string;
    sourceRepos?: string[];
    clusterResourceWhitelist?: { group: string; kind: string; name?: string }[];
    clusterResourceBlacklist?: { group: string; kind: string; name?: string }[];
    namespaceResourceWhitelist?: { group: string; kind: string }[];
    namespaceResourceBlacklist?: { group: string; kind: string }[];
    extraDestinations?: { server?: string; name?: string; namespace?: string }[];
  };
  yaml?: YamlFile;
  apps: AppDefinition[];
}

/**
 * One app: a definition file (`spec`), a folder that is a path source
 * (`folder`), or a full Argo CD Application taken as it is (`application`).
 */
export interface AppDefinition {
  name: string;
  namespace: string;
  kind: 'spec' | 'folder' | 'application';
  /** The definition file (absent for a folder without app.yaml). */
  yaml?: YamlFile;
  /** The file users point at in messages: the definition, or the folder. */
  source: string;
  keys: AppKeys;
  /** The app's own folder (`apps/<ns>/<app>`), when it has one. */
  dir?: string;
  /** The folder holds plain manifests (no chart, no kustomization): as a path source Argo CD applies its every YAML file. */
  plainFolder?: true;
  /** `values.yaml` beside app.yaml. */
  valuesFile?: YamlFile;
  /** `values.<provider>.yaml`, by provider name. */
  providerValues: Map<string, YamlFile>;
  /** `values.<environment>.yaml`, by environment name (absent when there are none). */
  environmentValues?: Map<string, YamlFile>;
  /** `values.<cluster>.yaml`, by cluster name. */
  clusterValues: Map<string, YamlFile>;
  /** For kind `application`: the Application as written. */
  application?: Record<string, unknown>;
}

export interface PlatformRepo {
  /** Label of where it was read from (never with credentials). */
  label: string;
  settings: Settings;
  providers: Map<string, Provider>;
  /** By name: those with a file and those only named by clusters. */
  environments: Map<string, Environment>;
  /** Sorted by name. */
  clusters: Cluster[];
  /** Sorted by name. */
  namespaces: NamespaceFolder[];
  /** Whether clusters/ was absent and the in-cluster default is used. */
  implicitCluster: boolean;
  /** Sync wave of each app, by `namespace/app`. */
  waves: Map<string, number>;
}
