/**
 * JSON Schemas of the files users write, checked with ajv. Every object is
 * closed (`additionalProperties: false`) so that a misspelt key is an error
 * with a suggestion, never silently ignored.
 */

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
const dns1123 = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
// An AppProject's resource white- or blacklist: group and kind, optionally a name glob.
const resourceList = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['group', 'kind'],
    properties: { group: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' } },
  },
} as const;

const clusterSelector = {
  anyOf: [
    { type: 'array', items: { type: 'string', pattern: dns1123 } },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        names: { type: 'array', items: { type: 'string' } },
        exclude: { type: 'array', items: { type: 'string' } },
        providers: stringList,
        environments: stringList,
        matchLabels: stringMap,
      },
    },
  ],
} as const;

// Every key under syncPolicy may be null: a layer removes what a lower one (or the built-in default) set.
const syncPolicy = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    automated: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        prune: { type: ['boolean', 'null'] },
        selfHeal: { type: ['boolean', 'null'] },
        allowEmpty: { type: ['boolean', 'null'] },
        enabled: { type: ['boolean', 'null'] },
      },
    },
    syncOptions: { type: ['array', 'null'], items: { type: 'string' } },
    retry: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        limit: { type: ['integer', 'null'] },
        refresh: { type: ['boolean', 'null'] },
        backoff: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            duration: { type: ['string', 'null'] },
            factor: { type: ['integer', 'null'] },
            maxDuration: { type: ['string', 'null'] },
          },
        },
      },
    },
  },
} as const;

const ignoreDifferences = {
  type: ['array', 'null'],
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['kind'],
    properties: {
      group: { type: 'string' },
      kind: { type: 'string' },
      name: { type: 'string' },
      namespace: { type: 'string' },
      jsonPointers: stringList,
      jqPathExpressions: stringList,
      managedFieldsManagers: stringList,
    },
  },
} as const;

/** The app keys that overrides may set (everything but where and when it runs). */
const overridableProperties = {
  enabled: { type: 'boolean' },
  repoURL: { type: 'string', minLength: 1 },
  chart: { type: 'string', minLength: 1 },
  version: { type: ['string'], minLength: 1 },
  path: { type: 'string' },
  targetRevision: { type: 'string', minLength: 1 },
  values: { type: ['object', 'null'] },
  valueFiles: { type: ['array', 'null'], items: { type: 'string' } },
  releaseName: { type: ['string', 'null'], minLength: 1 },
  kustomize: { type: ['object', 'null'] },
  directory: { type: ['object', 'null'] },
  syncWave: { type: 'integer' },
  syncPolicy,
  project: { type: 'string', pattern: dns1123 },
  ignoreDifferences,
  info: {
    type: ['array', 'null'],
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'value'],
      properties: { name: { type: 'string' }, value: { type: 'string' } },
    },
  },
  labels: nullableLabelMap,
  annotations: nullableStringMap,
  vars: freeMap,
  // The Application's name for this app (a template), instead of naming.application: import keeps existing names with it.
  name: { type: 'string', minLength: 1 },
  // false: no resources finalizer, so deleting the Application leaves its resources (as Applications made without one did).
  finalizer: { type: 'boolean' },
} as const;

const override = { type: 'object', additionalProperties: false, properties: overridableProperties } as const;

/** The keys of an app definition. */
export const appSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...overridableProperties,
    clusters: clusterSelector,
    dependsOn: { type: 'array', items: { type: 'string', minLength: 1 } },
    overrides: {
      type: 'object',
      additionalProperties: false,
      properties: {
        providers: { type: 'object', additionalProperties: override },
        environments: { type: 'object', additionalProperties: override },
        clusters: { type: 'object', additionalProperties: override },
      },
    },
  },
} as const;

/** App keys that a folder or the repo may default. */
export const appDefaultsSchema = {
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
    provider: { type: 'string', minLength: 1 },
    environment: { type: 'string', pattern: dns1123, maxLength: 63 },
    server: { type: 'string', pattern: '^https?://' },
    name: { type: 'string', minLength: 1 },
    labels: labelMap,
    vars: freeMap,
    defaults: clusterDefaultsSchema,
    // Read by `check` (removed APIs) and passed to `helm template --kube-version`.
    kubernetesVersion: { type: 'string', pattern: '^v?[0-9]+\\.[0-9]+(\\.[0-9]+)?$' },
    // Passed to `helm template --api-versions`; also what `check` takes the cluster to serve.
    apiVersions: { type: 'array', items: { type: 'string', minLength: 1 } },
    // Custom resources the cluster has without an Application on it installing them.
    crds: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['group', 'kind'],
        properties: { group: { type: 'string', minLength: 1 }, kind: { type: 'string', minLength: 1 }, scope: { enum: ['Namespaced', 'Cluster'] } },
      },
    },
  },
  not: { required: ['server', 'name'] },
} as const;

export const namespaceSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    labels: labelMap,
    annotations: stringMap,
    vars: freeMap,
    defaults: appDefaultsSchema,
    project: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: { type: 'string', pattern: dns1123 },
        description: { type: 'string' },
        sourceRepos: stringList,
        clusterResourceWhitelist: resourceList,
        clusterResourceBlacklist: resourceList,
        namespaceResourceBlacklist: resourceList,
        namespaceResourceWhitelist: resourceList,
        extraDestinations: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: { server: { type: 'string' }, name: { type: 'string' }, namespace: { type: 'string' } },
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
    repoURL: { type: 'string', minLength: 1 },
    targetRevision: { type: 'string', minLength: 1 },
    path: { type: 'string', minLength: 1 },
    argocdNamespace: { type: 'string', pattern: dns1123 },
    argocdURL: { type: 'string', pattern: '^https?://' },
    naming: {
      type: 'object',
      additionalProperties: false,
      properties: {
        application: { type: 'string', minLength: 1 },
        project: { type: 'string', minLength: 1 },
      },
    },
    externalProjects: { type: 'array', items: { type: 'string', pattern: dns1123 } },
    vars: freeMap,
    defaults: appDefaultsSchema,
    rollout: {
      type: 'object',
      additionalProperties: false,
      required: ['steps'],
      properties: {
        steps: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              clusters: clusterSelector,
              // As RollingSync takes it: a count, or a percentage of the step's Applications.
              maxUpdate: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^(100|[1-9]?[0-9])%$' }] },
            },
          },
        },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxFileBytes: { type: 'integer', minimum: 1 },
        maxFiles: { type: 'integer', minimum: 1 },
        maxTemplateLength: { type: 'integer', minimum: 1 },
        maxTemplateDepth: { type: 'integer', minimum: 1 },
        maxTemplateSteps: { type: 'integer', minimum: 1 },
        maxTemplateOutput: { type: 'integer', minimum: 1 },
      },
    },
  },
} as const;

/**
 * A provider file is a map merged over the preset; `name` is the provider's.
 * `defaults` holds app keys for clusters of that provider (a layer of its own).
 */
export const providerSchema = {
  type: 'object',
  properties: { defaults: clusterDefaultsSchema },
  not: { required: ['name'] },
} as const;

/** The `gitops-k8s:` block of a full Application file: the app keys that say where it runs and what it is called. */
export const applicationKeysSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { clusters: clusterSelector, name: overridableProperties.name, finalizer: overridableProperties.finalizer },
} as const;

/** `environments/<name>.yaml`: app keys and vars for every cluster of that environment. */
export const environmentSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { vars: freeMap, defaults: clusterDefaultsSchema },
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
