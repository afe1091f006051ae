import path from 'node:path';
import { didYouMean } from './did-you-mean.js';
import { createError, GitopsError, type Problem } from './errors.js';
import { deepFreeze, isPlainObject, mergeLayer, stripNulls, type FieldPath, type Trace } from './merge.js';
import type { AppDefinition, AppKeys, Cluster, NamespaceFolder, PlatformRepo } from './model.js';
import { toDnsLabel } from './naming.js';
import type { YamlFile } from './parse-yaml.js';
import { renderString, renderTemplates, TemplateError, type TemplateContext } from './template.js';
import { dependencyId } from './sync-waves.js';
import { fieldOf } from './validate.js';

export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_PREFIX = 'gitops-k8s.io/';
export const FINALIZER = 'resources-finalizer.argocd.argoproj.io';
export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';

export type Application = {
  apiVersion: 'argoproj.io/v1alpha1';
  kind: 'Application';
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string>; finalizers: string[] };
  spec: Record<string, unknown>;
};

/** A layer of the app keys: what it sets and which file (and where in it) that is. */
export interface LayerOrigin {
  /** Repo-relative file, or a description in parentheses for built-ins. */
  file: string;
  yaml?: YamlFile;
  /** Maps a path in the merged app keys to the path in the file. */
  toFilePath: (path: FieldPath) => FieldPath;
}

/** One generated Application with what it came from. */
export interface RenderedApp {
  application: Application;
  app: AppDefinition;
  namespace: NamespaceFolder;
  cluster: Cluster;
  /** The merged, templated app keys (only when rendering with `trace`). */
  keys?: AppKeys;
  /** Which layer set each app key (only when rendering with `trace`). */
  trace?: Trace<LayerOrigin>;
}

export interface RenderOptions {
  /**
   * Prefix for path sources inside the platform repo: where the platform repo
   * sits in its Git repository (the CMP's ARGOCD_APP_SOURCE_PATH, the server's `path`).
   */
  pathPrefix?: string;
  /** Record which file set each field (for `explain`); slower. */
  trace?: boolean;
  /** Render only this app (`namespace/app`), for `explain`. */
  only?: string;
}

const BUILT_IN_DEFAULTS: AppKeys = {
  syncPolicy: {
    automated: { prune: true, selfHeal: true },
    syncOptions: ['CreateNamespace=true'],
  },
};
const BUILT_IN: LayerOrigin = { file: '(built-in defaults)', toFilePath: (p) => p };

function keysOf(defaults: AppKeys, vars: Record<string, unknown> | undefined): AppKeys {
  return vars && Object.keys(vars).length > 0 ? { ...defaults, vars: mergeLayer(defaults.vars ?? {}, vars) as Record<string, unknown> } : defaults;
}

interface Layer {
  data: AppKeys;
  origin: LayerOrigin;
}

function staticLayers(repo: PlatformRepo, ns: NamespaceFolder, app: AppDefinition): { before: Layer[]; own: Layer[] } {
  const { settings } = repo;
  const before: Layer[] = [{ data: BUILT_IN_DEFAULTS, origin: BUILT_IN }];
  if (settings.yaml) {
    before.push({
      data: keysOf(settings.defaults, settings.vars),
      origin: { file: settings.yaml.file, yaml: settings.yaml, toFilePath: (p) => (p[0] === 'vars' ? p : ['defaults', ...p]) },
    });
  }
  const own: Layer[] = [];
  if (ns.yaml) {
    own.push({
      data: keysOf(ns.defaults, ns.vars),
      origin: { file: ns.yaml.file, yaml: ns.yaml, toFilePath: (p) => (p[0] === 'vars' ? p : ['defaults', ...p]) },
    });
  }
  if (app.kind === 'spec' || app.kind === 'folder') {
    const { overrides: _o, dependsOn: _d, clusters: _c, ...keys } = app.keys;
    own.push({ data: keys, origin: { file: app.source, yaml: app.yaml, toFilePath: (p) => p } });
  }
  if (app.valuesFile) {
    own.push({
      data: { values: (app.valuesFile.data ?? {}) as Record<string, unknown> },
      origin: { file: app.valuesFile.file, yaml: app.valuesFile, toFilePath: (p) => p.slice(1) },
    });
  }
  return { before, own };
}

