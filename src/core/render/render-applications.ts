import path from 'node:path';
import { FINALIZER, LABEL_PREFIX, SYNC_WAVE } from '../argo-labels.js';
import { applicationPathOf, unlayeredApplication } from '../load/check-application-file.js';
import { didYouMean } from '../did-you-mean.js';
import { createError, GitopsError, type Problem } from '../errors.js';
import { isEmptyRecord } from '../is-empty-record.js';
import { checkRenderedKeys } from './check-rendered-keys.js';
import { deepFreeze, isPlainObject, mergeLayer, stripNulls, type FieldPath, type Trace } from '../layering/merge.js';
import type { AppDefinition, AppKeys, Cluster, NamespaceFolder, PlatformRepo } from '../model.js';
import { nameCollisionProblem } from './name-collision.js';
import { toDnsLabel } from './naming.js';
import type { YamlFile } from '../yaml/parse-yaml.js';
import type { RolloutPlacement } from './rollout.js';
import { renderString, renderTemplates, TemplateError, type TemplateContext } from '../template/template.js';
import { dependencyId } from './sync-waves.js';
import { fieldOf } from '../schema/validate.js';

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
  /** Its rollout step and how its sync wave was made (only with `rollout` in gitops.yaml). */
  rollout?: RolloutPlacement;
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

// The layer made of a file's defaults and vars, one object per pair: the
// merges below are shared between the (app, cluster) pairs whose layers are
// the same objects.
const layerKeys = new WeakMap<AppKeys, WeakMap<Record<string, unknown>, AppKeys>>();

function keysOf(defaults: AppKeys, vars: Record<string, unknown> | undefined): AppKeys {
  if (!vars || Object.keys(vars).length === 0) return defaults;
  let byVars = layerKeys.get(defaults);
  if (!byVars) layerKeys.set(defaults, (byVars = new WeakMap()));
  let keys = byVars.get(vars);
  if (!keys) byVars.set(vars, (keys = { ...defaults, vars: mergeLayer(defaults.vars ?? {}, vars) as Record<string, unknown> }));
  return keys;
}

const valuesLayers = new WeakMap<YamlFile, AppKeys>();

/** A values file as a layer of app keys, one object per file. */
function valuesLayer(file: YamlFile): AppKeys {
  let keys = valuesLayers.get(file);
  if (!keys) valuesLayers.set(file, (keys = { values: (file.data ?? {}) as Record<string, unknown> }));
  return keys;
}

const ownKeys = new WeakMap<AppDefinition, AppKeys>();

/** The app keys an app's own layer sets (those that say where and when it runs are not layered). */
function ownKeysOf(app: AppDefinition): AppKeys {
  let keys = ownKeys.get(app);
  if (!keys) {
    const { overrides: _o, dependsOn: _d, clusters: _c, ...rest } = app.keys;
    ownKeys.set(app, (keys = rest));
  }
  return keys;
}

/** Layer data without `vars`, and its `vars`, one split per layer object. */
interface SplitKeys {
  /** Undefined when the layer sets nothing but vars. */
  rest: AppKeys | undefined;
  vars: unknown;
}
const splitLayers = new WeakMap<AppKeys, SplitKeys>();

function splitVars(data: AppKeys): SplitKeys {
  let split = splitLayers.get(data);
  if (!split) {
    const { vars, ...rest } = data;
    split = { rest: Object.keys(rest).length > 0 ? rest : undefined, vars };
    splitLayers.set(data, split);
  }
  return split;
}

/**
 * Merges the layers of (app, cluster) pairs as mergeLayer does, sharing
 * the work: the top-level keys merge independently, so the app keys but
 * `vars` depend only on the layers that set any, and those are the same
 * objects for most clusters of an app (cluster files mostly set vars); the
 * merged objects are shared too, which lets templating reuse its results.
 */
class LayerMerger {
  private readonly ids = new WeakMap<object, number>();
  private readonly merged = new Map<string, unknown>();

  private next = 0;

  private idOf(value: object): number {
    let id = this.ids.get(value);
    if (id === undefined) this.ids.set(value, (id = this.next++));
    return id;
  }

