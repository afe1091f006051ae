/**
 * JSON Schemas of the files users write, checked with ajv. Every object is
 * closed (`additionalProperties: false`) so that a misspelt key is an error
 * with a suggestion, never silently ignored.
 *
 * They are also the editor schemas (scripts/build-json-schemas.mjs writes
 * them to schemas/*.schema.json): every key has a `description` and known
 * values are `examples`. Both are annotations, ignored by validation.
 */
import { providerPresets } from '../load/presets.js';

const builtInProviders = Object.keys(providerPresets);
// Argo CD's sync options most apps use; others are valid too.
const knownSyncOptions = [
  'CreateNamespace=true',
  'ServerSideApply=true',
  'PruneLast=true',
  'ApplyOutOfSyncOnly=true',
  'RespectIgnoreDifferences=true',
  'PrunePropagationPolicy=foreground',
  'Replace=true',
  'Validate=false',
  'FailOnSharedResource=true',
  'SkipDryRunOnMissingResource=true',
];

const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
const labelMap = {
  type: 'object',
  propertyNames: { maxLength: 317 },
  additionalProperties: { type: 'string', maxLength: 63 },
} as const;
// App keys are layered, and a `null` removes what a lower layer set.
const nullableStringMap = { type: ['object', 'null'], additionalProperties: { type: ['string', 'null'] } } as const;
const nullableLabelMap = {
  type: ['object', 'null'],
  propertyNames: { maxLength: 317 },
  additionalProperties: { type: ['string', 'null'], maxLength: 63 },
} as const;
const freeMap = { type: 'object' } as const;
const stringList = { type: 'array', items: { type: 'string' } } as const;
const providerList = { type: 'array', items: { type: 'string', examples: builtInProviders } } as const;
const dns1123 = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
// An AppProject's resource white- or blacklist: group and kind, optionally a name glob.
const resourceList = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['group', 'kind'],
    properties: {
      group: { type: 'string', description: 'API group ("" for the core group, "*" for every group).' },
      kind: { type: 'string', description: 'Resource kind ("*" for every kind).' },
      name: { type: 'string', description: 'Resource name glob (optional).' },
    },
  },
} as const;

const varsMap = (where: string) => ({ ...freeMap, description: `Template variables ${where}, read as {{vars.<key>}}.` }) as const;

const clusterSelector = {
  description: 'Where the app runs (default: every cluster). A list of cluster names, or a selector whose given parts must all match.',
  anyOf: [
    { type: 'array', items: { type: 'string', pattern: dns1123 } },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        names: { type: 'array', items: { type: 'string' }, description: 'Cluster names (clusters/<name>.yaml).' },
        exclude: { type: 'array', items: { type: 'string' }, description: 'Cluster names left out.' },
        providers: { ...providerList, description: 'Only clusters of these providers.' },
        environments: { ...stringList, description: 'Only clusters of these environments (environments/<name>.yaml).' },
        matchLabels: { ...stringMap, description: 'Only clusters with all of these labels.' },
      },
    },
  ],
} as const;

// Every key under syncPolicy may be null: a layer removes what a lower one (or the built-in default) set.
const syncPolicy = {
  type: ['object', 'null'],
  description: "The Application's spec.syncPolicy. Default: automated with prune and selfHeal, CreateNamespace=true; null: manual sync.",
  additionalProperties: false,
  properties: {
    automated: {
      type: ['object', 'null'],
      description: 'Automated sync; null turns it off.',
      additionalProperties: false,
      properties: {
        prune: { type: ['boolean', 'null'], description: 'Delete resources no longer in Git.' },
        selfHeal: { type: ['boolean', 'null'], description: 'Undo changes made in the cluster.' },
        allowEmpty: { type: ['boolean', 'null'], description: 'Allow a sync that leaves the app with no resources.' },
        enabled: { type: ['boolean', 'null'], description: 'Whether automated sync is on (Argo CD 3.x).' },
      },
    },
    syncOptions: { type: ['array', 'null'], items: { type: 'string', examples: knownSyncOptions }, description: 'Argo CD sync options (Name=value).' },
    retry: {
      type: ['object', 'null'],
      description: 'How failed syncs are retried.',
      additionalProperties: false,
      properties: {
        limit: { type: ['integer', 'null'], description: 'Most retries (negative: no limit).' },
        refresh: { type: ['boolean', 'null'], description: 'Retry at once when the revision changes.' },
        backoff: {
          type: ['object', 'null'],
          description: 'Time between retries.',
          additionalProperties: false,
          properties: {
            duration: { type: ['string', 'null'], description: 'First wait, a duration such as 5s.' },
            factor: { type: ['integer', 'null'], description: 'Factor the wait grows by after each retry.' },
            maxDuration: { type: ['string', 'null'], description: 'Longest wait, a duration such as 3m.' },
          },
        },
      },
    },
  },
} as const;

