import { applicationPathOf } from '../load/check-application-file.js';
import type { AppDefinition, AppKeys, Cluster, NamespaceFolder, PlatformRepo } from '../model.js';
import type { YamlFile } from '../yaml/parse-yaml.js';
import type { SplitKeys } from './layer-merger.js';
import { mergeLayer, type FieldPath } from './merge.js';

/**
 * The layers an app's keys come from, lowest first: the built-in defaults,
 * gitops.yaml, the cluster's provider, environment and cluster files,
 * namespace.yaml, the app's own keys and values file, then its overrides and
 * values files for the cluster's provider, environment and cluster.
 */

/** A layer of the app keys: what it sets and which file (and where in it) that is. */
export interface LayerOrigin {
  /** Repo-relative file, or a description in parentheses for built-ins. */
  file: string;
  yaml?: YamlFile;
  /** Maps a path in the merged app keys to the path in the file. */
  toFilePath: (path: FieldPath) => FieldPath;
}

export interface Layer {
  data: AppKeys;
  origin: LayerOrigin;
}

/**
 * The layer objects made from a repo's files, one per file (or per pair),
 * so that the merges and the templating after them can share their work
 * between the (app, cluster) pairs whose layers are the same objects. Weak
 * on the repo's objects: a cache outlives a render only where its owner
 * says so (the server keeps one beside its parse cache).
 */
export interface LayerCache {
  /** A file's defaults with its vars merged in, by defaults and vars objects. */
  keys: WeakMap<AppKeys, WeakMap<Record<string, unknown>, AppKeys>>;
  /** A values file as a layer. */
  values: WeakMap<YamlFile, AppKeys>;
  /** An app's own layer. */
  own: WeakMap<AppDefinition, AppKeys>;
  /** The provider, environment and cluster layers, the same for all apps of a cluster. */
  clusters: WeakMap<Cluster, Layer[]>;
  /** Each layer's data split into its `vars` and the rest (see LayerMerger). */
  splits: WeakMap<AppKeys, SplitKeys>;
}

export function createLayerCache(): LayerCache {
  return { keys: new WeakMap(), values: new WeakMap(), own: new WeakMap(), clusters: new WeakMap(), splits: new WeakMap() };
}

const BUILT_IN_DEFAULTS: AppKeys = {
  syncPolicy: {
    automated: { prune: true, selfHeal: true },
    syncOptions: ['CreateNamespace=true'],
  },
};
const BUILT_IN: LayerOrigin = { file: '(built-in defaults)', toFilePath: (p) => p };

// Files whose app keys sit under `defaults`, beside their own `vars`.
const underDefaults = (p: FieldPath): FieldPath => (p[0] === 'vars' ? p : ['defaults', ...p]);

/** The layer made of a file's defaults and vars. */
function keysOf(cache: LayerCache, defaults: AppKeys, vars: Record<string, unknown> | undefined): AppKeys {
  if (!vars || Object.keys(vars).length === 0) return defaults;
  let byVars = cache.keys.get(defaults);
  if (!byVars) cache.keys.set(defaults, (byVars = new WeakMap()));
  let keys = byVars.get(vars);
  if (!keys) byVars.set(vars, (keys = { ...defaults, vars: mergeLayer(defaults.vars ?? {}, vars) as Record<string, unknown> }));
  return keys;
}

/** A values file as a layer of app keys. */
function valuesLayer(cache: LayerCache, file: YamlFile): AppKeys {
  let keys = cache.values.get(file);
  if (!keys) cache.values.set(file, (keys = { values: (file.data ?? {}) as Record<string, unknown> }));
  return keys;
}

/** The app keys an app's own layer sets (those that say where and when it runs are not layered). */
function ownKeysOf(cache: LayerCache, app: AppDefinition): AppKeys {
  let keys = cache.own.get(app);
  if (!keys) {
    const { overrides: _o, dependsOn: _d, clusters: _c, ...rest } = app.keys;
    cache.own.set(app, (keys = rest));
  }
  return keys;
}