  merge(layers: readonly Layer[]): { rest: AppKeys; vars: unknown } {
    let restKey = 'r';
    let varsKey = 'v';
    for (const layer of layers) {
      const { rest, vars } = splitVars(layer.data);
      if (rest) restKey += `${this.idOf(rest)},`;
      if (vars !== undefined) varsKey += vars !== null && typeof vars === 'object' ? `${this.idOf(vars)},` : `${JSON.stringify(vars)},`;
    }
    let rest = this.merged.get(restKey) as AppKeys | undefined;
    if (!rest) {
      let out: unknown = {};
      for (const layer of layers) {
        const part = splitVars(layer.data).rest;
        if (part) out = mergeLayer(out, part);
      }
      this.merged.set(restKey, (rest = out as AppKeys));
    }
    let vars = this.merged.get(varsKey);
    if (!this.merged.has(varsKey)) {
      for (const layer of layers) {
        const part = splitVars(layer.data).vars;
        if (part !== undefined) vars = mergeLayer(vars, part);
      }
      this.merged.set(varsKey, vars);
    }
    return { rest, vars };
  }
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
  if (app.kind !== 'application') {
    own.push({ data: ownKeysOf(app), origin: { file: app.source, yaml: app.yaml, toFilePath: (p) => p } });
  } else {
    own.push({ data: ownKeysOf(app), origin: { file: app.source, yaml: app.yaml, toFilePath: applicationPathOf } });
  }
  if (app.valuesFile) {
    own.push({
      data: valuesLayer(app.valuesFile),
      origin: { file: app.valuesFile.file, yaml: app.valuesFile, toFilePath: (p) => p.slice(1) },
    });
  }
  return { before, own };
}

// The provider and cluster layers of a cluster are the same for all its apps: made once per cluster.
const clusterLayerCache = new WeakMap<Cluster, Layer[]>();

function clusterLayers(repo: PlatformRepo, app: AppDefinition, cluster: Cluster): { clusterLayer: Layer[]; after: Layer[] } {
  let clusterLayer = clusterLayerCache.get(cluster);
  if (!clusterLayer) clusterLayerCache.set(cluster, (clusterLayer = providerAndClusterLayers(repo, cluster)));
  return { clusterLayer, after: afterLayers(app, cluster) };
}

function providerAndClusterLayers(repo: PlatformRepo, cluster: Cluster): Layer[] {
  const clusterLayer: Layer[] = [];
  // The built-in presets hold no app keys; providers/<p>.yaml may, under `defaults`.
  const provider = repo.providers.get(cluster.provider);
  if (provider?.defaults && provider.yaml) {
    clusterLayer.push({ data: provider.defaults, origin: { file: provider.yaml.file, yaml: provider.yaml, toFilePath: (p) => ['defaults', ...p] } });
  }
  const environment = cluster.environment === undefined ? undefined : repo.environments.get(cluster.environment);
  if (environment?.yaml) {
    clusterLayer.push({
      data: keysOf(environment.defaults, environment.vars),
      origin: { file: environment.yaml.file, yaml: environment.yaml, toFilePath: (p) => (p[0] === 'vars' ? p : ['defaults', ...p]) },
    });
  }
  if (cluster.yaml) {
    clusterLayer.push({
      data: keysOf(cluster.defaults, cluster.vars),
      origin: { file: cluster.yaml.file, yaml: cluster.yaml, toFilePath: (p) => (p[0] === 'vars' ? p : ['defaults', ...p]) },
    });
  }
  return clusterLayer;
}

function afterLayers(app: AppDefinition, cluster: Cluster): Layer[] {
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
    if (file) after.push({ data: valuesLayer(file), origin: { file: file.file, yaml: file, toFilePath: (p) => p.slice(1) } });
  }
  return after;
}

/** Whether a cluster is selected by an app's `clusters` key. */
export function selectsCluster(selector: AppKeys['clusters'], cluster: Cluster): boolean {
  if (!selector) return true;
  if (Array.isArray(selector)) return selector.includes(cluster.name);
  if (selector.names && !selector.names.includes(cluster.name)) return false;
  if (selector.exclude?.includes(cluster.name)) return false;
  if (selector.providers && !selector.providers.includes(cluster.provider)) return false;
  if (selector.environments && (cluster.environment === undefined || !selector.environments.includes(cluster.environment))) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (cluster.labels[k] !== v) return false;
  return true;
}