const ignoreDifferences = {
  type: ['array', 'null'],
  description: "The Application's spec.ignoreDifferences: fields Argo CD does not compare.",
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['kind'],
    properties: {
      group: { type: 'string', description: 'API group of the resources.' },
      kind: { type: 'string', description: 'Kind of the resources.' },
      name: { type: 'string', description: 'Only the resource of this name.' },
      namespace: { type: 'string', description: 'Only resources in this namespace.' },
      jsonPointers: { ...stringList, description: 'JSON pointers of the ignored fields (/spec/replicas).' },
      jqPathExpressions: { ...stringList, description: 'jq paths of the ignored fields.' },
      managedFieldsManagers: { ...stringList, description: 'Ignore fields owned by these field managers.' },
    },
  },
} as const;

/** The app keys that overrides may set (everything but where and when it runs). */
const overridableProperties = {
  enabled: { type: 'boolean', description: 'false: no Application (per layer, e.g. one provider off).' },
  repoURL: {
    type: 'string',
    minLength: 1,
    description: 'Helm repository (with chart) or Git repository (with path). Without it, path is a folder of the platform repo.',
  },
  chart: { type: 'string', minLength: 1, description: 'Helm chart name in repoURL.' },
  version: { type: ['string'], minLength: 1, description: 'Exact chart version (required with chart; ranges and latest are errors).' },
  path: { type: 'string', description: 'Folder of a Git source.' },
  targetRevision: { type: 'string', minLength: 1, description: 'Branch, tag or commit of a Git source.' },
  values: { type: ['object', 'null'], description: 'Helm values, sent as helm.valuesObject with their YAML types.' },
  valueFiles: { type: ['array', 'null'], items: { type: 'string' }, description: "Value files of the chart's own repository." },
  releaseName: { type: ['string', 'null'], minLength: 1, description: 'Helm release name.' },
  kustomize: { type: ['object', 'null'], description: 'Passed through as spec.source.kustomize.' },
  directory: { type: ['object', 'null'], description: 'Passed through as spec.source.directory.' },
  syncWave: { type: 'integer', description: 'argocd.argoproj.io/sync-wave of the Application.' },
  syncPolicy,
  project: { type: 'string', pattern: dns1123, description: "An AppProject of your own instead of the folder's." },
  ignoreDifferences,
  info: {
    type: ['array', 'null'],
    description: "The Application's spec.info: name and value pairs shown in the Argo CD UI.",
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'value'],
      properties: {
        name: { type: 'string', description: 'What the value is.' },
        value: { type: 'string', description: 'The value (a URL is shown as a link).' },
      },
    },
  },
  labels: { ...nullableLabelMap, description: 'Labels on the Application, next to the generated ones; null removes one.' },
  annotations: { ...nullableStringMap, description: 'Annotations on the Application; null removes one.' },
  vars: varsMap('of this app'),
  // import keeps existing names with it.
  name: { type: 'string', minLength: 1, description: "The Application's name (a template), instead of naming.application of gitops.yaml." },
  // As Applications made without one did.
  finalizer: { type: 'boolean', description: 'false: no resources finalizer, so deleting the Application leaves its resources.' },
} as const;

const override = { type: 'object', additionalProperties: false, properties: overridableProperties } as const;

/** The keys of an app definition. */
export const appSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...overridableProperties,
    clusters: clusterSelector,
    dependsOn: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      description: 'Apps synced before this one: namespace/app, or app in the same folder. Sets the sync wave.',
    },
    overrides: {
      type: 'object',
      description: 'App keys for clusters of one provider or environment, or for one cluster.',
      additionalProperties: false,
      properties: {
        providers: { type: 'object', additionalProperties: override, propertyNames: { examples: builtInProviders }, description: 'App keys by provider name.' },
        environments: { type: 'object', additionalProperties: override, description: 'App keys by environment name.' },
        clusters: { type: 'object', additionalProperties: override, description: 'App keys by cluster name.' },
      },
    },
  },
} as const;

/** App keys that a folder or the repo may default. */
const appDefaultsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { ...overridableProperties, clusters: clusterSelector },
} as const;