function clusterLayers(repo: PlatformRepo, app: AppDefinition, cluster: Cluster): { clusterLayer: Layer[]; after: Layer[] } {
  const clusterLayer: Layer[] = [];
  // The built-in presets hold no app keys; providers/<p>.yaml may, under `defaults`.
  const provider = repo.providers.get(cluster.provider);
  if (provider?.defaults && provider.yaml) {
    clusterLayer.push({ data: provider.defaults, origin: { file: provider.yaml.file, yaml: provider.yaml, toFilePath: (p) => ['defaults', ...p] } });
  }
  if (cluster.yaml) {
    clusterLayer.push({
      data: keysOf(cluster.defaults, cluster.vars),
      origin: { file: cluster.yaml.file, yaml: cluster.yaml, toFilePath: (p) => (p[0] === 'vars' ? p : ['defaults', ...p]) },
    });
  }
  const after: Layer[] = [];
  const byProvider = app.keys.overrides?.providers?.[cluster.provider];
  if (byProvider && app.yaml) {
    after.push({ data: byProvider, origin: { file: app.source, yaml: app.yaml, toFilePath: (p) => ['overrides', 'providers', cluster.provider, ...p] } });
  }
  const byCluster = app.keys.overrides?.clusters?.[cluster.name];
  if (byCluster && app.yaml) {
    after.push({ data: byCluster, origin: { file: app.source, yaml: app.yaml, toFilePath: (p) => ['overrides', 'clusters', cluster.name, ...p] } });
  }
  for (const file of [app.providerValues.get(cluster.provider), app.clusterValues.get(cluster.name)]) {
    if (file) after.push({ data: { values: (file.data ?? {}) as Record<string, unknown> }, origin: { file: file.file, yaml: file, toFilePath: (p) => p.slice(1) } });
  }
  return { clusterLayer, after };
}

/** Whether a cluster is selected by an app's `clusters` key. */
export function selectsCluster(selector: AppKeys['clusters'], cluster: Cluster): boolean {
  if (!selector) return true;
  if (Array.isArray(selector)) return selector.includes(cluster.name);
  if (selector.names && !selector.names.includes(cluster.name)) return false;
  if (selector.exclude?.includes(cluster.name)) return false;
  if (selector.providers && !selector.providers.includes(cluster.provider)) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (cluster.labels[k] !== v) return false;
  return true;
}

/** The template context of one (app, cluster). */
export function templateContext(repo: PlatformRepo, ns: NamespaceFolder, app: AppDefinition, cluster: Cluster, vars: Record<string, unknown>): TemplateContext {
  return {
    cluster: { name: cluster.name, server: cluster.server ?? '', provider: cluster.provider, labels: cluster.labels, vars: cluster.vars, destinationName: cluster.destinationName ?? '' },
    provider: repo.providers.get(cluster.provider)!.values,
    namespace: ns.name,
    app: app.name,
    repo: { url: repo.settings.repoURL ?? '', revision: repo.settings.targetRevision },
    vars,
  };
}

/** The AppProject of a namespace folder: `project.name` of namespace.yaml, or `naming.project` of gitops.yaml. */
export function projectName(repo: PlatformRepo, ns: NamespaceFolder): string {
  if (ns.project.name) return ns.project.name;
  const where = { file: repo.settings.yaml?.file ?? 'gitops.yaml', line: repo.settings.yaml?.lineOf(['naming', 'project']), field: 'naming.project' };
  let name: string;
  try {
    name = toDnsLabel(String(renderString(repo.settings.naming.project, { namespace: ns.name })));
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    throw createError('GK_TEMPLATE', `${error.message}; naming.project may use {{namespace}}`, where);
  }
  if (name === '') throw createError('GK_INVALID_NAME', `gives an empty AppProject name for namespace ${ns.name}`, where);
  return name;
}

/** Argo CD paths are Git paths: inside the platform repo they carry its prefix. */
function platformPath(prefix: string | undefined, p: string): string {
  const normal = path.posix.normalize(p).replace(/\/+$/, '');
  if (!prefix || prefix === '.' || prefix === '') return normal;
  return path.posix.join(prefix, normal);
}