/** The template context of one (app, cluster). */
export function templateContext(repo: PlatformRepo, ns: NamespaceFolder, app: AppDefinition, cluster: Cluster, vars: Record<string, unknown>): TemplateContext {
  return {
    cluster: clusterContext(cluster),
    provider: repo.providers.get(cluster.provider)!.values,
    namespace: ns.name,
    app: app.name,
    repo: { url: repo.settings.repoURL ?? '', revision: repo.settings.targetRevision },
    vars,
  };
}

// One `cluster` object per cluster in every context: templates that read it whole share their renderings.
const clusterContexts = new WeakMap<Cluster, Record<string, unknown>>();

function clusterContext(cluster: Cluster): Record<string, unknown> {
  let context = clusterContexts.get(cluster);
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
    clusterContexts.set(cluster, context);
  }
  return context;
}

/** The AppProject of a namespace folder: `project.name` of namespace.yaml, or `naming.project` of gitops.yaml. */
export function projectName(repo: PlatformRepo, ns: NamespaceFolder): string {
  if (ns.project.name) return ns.project.name;
  // A function: a line number costs a positional parse of gitops.yaml, wanted only for a problem.
  const where = () => ({ file: repo.settings.yaml?.file ?? 'gitops.yaml', line: repo.settings.yaml?.lineOf(['naming', 'project']), field: 'naming.project' });
  let name: string;
  try {
    name = toDnsLabel(String(renderString(repo.settings.naming.project, { namespace: ns.name }, repo.settings.templateLimits)));
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    throw createError('GK_TEMPLATE', `${error.message}; naming.project may use {{namespace}}`, where());
  }
  if (name === '') throw createError('GK_INVALID_NAME', `gives an empty AppProject name for namespace ${ns.name}`, where());
  return name;
}

/** Argo CD paths are Git paths: inside the platform repo they carry its prefix. */
function platformPath(prefix: string | undefined, p: string): string {
  const normal = path.posix.normalize(p).replace(/\/+$/, '');
  if (!prefix || prefix === '.' || prefix === '') return normal;
  return path.posix.join(prefix, normal);
}

function buildSource(
  repo: PlatformRepo,
  keys: AppKeys,
  options: RenderOptions,
  ownFolder: boolean,
  problem: (field: string, message: string) => void,
): Record<string, unknown> {
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
      problem(
        'path',
        'a path in the platform repo needs its URL: set repoURL in gitops.yaml or pass --repo-url (the CMP and the server fill it in themselves)',
      );
    }
    source.repoURL = repo.settings.repoURL ?? '';
    source.path = platformPath(options.pathPrefix ?? repo.settings.path, keys.path ?? '.');
    source.targetRevision = keys.targetRevision ?? repo.settings.targetRevision;
  }
  const values = keys.values;
  const helm: Record<string, unknown> = {};
  if (keys.releaseName != null) helm.releaseName = keys.releaseName;
  if (keys.valueFiles != null) helm.valueFiles = keys.valueFiles;
  if (isPlainObject(values) && !isEmptyRecord(values)) helm.valuesObject = values;
  if (!isEmptyRecord(helm)) source.helm = helm;
  if (keys.kustomize) source.kustomize = stripNulls(keys.kustomize);
  if (keys.directory) source.directory = stripNulls(keys.directory);
  if (ownFolder && !source.helm && !source.kustomize) excludeOwnFiles(source);
  return source;
}

/** The files of an app folder that are gitops-k8s's, not manifests for the cluster. */
const OWN_FILES = ['app.yaml', 'app.yml', 'values.yaml', 'values.yml', 'values.*.yaml', 'values.*.yml'];

/**
 * An app folder of plain manifests is a directory source, and Argo CD would
 * apply every YAML file in it, app.yaml and values files too: they are
 * excluded, merged with the user's own `exclude` as one `{a,b}` glob.
 */
function excludeOwnFiles(source: Record<string, unknown>): void {
  const directory = (isPlainObject(source.directory) ? source.directory : {}) as Record<string, unknown>;
  const given = typeof directory.exclude === 'string' ? directory.exclude.trim() : '';
  // `{a,b}` given by the user is spliced in rather than nested: one level of braces is what every glob library reads alike.
  const theirs = /^\{[^{}]*\}$/.test(given) ? given.slice(1, -1).split(',') : given === '' ? [] : [given];
  const patterns = [...OWN_FILES, ...theirs.filter((p) => !OWN_FILES.includes(p))];
  source.directory = { ...directory, exclude: `{${patterns.join(',')}}` };
}