/** App keys that a cluster or a provider may default: where apps run is chosen by apps, not by clusters. */
const clusterDefaultsSchema = { type: 'object', additionalProperties: false, properties: overridableProperties } as const;

export const clusterSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['provider'],
  properties: {
    provider: {
      type: 'string',
      minLength: 1,
      examples: builtInProviders,
      description: `The cluster's provider: ${builtInProviders.join(', ')} or one defined in providers/.`,
    },
    environment: {
      type: 'string',
      pattern: dns1123,
      maxLength: 63,
      description: "The cluster's environment (environments/<name>.yaml), {{cluster.environment}}.",
    },
    server: { type: 'string', pattern: '^https?://', description: "The cluster's API server URL (or give name, not both)." },
    name: { type: 'string', minLength: 1, description: 'The name of a cluster registered in Argo CD (or give server, not both).' },
    labels: { ...labelMap, description: 'Labels for clusters.matchLabels, and {{cluster.labels.<key>}}.' },
    vars: varsMap('of this cluster, also {{cluster.vars.<key>}}'),
    defaults: { ...clusterDefaultsSchema, description: 'App keys for every app on this cluster.' },
    kubernetesVersion: {
      type: 'string',
      pattern: '^v?[0-9]+\\.[0-9]+(\\.[0-9]+)?$',
      description: 'The cluster\'s Kubernetes version ("1.33"): `check` looks for removed APIs, and helm template gets --kube-version.',
    },
    apiVersions: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      description: 'API versions the cluster serves: helm template gets --api-versions, and `check` takes them as served.',
    },
    crds: {
      type: 'array',
      description: 'Custom resources the cluster has without an Application on it installing them.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['group', 'kind'],
        properties: {
          group: { type: 'string', minLength: 1, description: 'API group of the custom resource.' },
          kind: { type: 'string', minLength: 1, description: 'Kind of the custom resource.' },
          scope: { enum: ['Namespaced', 'Cluster'], description: 'Whether its objects live in a namespace.' },
        },
      },
    },
  },
  not: { required: ['server', 'name'] },
} as const;

export const namespaceSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    labels: { ...labelMap, description: "The namespace's labels (syncPolicy.managedNamespaceMetadata)." },
    annotations: { ...stringMap, description: "The namespace's annotations (syncPolicy.managedNamespaceMetadata)." },
    vars: varsMap('of the apps of this folder'),
    defaults: { ...appDefaultsSchema, description: 'App keys for every app of this folder.' },
    project: {
      type: 'object',
      description: "The folder's AppProject.",
      additionalProperties: false,
      properties: {
        name: { type: 'string', pattern: dns1123, description: 'The AppProject name (default: naming.project of gitops.yaml).' },
        description: { type: 'string', description: "The AppProject's description." },
        sourceRepos: { ...stringList, description: 'Repositories added to those the apps use.' },
        clusterResourceWhitelist: { ...resourceList, description: 'Cluster-scoped resources the apps may create.' },
        clusterResourceBlacklist: { ...resourceList, description: 'Cluster-scoped resources the apps may not create.' },
        namespaceResourceBlacklist: { ...resourceList, description: 'Namespaced resources the apps may not create.' },
        namespaceResourceWhitelist: { ...resourceList, description: 'Namespaced resources the apps may create (default all).' },
        extraDestinations: {
          type: 'array',
          description: "Destinations added to those the folder's apps use.",
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              server: { type: 'string', description: 'API server URL.' },
              name: { type: 'string', description: 'Cluster name in Argo CD.' },
              namespace: { type: 'string', description: 'Namespace.' },
            },
          },
        },
      },
    },
  },
} as const;

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    repoURL: { type: 'string', minLength: 1, description: 'URL of this repo: the source of path apps.' },
    targetRevision: {
      type: 'string',
      minLength: 1,
      description: 'Revision of this repo for path apps (default HEAD; the CMP and the server pass theirs when unset).',
    },
    path: { type: 'string', minLength: 1, description: 'Where this platform repo sits in its Git repo (default: the root).' },
    argocdNamespace: { type: 'string', pattern: dns1123, description: 'Where Applications and AppProjects go (default argocd).' },
    argocdURL: { type: 'string', pattern: '^https?://', description: 'URL of the Argo CD UI, for links.' },
    naming: {
      type: 'object',
      description: 'How Applications and AppProjects are named (templates).',
      additionalProperties: false,
      properties: {
        application: { type: 'string', minLength: 1, description: 'Default "{{namespace}}-{{app}}-{{cluster.name}}".' },
        project: { type: 'string', minLength: 1, description: 'Default "{{namespace}}": one AppProject per folder.' },
      },
    },
    externalProjects: {
      type: 'array',
      items: { type: 'string', pattern: dns1123 },
      description: 'AppProjects made outside this repo that a full Application may name.',
    },
    vars: varsMap('for every app'),
    defaults: { ...appDefaultsSchema, description: 'App keys for every app.' },
    rollout: {
      type: 'object',
      description: 'Rollout steps: clusters synced one group after another (sync waves, or a RollingSync ApplicationSet).',
      additionalProperties: false,
      required: ['steps'],
      properties: {
        steps: {
          type: 'array',
          minItems: 1,
          description: 'The steps, in order.',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              clusters: { ...clusterSelector, description: "The step's clusters (none: every cluster not in an earlier step)." },
              // As RollingSync takes it.
              maxUpdate: {
                anyOf: [
                  { type: 'integer', minimum: 0 },
                  { type: 'string', pattern: '^(100|[1-9]?[0-9])%$' },
                ],
                description: "Most Applications RollingSync updates at once in this step: a count, or a percentage of the step's Applications.",
              },
            },
          },
        },
      },
    },
    limits: {
      type: 'object',
      description: 'Safety limits.',
      additionalProperties: false,
      properties: {
        maxFileBytes: { type: 'integer', minimum: 1, description: 'Largest file (default 1048576).' },
        maxFiles: { type: 'integer', minimum: 1, description: 'Most YAML files (default 20000).' },
        maxTemplateLength: { type: 'integer', minimum: 1, description: 'Characters of one template (default 65536).' },
        maxTemplateDepth: { type: 'integer', minimum: 1, description: 'Nesting of template blocks and sub-expressions (default 10).' },
        maxTemplateSteps: { type: 'integer', minimum: 1, description: 'Block bodies run while rendering one string (default 10000).' },
        maxTemplateOutput: { type: 'integer', minimum: 1, description: "Characters one string's rendering produces (default 1048576)." },
      },
    },
  },
} as const;