/** The layers of an app that are the same on every cluster: those below the cluster's (`before`) and above them (`own`). */
export function staticLayers(cache: LayerCache, repo: PlatformRepo, ns: NamespaceFolder, app: AppDefinition): { before: Layer[]; own: Layer[] } {
  const { settings } = repo;
  const before: Layer[] = [{ data: BUILT_IN_DEFAULTS, origin: BUILT_IN }];
  if (settings.yaml) {
    before.push({
      data: keysOf(cache, settings.defaults, settings.vars),
      origin: { file: settings.yaml.file, yaml: settings.yaml, toFilePath: underDefaults },
    });
  }
  const own: Layer[] = [];
  if (ns.yaml) {
    own.push({ data: keysOf(cache, ns.defaults, ns.vars), origin: { file: ns.yaml.file, yaml: ns.yaml, toFilePath: underDefaults } });
  }
  if (app.kind !== 'application') {
    own.push({ data: ownKeysOf(cache, app), origin: { file: app.source, yaml: app.yaml, toFilePath: (p) => p } });
  } else {
    own.push({ data: ownKeysOf(cache, app), origin: { file: app.source, yaml: app.yaml, toFilePath: applicationPathOf } });
  }
  if (app.valuesFile) {
    own.push({
      data: valuesLayer(cache, app.valuesFile),
      origin: { file: app.valuesFile.file, yaml: app.valuesFile, toFilePath: (p) => p.slice(1) },
    });
  }
  return { before, own };
}

/** The layers of an app on one cluster: the cluster's own (shared by all its apps) and the app's overrides for it (`after`). */
function clusterLayers(cache: LayerCache, repo: PlatformRepo, app: AppDefinition, cluster: Cluster): { clusterLayer: Layer[]; after: Layer[] } {
  let clusterLayer = cache.clusters.get(cluster);
  if (!clusterLayer) cache.clusters.set(cluster, (clusterLayer = providerAndClusterLayers(cache, repo, cluster)));
  return { clusterLayer, after: afterLayers(cache, app, cluster) };
}

function providerAndClusterLayers(cache: LayerCache, repo: PlatformRepo, cluster: Cluster): Layer[] {
  const clusterLayer: Layer[] = [];
  // The built-in presets hold no app keys; providers/<p>.yaml may, under `defaults`.
  const provider = repo.providers.get(cluster.provider);
  if (provider?.defaults && provider.yaml) {
    clusterLayer.push({ data: provider.defaults, origin: { file: provider.yaml.file, yaml: provider.yaml, toFilePath: (p) => ['defaults', ...p] } });
  }
  const environment = cluster.environment === undefined ? undefined : repo.environments.get(cluster.environment);
  if (environment?.yaml) {
    clusterLayer.push({
      data: keysOf(cache, environment.defaults, environment.vars),
      origin: { file: environment.yaml.file, yaml: environment.yaml, toFilePath: underDefaults },
    });
  }
  if (cluster.yaml) {
    clusterLayer.push({
      data: keysOf(cache, cluster.defaults, cluster.vars),
      origin: { file: cluster.yaml.file, yaml: cluster.yaml, toFilePath: underDefaults },
    });
  }
  return clusterLayer;
}

function afterLayers(cache: LayerCache, app: AppDefinition, cluster: Cluster): Layer[] {
  const after: Layer[] = [];
  const byProvider = app.keys.overrides?.providers?.[cluster.provider];
  if (byProvider && app.yaml) {
    after.push({ data: byProvider, origin: { file: app.source, yaml: app.yaml, toFilePath: (p) => ['overrides', 'providers', cluster.provider, ...p] } });
  }
  const byEnvironment = cluster.environment === undefined ? undefined : app.keys.overrides?.environments?.[cluster.environment];
  if (byEnvironment && app.yaml) {
    after.push({
      data: byEnvironment,
      origin: { file: app.source, yaml: app.yaml, toFilePath: (p) => ['overrides', 'environments', cluster.environment!, ...p] },
    });
  }
  const byCluster = app.keys.overrides?.clusters?.[cluster.name];
  if (byCluster && app.yaml) {
    after.push({ data: byCluster, origin: { file: app.source, yaml: app.yaml, toFilePath: (p) => ['overrides', 'clusters', cluster.name, ...p] } });
  }
  const environmentValues = cluster.environment === undefined ? undefined : app.environmentValues?.get(cluster.environment);
  for (const file of [app.providerValues.get(cluster.provider), environmentValues, app.clusterValues.get(cluster.name)]) {
    if (file) after.push({ data: valuesLayer(cache, file), origin: { file: file.file, yaml: file, toFilePath: (p) => p.slice(1) } });
  }
  return after;
}

/** Every layer of an app on one cluster, lowest first. */
export function layersOf(cache: LayerCache, repo: PlatformRepo, app: AppDefinition, cluster: Cluster, fixed: { before: Layer[]; own: Layer[] }): Layer[] {
  const { clusterLayer, after } = clusterLayers(cache, repo, app, cluster);
  return [...fixed.before, ...clusterLayer, ...fixed.own, ...after];
}