// Parts that are the same for many Applications are built once and frozen:
// fewer objects kept alive for 40,000 Applications means far less GC, and the
// YAML emitter reuses the text of frozen subtrees.
const FINALIZERS = Object.freeze([FINALIZER]) as unknown as string[];
const destinations = new WeakMap<Cluster, Map<string, Record<string, string>>>();
// Weak on both levels: NO_POLICY lives forever, and a strong inner map would keep every loaded repo's folders (the server loads one per commit).
const syncPolicies = new WeakMap<object, WeakMap<NamespaceFolder, Record<string, unknown> | undefined>>();
const NO_POLICY = {};

function destinationOf(cluster: Cluster, namespace: string): Record<string, string> {
  let byNamespace = destinations.get(cluster);
  if (!byNamespace) destinations.set(cluster, (byNamespace = new Map()));
  let destination = byNamespace.get(namespace);
  if (!destination) {
    const fresh: Record<string, string> =
      cluster.destinationName !== undefined ? { name: cluster.destinationName, namespace } : { server: cluster.server!, namespace };
    destination = Object.freeze(fresh);
    byNamespace.set(namespace, destination);
  }
  return destination;
}

/**
 * The labels every Application carries, in sorted key order (sortedRecord
 * would give the same). The keys are MANAGED_BY and LABEL_PREFIX's spelt out:
 * with computed keys V8 builds each of these objects key by key, measured
 * 15 times slower, and there is one per Application.
 */
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
  const merger = new LayerMerger();
  let projects: Set<string> | undefined;
  // Only a full Application that names its own project needs them all.
  const knownProjects = (): Set<string> => (projects ??= projectsOf(repo));
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
        let templatable: AppKeys;
        let mergedVars: unknown;
        if (trace) {
          let merged: unknown = {};
          for (const layer of layers) merged = mergeLayer(merged, layer.data, trace, layer.origin);
          ({ vars: mergedVars, ...templatable } = merged as AppKeys);
        } else {
          ({ rest: templatable, vars: mergedVars } = merger.merge(layers));
        }
        if (templatable.enabled === false) continue;

        const originFile = (p: FieldPath): { file: string; line?: number; field?: string } => {
          const t = trace ?? traceOf(layers);
          let hit: { path: FieldPath; origin: LayerOrigin } | undefined;
          for (let i = p.length; i >= 0 && !hit; i--) hit = t.get(JSON.stringify(p.slice(0, i)));
          if (!hit) return { file: app.source };
          const filePath = hit.origin.toFilePath(p);
          // In a full Application the field is named as written there (spec.syncPolicy…), not as an app key.
          const field = hit.origin.toFilePath === applicationPathOf ? fieldOf(filePath) : undefined;
          return { file: hit.origin.file, line: hit.origin.yaml?.lineOf(filePath), ...(field === undefined ? {} : { field }) };
        };
        const vars = (mergedVars ?? {}) as Record<string, unknown>;
        const context = templateContext(repo, ns, app, cluster, vars);
        const onTemplateError = (p: FieldPath, message: string): void => {
          templateProblem({ code: 'GK_TEMPLATE', field: fieldOf(p), ...originFile(p), message }, cluster.name);
        };
        const keys = { ...(renderTemplates(templatable, context, onTemplateError, [], repo.settings.templateLimits) as AppKeys), vars };

        checkRenderedKeys(keys, templatable, (code, p, message) => once({ code, ...originFile(p), field: fieldOf(p), message }));
        let application: Application;
        if (app.kind === 'application') {
          const rendered = renderTemplates(
            unlayeredOf(app),
            context,
            (p, m) => templateProblem({ code: 'GK_TEMPLATE', file: app.source, line: app.yaml?.lineOf(p), field: fieldOf(p), message: m }, cluster.name),
            [],
            repo.settings.templateLimits,
          ) as Record<string, unknown>;
          application = fromApplication(repo, ns, app, cluster, rendered, keys, project);
          checkApplicationTargets(app, ns, rendered, keys, knownProjects(), once);
        } else {
          // The app folder itself as the source (not a path or repository app.yaml points elsewhere).
          const ownFolder =
            app.plainFolder === true && keys.repoURL === undefined && keys.chart === undefined && path.posix.normalize(keys.path ?? '.') === app.dir;
          const source = buildSource(repo, keys, options, ownFolder, (field, message) =>
            once({ code: 'GK_INVALID_VALUE', ...originFile([field]), field, message }),
          );
          application = fromKeys(repo, ns, app, cluster, keys, source, project);
        }
        const naming = (() => {
          // A function: finding the line is only worth it on the error path.
          const where = () => ({
            file: repo.settings.yaml?.file ?? 'gitops.yaml',
            line: repo.settings.yaml?.lineOf(['naming', 'application']),
            field: 'naming.application',
          });
          try {
            // An app's own `name` (already templated with the other keys) wins over the repo-wide pattern.
            const name = toDnsLabel(String(keys.name ?? renderString(repo.settings.naming.application, context, repo.settings.templateLimits)));
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
          problems.push(nameCollisionProblem(naming, app.source, cluster.name, clash.app.source, clash.cluster.name));
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

// The annotations of an app without annotations of its own: the same for most
// of its clusters, so one frozen object (the emitter reuses its text).
const plainAnnotations = new WeakMap<AppDefinition, Map<string, Record<string, string>>>();

function plainAnnotationsOf(app: AppDefinition, wave: string | undefined): Record<string, string> {
  let byWave = plainAnnotations.get(app);
  if (!byWave) plainAnnotations.set(app, (byWave = new Map()));
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

function metadataOf(repo: PlatformRepo, app: AppDefinition, cluster: Cluster, keys: AppKeys): Application['metadata'] {
  // The wave set for this cluster, raised above every dependency's wave.
  let wave = keys.syncWave ?? 0;
  for (const dep of app.keys.dependsOn ?? []) wave = Math.max(wave, (repo.waves.get(dependencyId(app.namespace, dep)) ?? 0) + 1);
  const waveText = wave !== 0 || keys.syncWave !== undefined || (app.keys.dependsOn?.length ?? 0) > 0 ? String(wave) : undefined;
  let annotations: Record<string, string>;
  if (isEmptyRecord(keys.annotations)) annotations = plainAnnotationsOf(app, waveText);
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

function syncPolicyOf(ns: NamespaceFolder, keys: AppKeys): Record<string, unknown> | undefined {
  const key = keys.syncPolicy ?? NO_POLICY;
  let byNamespace = syncPolicies.get(key);
  if (!byNamespace) syncPolicies.set(key, (byNamespace = new WeakMap()));
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

function fromKeys(
  repo: PlatformRepo,
  ns: NamespaceFolder,
  app: AppDefinition,
  cluster: Cluster,
  keys: AppKeys,
  source: Record<string, unknown>,
  project: string,
): Application {
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

const unlayered = new WeakMap<AppDefinition, Record<string, unknown>>();

/** A full Application without the parts layered as app keys, one object per app. */
function unlayeredOf(app: AppDefinition): Record<string, unknown> {
  let application = unlayered.get(app);
  if (!application) unlayered.set(app, (application = unlayeredApplication(app.application!)));
  return application;
}

/**
 * A full Application keeps its spec as written, but for the destination (the
 * cluster's, in the folder's namespace) and the parts layered as app keys
 * (`keys`: syncPolicy, project, ignoreDifferences, info, labels, annotations).
 */
function fromApplication(
  repo: PlatformRepo,
  ns: NamespaceFolder,
  app: AppDefinition,
  cluster: Cluster,
  written: Record<string, unknown>,
  keys: AppKeys,
  project: string,
): Application {
  const meta = isPlainObject(written.metadata) ? written.metadata : {};
  const spec: Record<string, unknown> = { ...(written.spec as Record<string, unknown>), destination: destinationOf(cluster, ns.name) };
  const syncPolicy = syncPolicyOf(ns, keys);
  if (syncPolicy) spec.syncPolicy = syncPolicy;
  if (keys.ignoreDifferences?.length) spec.ignoreDifferences = keys.ignoreDifferences;
  if (keys.info?.length) spec.info = keys.info;
  // Without a project of its own it joins its folder's AppProject, like every other app there.
  const ordered: Record<string, unknown> = { project: keys.project ?? project };
  for (const key of ['source', 'sources', 'destination', 'syncPolicy', 'ignoreDifferences', 'info', 'revisionHistoryLimit']) {
    if (spec[key] !== undefined) ordered[key] = spec[key];
  }
  for (const key of Object.keys(spec).sort()) if (!(key in ordered)) ordered[key] = spec[key];
  const metadata = metadataOf(repo, app, cluster, keys);
  const finalizers = Array.isArray(meta.finalizers) ? (meta.finalizers as string[]) : [];
  metadata.finalizers = keys.finalizer === false ? finalizers : [...new Set([...finalizers, FINALIZER])];
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata, spec: ordered };
}

/** Every AppProject an Application may name: the folders', `default` and gitops.yaml `externalProjects`. */
function projectsOf(repo: PlatformRepo): Set<string> {
  const names = new Set(['default', ...(repo.settings.externalProjects ?? [])]);
  for (const ns of repo.namespaces) {
    try {
      names.add(projectName(repo, ns));
    } catch (error) {
      // A broken naming.project is reported once for its folder already.
      if (!(error instanceof GitopsError)) throw error;
    }
  }
  return names;
}

/**
 * A full Application's own destination namespace and project must be ones
 * gitops-k8s keeps: its destination is replaced by the folder's namespace
 * (another one would silently move its workloads), and a project nothing
 * creates leaves Argo CD unable to sync it.
 */
function checkApplicationTargets(
  app: AppDefinition,
  ns: NamespaceFolder,
  rendered: Record<string, unknown>,
  keys: AppKeys,
  projects: Set<string>,
  report: (problem: Problem) => void,
): void {
  const yaml = app.yaml;
  const destination = (rendered.spec as Record<string, unknown>).destination;
  const namespace = isPlainObject(destination) ? destination.namespace : undefined;
  if (namespace !== undefined && namespace !== null && namespace !== ns.name) {
    const where = ['spec', 'destination', 'namespace'];
    const message =
      typeof namespace === 'string' && namespace !== ''
        ? `is ${JSON.stringify(namespace)}, but this file is in apps/${ns.name}/, whose apps deploy to namespace ${ns.name}; move it to apps/${namespace}/ (or write namespace: ${ns.name}, or leave it out)`
        : `is ${JSON.stringify(namespace)}; apps in apps/${ns.name}/ deploy to namespace ${ns.name}: write that, or leave it out`;
    report({ code: 'GK_INVALID_VALUE', file: app.source, line: yaml?.lineOf(where), field: fieldOf(where), message });
  }
  const own = app.keys.project;
  if (own !== undefined && keys.project !== undefined && !projects.has(keys.project)) {
    const where = ['spec', 'project'];
    const known = [...projects].sort();
    report({
      code: 'GK_INVALID_VALUE',
      file: app.source,
      line: yaml?.lineOf(where),
      field: fieldOf(where),
      message: `AppProject ${JSON.stringify(keys.project)} is made by nothing here${didYouMean(keys.project, known)}; known: ${known.join(', ')} (a project created outside this repo goes in externalProjects of gitops.yaml)`,
    });
  }
}

/** Problems in cluster or namespace filters given on the command line or by the CMP. */
export function checkFilters(repo: PlatformRepo, filters: { clusters?: string[]; namespaces?: string[] }): void {
  const problems: Problem[] = [];
  const clusters = repo.clusters.map((c) => c.name);
  for (const name of filters.clusters ?? []) {
    if (!clusters.includes(name))
      problems.push({
        code: 'GK_UNKNOWN_CLUSTER',
        field: 'cluster',
        message: `unknown cluster ${JSON.stringify(name)}${didYouMean(name, clusters)}; known: ${clusters.join(', ')}`,
      });
  }
  const namespaces = repo.namespaces.map((n) => n.name);
  for (const name of filters.namespaces ?? []) {
    if (!namespaces.includes(name))
      problems.push({ code: 'GK_NOT_FOUND', field: 'namespace', message: `no namespace folder apps/${name}${didYouMean(name, namespaces)}` });
  }
  if (problems.length > 0) throw new GitopsError(problems);
}