/**
 * A provider file is a map merged over the preset; `name` is the provider's.
 * `defaults` holds app keys for clusters of that provider (a layer of its own).
 * Its other keys are free: the preset's are described (without a type, so
 * that they stay free).
 */
export const providerSchema = {
  type: 'object',
  properties: {
    defaults: { ...clusterDefaultsSchema, description: 'App keys for every cluster of this provider.' },
    displayName: { description: 'Human name of the provider ({{provider.displayName}}).' },
    storageClass: { description: "The StorageClass the provider's clusters ship with ({{provider.storageClass}})." },
    ingressClass: { description: "The IngressClass of the provider's usual ingress controller ({{provider.ingressClass}})." },
    loadBalancerAnnotations: { description: 'Service annotations for an internet-facing L4 load balancer ({{provider.loadBalancerAnnotations}}).' },
    controlPlaneMetrics: { description: 'Whether etcd, scheduler and controller-manager metrics can be scraped ({{provider.controlPlaneMetrics}}).' },
    kubeletInsecureTLS: { description: 'Whether metrics-server needs --kubelet-insecure-tls ({{provider.kubeletInsecureTLS}}).' },
    kubeletPreferredAddressTypes: { description: "metrics-server's --kubelet-preferred-address-types ({{provider.kubeletPreferredAddressTypes}})." },
  },
  not: { required: ['name'] },
} as const;

/** The `gitops-k8s:` block of a full Application file: the app keys that say where it runs and what it is called. */
const applicationKeysSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { clusters: clusterSelector, name: overridableProperties.name, finalizer: overridableProperties.finalizer },
} as const;

/** `environments/<name>.yaml`: app keys and vars for every cluster of that environment. */
export const environmentSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    vars: varsMap('for the apps on clusters of this environment'),
    defaults: { ...clusterDefaultsSchema, description: 'App keys for every cluster of this environment.' },
  },
} as const;

/** Every schema by the name validate.ts knows it by. */
export const schemas = {
  app: appSchema,
  appDefaults: appDefaultsSchema,
  cluster: clusterSchema,
  namespace: namespaceSchema,
  settings: settingsSchema,
  provider: providerSchema,
  applicationKeys: applicationKeysSchema,
  environment: environmentSchema,
} as const;

/** ajv options, shared by run-time compilation and the build's standalone code. verbose: messages need the failing schema (the known keys of a map). */
export const ajvOptions = { allErrors: true, strict: false, verbose: true } as const;