function buildSource(repo: PlatformRepo, keys: AppKeys, options: RenderOptions, problem: (field: string, message: string) => void): Record<string, unknown> {
  const source: Record<string, unknown> = {};
  if (keys.chart !== undefined) {
    source.repoURL = keys.repoURL;
    source.chart = keys.chart;
    source.targetRevision = keys.version;
  } else if (keys.repoURL !== undefined) {
    source.repoURL = keys.repoURL;
    source.path = keys.path;
    source.targetRevision = keys.targetRevision ?? 'HEAD';
  } else {
    if (!repo.settings.repoURL) {
      problem('path', 'a path in the platform repo needs its URL: set repoURL in gitops.yaml or pass --repo-url (the CMP and the server fill it in themselves)');
    }
    source.repoURL = repo.settings.repoURL ?? '';
    source.path = platformPath(options.pathPrefix ?? repo.settings.path, keys.path ?? '.');
    source.targetRevision = keys.targetRevision ?? repo.settings.targetRevision;
  }
  const values = keys.values;
  const helm: Record<string, unknown> = {};
  if (keys.releaseName != null) helm.releaseName = keys.releaseName;
  if (keys.valueFiles != null) helm.valueFiles = keys.valueFiles;
  if (isPlainObject(values) && Object.keys(values).length > 0) helm.valuesObject = values;
  if (Object.keys(helm).length > 0) source.helm = helm;
  if (keys.kustomize) source.kustomize = stripNulls(keys.kustomize);
  if (keys.directory) source.directory = stripNulls(keys.directory);
  return source;
}

// Parts that are the same for many Applications are built once and frozen:
// fewer objects kept alive for 40,000 Applications means far less GC, and the
// YAML emitter reuses the text of frozen subtrees.
const FINALIZERS = Object.freeze([FINALIZER]) as unknown as string[];
const destinations = new WeakMap<Cluster, Map<string, Record<string, string>>>();
const syncPolicies = new WeakMap<object, Map<NamespaceFolder, Record<string, unknown> | undefined>>();
const NO_POLICY = {};

function destinationOf(cluster: Cluster, namespace: string): Record<string, string> {
  let byNamespace = destinations.get(cluster);
  if (!byNamespace) destinations.set(cluster, (byNamespace = new Map()));
  let destination = byNamespace.get(namespace);
  if (!destination) {
    const fresh: Record<string, string> = cluster.destinationName !== undefined ? { name: cluster.destinationName, namespace } : { server: cluster.server!, namespace };
    destination = Object.freeze(fresh);
    byNamespace.set(namespace, destination);
  }
  return destination;
}

function standardLabels(app: AppDefinition, cluster: Cluster): Record<string, string> {
  return {
    [MANAGED_BY]: 'gitops-k8s',
    [`${LABEL_PREFIX}app`]: app.name,
    [`${LABEL_PREFIX}namespace`]: app.namespace,
    [`${LABEL_PREFIX}cluster`]: cluster.name,
    [`${LABEL_PREFIX}provider`]: cluster.provider,
  };
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key]!;
  return out;
}

/**
 * Every Application of a platform repo: one per (app, selected cluster),
 * sorted by name. Template errors and name collisions anywhere are collected
 * and thrown once; nothing partial is returned.
 */
