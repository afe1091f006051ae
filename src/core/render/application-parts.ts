import { FINALIZER, LABEL_PREFIX, SYNC_WAVE } from '../argo-labels.js';
import { isEmptyRecord } from '../is-empty-record.js';
import { unlayeredApplication } from '../load/check-application-file.js';
import { deepFreeze, mergeLayer, stripNulls } from '../layering/merge.js';
import type { AppDefinition, AppKeys, Cluster, NamespaceFolder, PlatformRepo } from '../model.js';
import type { Application } from './render-applications.js';
import { dependencyId } from './sync-waves.js';

/**
 * Parts that are the same for many Applications, built once and frozen:
 * fewer objects kept alive for 40,000 Applications means far less GC, and
 * the YAML emitter reuses the text of frozen subtrees. Weak on the repo's
 * objects, like the other caches of a render.
 */
export interface PartsCache {
  /** One `cluster` object per cluster in every template context: templates that read it whole share their renderings. */
  clusterContexts: WeakMap<Cluster, Record<string, unknown>>;
  destinations: WeakMap<Cluster, Map<string, Record<string, string>>>;
  /** By the syncPolicy key (or NO_POLICY), then folder; weak on both levels: NO_POLICY lives as long as the cache. */
  syncPolicies: WeakMap<object, WeakMap<NamespaceFolder, Record<string, unknown> | undefined>>;
  /** The annotations of an app without annotations of its own, by sync wave: the same for most of its clusters. */
  plainAnnotations: WeakMap<AppDefinition, Map<string, Record<string, string>>>;
  /** A full Application without the parts layered as app keys. */
  unlayered: WeakMap<AppDefinition, Record<string, unknown>>;
}

export function createPartsCache(): PartsCache {
  return {
    clusterContexts: new WeakMap(),
    destinations: new WeakMap(),
    syncPolicies: new WeakMap(),
    plainAnnotations: new WeakMap(),
    unlayered: new WeakMap(),
  };
}

export const FINALIZERS = Object.freeze([FINALIZER]) as unknown as string[];
const NO_POLICY = {};

/** The `cluster` of a template context. */
export function clusterContext(cache: PartsCache, cluster: Cluster): Record<string, unknown> {
  let context = cache.clusterContexts.get(cluster);
  if (!context) {
    context = {
      name: cluster.name,
      server: cluster.server ?? '',
      provider: cluster.provider,
      environment: cluster.environment ?? '',
      labels: cluster.labels,
      vars: cluster.vars,
      destinationName: cluster.destinationName ?? '',
    };
    cache.clusterContexts.set(cluster, context);
  }
  return context;
}

function plainAnnotationsOf(cache: PartsCache, app: AppDefinition, wave: string | undefined): Record<string, string> {
  let byWave = cache.plainAnnotations.get(app);
  if (!byWave) cache.plainAnnotations.set(app, (byWave = new Map()));
  const key = wave ?? '';
  let annotations = byWave.get(key);
  if (!annotations) {
    // In key order: sortedRecord would put SYNC_WAVE first too.
    const fresh: Record<string, string> =
      wave === undefined ? { [`${LABEL_PREFIX}source`]: app.source } : { [SYNC_WAVE]: wave, [`${LABEL_PREFIX}source`]: app.source };
    annotations = Object.freeze(fresh);
    byWave.set(key, annotations);
  }
  return annotations;
}

export function metadataOf(cache: PartsCache, repo: PlatformRepo, app: AppDefinition, cluster: Cluster, keys: AppKeys): Application['metadata'] {
  // The wave set for this cluster, raised above every dependency's wave.
  let wave = keys.syncWave ?? 0;
  for (const dep of app.keys.dependsOn ?? []) wave = Math.max(wave, (repo.waves.get(dependencyId(app.namespace, dep)) ?? 0) + 1);
  const waveText = wave !== 0 || keys.syncWave !== undefined || (app.keys.dependsOn?.length ?? 0) > 0 ? String(wave) : undefined;
  let annotations: Record<string, string>;
  if (isEmptyRecord(keys.annotations)) annotations = plainAnnotationsOf(cache, app, waveText);
  else {
    annotations = stripNulls({ ...keys.annotations });
    if (waveText !== undefined) annotations[SYNC_WAVE] = waveText;
    annotations[`${LABEL_PREFIX}source`] = app.source;
    annotations = sortedRecord(annotations);
  }
  return {
    name: '',
    namespace: repo.settings.argocdNamespace,
    labels: isEmptyRecord(keys.labels) ? standardLabels(app, cluster) : sortedRecord({ ...stripNulls(keys.labels ?? {}), ...standardLabels(app, cluster) }),
    annotations,
    finalizers: keys.finalizer === false ? [] : FINALIZERS,
  };
}

export function syncPolicyOf(cache: PartsCache, ns: NamespaceFolder, keys: AppKeys): Record<string, unknown> | undefined {
  const key = keys.syncPolicy ?? NO_POLICY;
  let byNamespace = cache.syncPolicies.get(key);
  if (!byNamespace) cache.syncPolicies.set(key, (byNamespace = new WeakMap()));
  if (byNamespace.has(ns)) return byNamespace.get(ns);
  const policy = buildSyncPolicy(ns, keys);
  byNamespace.set(ns, policy === undefined ? undefined : deepFreeze(policy));
  return byNamespace.get(ns);
}

function buildSyncPolicy(ns: NamespaceFolder, keys: AppKeys): Record<string, unknown> | undefined {
  const policy = stripNulls(keys.syncPolicy ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...policy };
  const createNamespace = Array.isArray(policy.syncOptions) && policy.syncOptions.includes('CreateNamespace=true');
  if (createNamespace && (Object.keys(ns.labels).length > 0 || Object.keys(ns.annotations).length > 0)) {
    const meta: Record<string, unknown> = {};
    if (Object.keys(ns.labels).length > 0) meta.labels = sortedRecord(ns.labels);
    if (Object.keys(ns.annotations).length > 0) meta.annotations = sortedRecord(ns.annotations);
    // A full Application may set its own, which wins over namespace.yaml's key by key.
    out.managedNamespaceMetadata = mergeLayer(meta, policy.managedNamespaceMetadata);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function destinationOf(cache: PartsCache, cluster: Cluster, namespace: string): Record<string, string> {
  let byNamespace = cache.destinations.get(cluster);
  if (!byNamespace) cache.destinations.set(cluster, (byNamespace = new Map()));
  let destination = byNamespace.get(namespace);
  if (!destination) {
    const fresh: Record<string, string> =
      cluster.destinationName !== undefined ? { name: cluster.destinationName, namespace } : { server: cluster.server!, namespace };
    destination = Object.freeze(fresh);
    byNamespace.set(namespace, destination);
  }
  return destination;
}

/** A full Application without the parts layered as app keys, one object per app. */
export function unlayeredOf(cache: PartsCache, app: AppDefinition): Record<string, unknown> {
  let application = cache.unlayered.get(app);
  if (!application) cache.unlayered.set(app, (application = unlayeredApplication(app.application!)));
  return application;
}

/** The labels every Application carries, in sorted key order (sortedRecord would give the same). */
function standardLabels(app: AppDefinition, cluster: Cluster): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': 'gitops-k8s',
    'gitops-k8s.io/app': app.name,
    'gitops-k8s.io/cluster': cluster.name,
    ...(cluster.environment === undefined ? {} : { 'gitops-k8s.io/environment': cluster.environment }),
    'gitops-k8s.io/namespace': app.namespace,
    'gitops-k8s.io/provider': cluster.provider,
  };
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key]!;
  return out;
}