export function renderApplications(repo: PlatformRepo, options: RenderOptions = {}): RenderedApp[] {
  const problems: Problem[] = [];
  const out: RenderedApp[] = [];
  const names = new Map<string, RenderedApp>();

  // A template error in a file shared by many clusters is one problem naming them all.
  const templateProblems = new Map<string, { problem: Problem; clusters: string[] }>();
  const templateProblem = (problem: Problem, cluster: string): void => {
    const key = `${problem.file}:${problem.line}:${problem.field}:${problem.message}`;
    const seen = templateProblems.get(key);
    if (seen) seen.clusters.push(cluster);
    else templateProblems.set(key, { problem, clusters: [cluster] });
  };
  const reported = new Set<string>();
  const once = (problem: Problem): void => {
    const key = `${problem.file}:${problem.line}:${problem.message}`;
    if (!reported.has(key)) {
      reported.add(key);
      problems.push(problem);
    }
  };
  for (const ns of repo.namespaces) {
    let project: string;
    try {
      project = projectName(repo, ns);
    } catch (error) {
      if (!(error instanceof GitopsError)) throw error;
      error.problems.forEach(once);
      project = ns.name;
    }
    for (const app of ns.apps) {
      const id = `${ns.name}/${app.name}`;
      if (options.only && options.only !== id) continue;
      const { before, own } = staticLayers(repo, ns, app);
      const selector = app.keys.clusters ?? ns.defaults.clusters ?? repo.settings.defaults.clusters;
      for (const cluster of repo.clusters) {
        if (!selectsCluster(selector, cluster)) continue;
        const { clusterLayer, after } = clusterLayers(repo, app, cluster);
        const layers = [...before, ...clusterLayer, ...own, ...after];
        const trace: Trace<LayerOrigin> | undefined = options.trace ? new Map() : undefined;
        let merged: unknown = {};
        for (const layer of layers) merged = mergeLayer(merged, layer.data, trace, layer.origin);
        const rawKeys = merged as AppKeys;
        if (rawKeys.enabled === false) continue;

        const originFile = (p: FieldPath): { file: string; line?: number } => {
          const t = trace ?? traceOf(layers);
          let hit: { path: FieldPath; origin: LayerOrigin } | undefined;
          for (let i = p.length; i >= 0 && !hit; i--) hit = t.get(JSON.stringify(p.slice(0, i)));
          if (!hit) return { file: app.source };
          return { file: hit.origin.file, line: hit.origin.yaml?.lineOf(hit.origin.toFilePath(p)) };
        };
        const vars = (rawKeys.vars ?? {}) as Record<string, unknown>;
        const context = templateContext(repo, ns, app, cluster, vars);
        const onTemplateError = (p: FieldPath, message: string): void => {
          templateProblem({ code: 'GK_TEMPLATE', ...originFile(p), field: fieldOf(p), message }, cluster.name);
        };
        const { vars: _vars, ...templatable } = rawKeys;
        const keys = { ...(renderTemplates(templatable, context, onTemplateError) as AppKeys), vars };

        let application: Application;
        if (app.kind === 'application') {
          const rendered = renderTemplates(app.application, context, (p, m) =>
            templateProblem({ code: 'GK_TEMPLATE', file: app.source, line: app.yaml?.lineOf(p), field: fieldOf(p), message: m }, cluster.name),
          ) as Record<string, unknown>;
          application = fromApplication(repo, ns, app, cluster, rendered, keys, project);
        } else {
          const source = buildSource(repo, keys, options, (field, message) => once({ code: 'GK_INVALID_VALUE', ...originFile([field]), field, message }));
          application = fromKeys(repo, ns, app, cluster, keys, source, project);
        }
        const naming = (() => {
          // A function: finding the line is only worth it on the error path.
          const where = () => ({ file: repo.settings.yaml?.file ?? 'gitops.yaml', line: repo.settings.yaml?.lineOf(['naming', 'application']), field: 'naming.application' });
          try {
            const name = toDnsLabel(String(renderString(repo.settings.naming.application, context)));
            if (name !== '') return name;
            once({ code: 'GK_INVALID_NAME', ...where(), message: 'gives an empty Application name' });
          } catch (error) {
            if (!(error instanceof TemplateError)) throw error;
            once({ code: 'GK_TEMPLATE', ...where(), message: error.message });
          }
          return `${ns.name}-${app.name}-${cluster.name}`;
        })();
        application.metadata.name = naming;
        // The merged keys are kept only for explain: 40,000 of them are a lot of memory to carry.
        const rendered: RenderedApp = { application, app, namespace: ns, cluster, keys: options.trace ? keys : undefined, trace };
        const clash = names.get(naming);
        if (clash) {
          problems.push({
            code: 'GK_NAME_COLLISION',
            file: app.source,
            message: `Application name ${JSON.stringify(naming)} (cluster ${cluster.name}) is also generated by ${clash.app.source} (cluster ${clash.cluster.name}); rename one app or change naming.application in gitops.yaml`,
          });
          continue;
        }
        names.set(naming, rendered);
        out.push(rendered);
      }
    }
  }
  for (const { problem, clusters } of templateProblems.values()) {
    problems.push({ ...problem, message: `${problem.message} (${clusters.length === 1 ? 'cluster' : 'clusters'} ${clusters.join(', ')})` });
  }
  if (problems.length > 0) throw new GitopsError(problems);
  return out.sort((a, b) => (a.application.metadata.name < b.application.metadata.name ? -1 : 1));
}

// Only on the error path: the layers again, traced, to name the file that set a field.
function traceOf(layers: Layer[]): Trace<LayerOrigin> {
  const trace: Trace<LayerOrigin> = new Map();
  let merged: unknown = {};
  for (const layer of layers) merged = mergeLayer(merged, layer.data, trace, layer.origin);
  return trace;
}

function metadataOf(repo: PlatformRepo, app: AppDefinition, cluster: Cluster, keys: AppKeys, extraLabels: Record<string, string> = {}, extraAnnotations: Record<string, string> = {}): Application['metadata'] {
  // The wave set for this cluster, raised above every dependency's wave.
  let wave = keys.syncWave ?? 0;
  for (const dep of app.keys.dependsOn ?? []) wave = Math.max(wave, (repo.waves.get(dependencyId(app.namespace, dep)) ?? 0) + 1);
  const annotations: Record<string, string> = { ...extraAnnotations, ...stripNulls(keys.annotations ?? {}) };
  if (wave !== 0 || keys.syncWave !== undefined || (app.keys.dependsOn?.length ?? 0) > 0) annotations[SYNC_WAVE] = String(wave);
  annotations[`${LABEL_PREFIX}source`] = app.source;
  return {
    name: '',
    namespace: repo.settings.argocdNamespace,
    labels: sortedRecord({ ...extraLabels, ...stripNulls(keys.labels ?? {}), ...standardLabels(app, cluster) }),
    annotations: sortedRecord(annotations),
    finalizers: FINALIZERS,
  };
}

function syncPolicyOf(ns: NamespaceFolder, keys: AppKeys): Record<string, unknown> | undefined {
  const key = keys.syncPolicy ?? NO_POLICY;
  let byNamespace = syncPolicies.get(key);
  if (!byNamespace) syncPolicies.set(key, (byNamespace = new Map()));
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
    out.managedNamespaceMetadata = meta;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function fromKeys(repo: PlatformRepo, ns: NamespaceFolder, app: AppDefinition, cluster: Cluster, keys: AppKeys, source: Record<string, unknown>, project: string): Application {
  const spec: Record<string, unknown> = {
    project: keys.project ?? project,
    source,
    destination: destinationOf(cluster, ns.name),
  };
  const syncPolicy = syncPolicyOf(ns, keys);
  if (syncPolicy) spec.syncPolicy = syncPolicy;
  if (keys.ignoreDifferences?.length) spec.ignoreDifferences = keys.ignoreDifferences;
  if (keys.info?.length) spec.info = keys.info;
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: metadataOf(repo, app, cluster, keys), spec };
}

function fromApplication(repo: PlatformRepo, ns: NamespaceFolder, app: AppDefinition, cluster: Cluster, written: Record<string, unknown>, keys: AppKeys, project: string): Application {
  const meta = isPlainObject(written.metadata) ? written.metadata : {};
  const spec = { ...(written.spec as Record<string, unknown>) };
  spec.destination = destinationOf(cluster, ns.name);
  // Without a project of its own it joins its folder's AppProject, like every other app there.
  const ordered: Record<string, unknown> = { project: spec.project ?? project };
  for (const key of ['source', 'sources', 'destination', 'syncPolicy', 'ignoreDifferences', 'info', 'revisionHistoryLimit']) {
    if (spec[key] !== undefined) ordered[key] = spec[key];
  }
  for (const key of Object.keys(spec).sort()) if (!(key in ordered)) ordered[key] = spec[key];
  const metadata = metadataOf(repo, app, cluster, keys, (meta.labels ?? {}) as Record<string, string>, (meta.annotations ?? {}) as Record<string, string>);
  const finalizers = Array.isArray(meta.finalizers) ? (meta.finalizers as string[]) : [];
  metadata.finalizers = [...new Set([...finalizers, FINALIZER])];
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata, spec: ordered };
}

/** Problems in cluster or namespace filters given on the command line or by the CMP. */
export function checkFilters(repo: PlatformRepo, filters: { clusters?: string[]; namespaces?: string[] }): void {
  const problems: Problem[] = [];
  const clusters = repo.clusters.map((c) => c.name);
  for (const name of filters.clusters ?? []) {
    if (!clusters.includes(name)) problems.push({ code: 'GK_UNKNOWN_CLUSTER', field: 'cluster', message: `unknown cluster ${JSON.stringify(name)}${didYouMean(name, clusters)}; known: ${clusters.join(', ')}` });
  }
  const namespaces = repo.namespaces.map((n) => n.name);
  for (const name of filters.namespaces ?? []) {
    if (!namespaces.includes(name)) problems.push({ code: 'GK_NOT_FOUND', field: 'namespace', message: `no namespace folder apps/${name}${didYouMean(name, namespaces)}` });
  }
  if (problems.length > 0) throw new GitopsError(problems);
}
