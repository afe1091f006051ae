import path from 'node:path';
import { didYouMean } from '../did-you-mean.js';
import { createError, GitopsError, type Problem } from '../errors.js';
import { LayerMerger } from '../layering/layer-merger.js';
import { layersOf, staticLayers, type Layer, type LayerOrigin } from '../layering/layers.js';
import { isPlainObject, type FieldPath, type Trace } from '../layering/merge.js';
import { mergeTraced, whereSet } from '../layering/provenance.js';
import type { AppDefinition, AppKeys, Cluster, NamespaceFolder, PlatformRepo } from '../model.js';
import { fieldOf } from '../schema/validate.js';
import { renderString, renderTemplates, TemplateError, type TemplateCache, type TemplateContext } from '../template/template.js';
import { copyKeyFields, SPEC_PART } from './app-key-fields.js';
import { clusterContext, destinationOf, metadataOf, syncPolicyOf, unlayeredOf } from './application-parts.js';
import { FINALIZER } from '../argo-labels.js';
import { buildSource } from './build-source.js';
import { checkRenderedKeys } from './check-rendered-keys.js';
import { nameCollisionProblem } from './name-collision.js';
import { toDnsLabel } from './naming.js';
import { createRenderCache, type RenderCache } from './render-cache.js';
import type { RolloutPlacement } from './rollout.js';

export type { LayerOrigin } from '../layering/layers.js';

export type Application = {
  apiVersion: 'argoproj.io/v1alpha1';
  kind: 'Application';
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string>; finalizers: string[] };
  spec: Record<string, unknown>;
};

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
export function templateContext(
  cache: RenderCache,
  repo: PlatformRepo,
  ns: NamespaceFolder,
  app: AppDefinition,
  cluster: Cluster,
  vars: Record<string, unknown>,
): TemplateContext {
  return {
    cluster: clusterContext(cache.parts, cluster),
    provider: repo.providers.get(cluster.provider)!.values,
    namespace: ns.name,
    app: app.name,
    repo: { url: repo.settings.repoURL ?? '', revision: repo.settings.targetRevision },
    vars,
  };
}

/** The AppProject of a namespace folder: `project.name` of namespace.yaml, or `naming.project` of gitops.yaml, rendered with `templates`. */
export function projectName(repo: PlatformRepo, ns: NamespaceFolder, templates: TemplateCache): string {
  if (ns.project.name) return ns.project.name;
  // A function: a line number costs a positional parse of gitops.yaml, wanted only for a problem.
  const where = () => ({ file: repo.settings.yaml?.file ?? 'gitops.yaml', line: repo.settings.yaml?.lineOf(['naming', 'project']), field: 'naming.project' });
  let name: string;
  try {
    name = toDnsLabel(String(renderString(repo.settings.naming.project, { namespace: ns.name }, repo.settings.templateLimits, templates)));
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    throw createError('GK_TEMPLATE', `${error.message}; naming.project may use {{namespace}}`, where());
  }
  if (name === '') throw createError('GK_INVALID_NAME', `gives an empty AppProject name for namespace ${ns.name}`, where());
  return name;
}

/** One renderApplications call: what it renders with, what it has made and the problems it found. */
interface RenderRun {
  repo: PlatformRepo;
  options: RenderOptions;
  cache: RenderCache;
  merger: LayerMerger;
  out: RenderedApp[];
  names: Map<string, RenderedApp>;
  problems: Problem[];
  /** A template error in a file shared by many clusters is one problem naming them all. */
  templateProblems: Map<string, { problem: Problem; clusters: string[] }>;
  /** Keys of the problems reported once, whatever the number of clusters that meet them. */
  reported: Set<string>;
  /** Only a full Application that names its own project needs them all. */
  projects?: Set<string>;
}

function templateProblem(run: RenderRun, problem: Problem, cluster: string): void {
  const key = `${problem.file}:${problem.line}:${problem.field}:${problem.message}`;
  const seen = run.templateProblems.get(key);
  if (seen) seen.clusters.push(cluster);
  else run.templateProblems.set(key, { problem, clusters: [cluster] });
}

function reportOnce(run: RenderRun, problem: Problem): void {
  const key = `${problem.file}:${problem.line}:${problem.message}`;
  if (!run.reported.has(key)) {
    run.reported.add(key);
    run.problems.push(problem);
  }
}

/**
 * Every Application of a platform repo: one per (app, selected cluster),
 * sorted by name. Template errors and name collisions anywhere are collected
 * and thrown once; nothing partial is returned. `cache` is the render's, or
 * one its caller keeps across renders (see RenderCache).
 */
export function renderApplications(repo: PlatformRepo, options: RenderOptions = {}, cache: RenderCache = createRenderCache()): RenderedApp[] {
  const run: RenderRun = {
    repo,
    options,
    cache,
    merger: new LayerMerger(cache.layers),
    out: [],
    names: new Map(),
    problems: [],
    templateProblems: new Map(),
    reported: new Set(),
  };
  for (const ns of repo.namespaces) {
    let project: string;
    try {
      project = projectName(repo, ns, cache.templates);
    } catch (error) {
      if (!(error instanceof GitopsError)) throw error;
      for (const problem of error.problems) reportOnce(run, problem);
      project = ns.name;
    }
    for (const app of ns.apps) {
      if (options.only && options.only !== `${ns.name}/${app.name}`) continue;
      const fixed = staticLayers(cache.layers, repo, ns, app);
      const selector = app.keys.clusters ?? ns.defaults.clusters ?? repo.settings.defaults.clusters;
      for (const cluster of repo.clusters) {
        if (selectsCluster(selector, cluster)) renderOne(run, ns, app, cluster, project, layersOf(cache.layers, repo, app, cluster, fixed));
      }
    }
  }
  for (const { problem, clusters } of run.templateProblems.values()) {
    run.problems.push({ ...problem, message: `${problem.message} (${clusters.length === 1 ? 'cluster' : 'clusters'} ${clusters.join(', ')})` });
  }
  if (run.problems.length > 0) throw new GitopsError(run.problems);
  return run.out.sort((a, b) => (a.application.metadata.name < b.application.metadata.name ? -1 : 1));
}

/** The Application of one (app, cluster) from its layers, added to the run unless disabled or its name is taken. */
function renderOne(run: RenderRun, ns: NamespaceFolder, app: AppDefinition, cluster: Cluster, project: string, layers: Layer[]): void {
  const { repo, options, cache } = run;
  let templatable: AppKeys;
  let mergedVars: unknown;
  let trace: Trace<LayerOrigin> | undefined;
  if (options.trace) {
    let merged: unknown;
    ({ merged, trace } = mergeTraced(layers));
    ({ vars: mergedVars, ...templatable } = merged as AppKeys);
  } else {
    ({ rest: templatable, vars: mergedVars } = run.merger.merge(layers));
  }
  if (templatable.enabled === false) return;

  // Only on the error path without `trace`: the layers again, traced, to name the file that set a field.
  const originFile = (p: FieldPath) => whereSet(trace ?? mergeTraced(layers).trace, p, app.source);
  const vars = (mergedVars ?? {}) as Record<string, unknown>;
  const context = templateContext(cache, repo, ns, app, cluster, vars);
  const onTemplateError = (p: FieldPath, message: string): void => {
    templateProblem(run, { code: 'GK_TEMPLATE', field: fieldOf(p), ...originFile(p), message }, cluster.name);
  };
  const limits = repo.settings.templateLimits;
  const keys = { ...(renderTemplates(templatable, context, onTemplateError, [], limits, cache.templates) as AppKeys), vars };

  checkRenderedKeys(keys, templatable, (code, p, message) => reportOnce(run, { code, ...originFile(p), field: fieldOf(p), message }));
  let application: Application;
  if (app.kind === 'application') {
    const rendered = renderTemplates(
      unlayeredOf(cache.parts, app),
      context,
      (p, m) => templateProblem(run, { code: 'GK_TEMPLATE', file: app.source, line: app.yaml?.lineOf(p), field: fieldOf(p), message: m }, cluster.name),
      [],
      limits,
      cache.templates,
    ) as Record<string, unknown>;
    application = fromApplication(cache, repo, ns, app, cluster, rendered, keys, project);
    checkApplicationTargets(app, ns, rendered, keys, (run.projects ??= projectsOf(repo, cache.templates)), (problem) => reportOnce(run, problem));
  } else {
    // The app folder itself as the source (not a path or repository app.yaml points elsewhere).
    const ownFolder = app.plainFolder === true && keys.repoURL === undefined && keys.chart === undefined && path.posix.normalize(keys.path ?? '.') === app.dir;
    const source = buildSource(repo, keys, options.pathPrefix, ownFolder, (field, message) =>
      reportOnce(run, { code: 'GK_INVALID_VALUE', ...originFile([field]), field, message }),
    );
    application = fromKeys(cache, repo, ns, app, cluster, keys, source, project);
  }
  const name = applicationName(run, keys, context, ns, app, cluster);
  application.metadata.name = name;
  // The merged keys are kept only for explain: 40,000 of them are a lot of memory to carry.
  const rendered: RenderedApp = { application, app, namespace: ns, cluster, keys: options.trace ? keys : undefined, trace };
  const clash = run.names.get(name);
  if (clash) {
    run.problems.push(nameCollisionProblem(name, app.source, cluster.name, clash.app.source, clash.cluster.name));
    return;
  }
  run.names.set(name, rendered);
  run.out.push(rendered);
}

/** An app's own `name` (already templated with the other keys), or the repo-wide `naming.application` pattern. */
function applicationName(run: RenderRun, keys: AppKeys, context: TemplateContext, ns: NamespaceFolder, app: AppDefinition, cluster: Cluster): string {
  const { settings } = run.repo;
  // A function: finding the line is only worth it on the error path.
  const where = () => ({ file: settings.yaml?.file ?? 'gitops.yaml', line: settings.yaml?.lineOf(['naming', 'application']), field: 'naming.application' });
  try {
    const name = toDnsLabel(String(keys.name ?? renderString(settings.naming.application, context, settings.templateLimits, run.cache.templates)));
    if (name !== '') return name;
    reportOnce(run, { code: 'GK_INVALID_NAME', ...where(), message: 'gives an empty Application name' });
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    reportOnce(run, { code: 'GK_TEMPLATE', ...where(), message: error.message });
  }
  return `${ns.name}-${app.name}-${cluster.name}`;
}

function fromKeys(
  cache: RenderCache,
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
    destination: destinationOf(cache.parts, cluster, ns.name),
  };
  const syncPolicy = syncPolicyOf(cache.parts, ns, keys);
  if (syncPolicy) spec.syncPolicy = syncPolicy;
  copyKeyFields(spec, SPEC_PART, keys);
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: metadataOf(cache.parts, repo, app, cluster, keys), spec };
}

/**
 * A full Application keeps its spec as written, but for the destination (the
 * cluster's, in the folder's namespace) and the parts layered as app keys
 * (`keys`: syncPolicy, project, ignoreDifferences, info, labels, annotations).
 */
function fromApplication(
  cache: RenderCache,
  repo: PlatformRepo,
  ns: NamespaceFolder,
  app: AppDefinition,
  cluster: Cluster,
  written: Record<string, unknown>,
  keys: AppKeys,
  project: string,
): Application {
  const meta = isPlainObject(written.metadata) ? written.metadata : {};
  const spec: Record<string, unknown> = { ...(written.spec as Record<string, unknown>), destination: destinationOf(cache.parts, cluster, ns.name) };
  const syncPolicy = syncPolicyOf(cache.parts, ns, keys);
  if (syncPolicy) spec.syncPolicy = syncPolicy;
  copyKeyFields(spec, SPEC_PART, keys);
  // Without a project of its own it joins its folder's AppProject, like every other app there.
  const ordered: Record<string, unknown> = { project: keys.project ?? project };
  for (const key of ['source', 'sources', 'destination', 'syncPolicy', 'ignoreDifferences', 'info', 'revisionHistoryLimit']) {
    if (spec[key] !== undefined) ordered[key] = spec[key];
  }
  for (const key of Object.keys(spec).sort()) if (!(key in ordered)) ordered[key] = spec[key];
  const metadata = metadataOf(cache.parts, repo, app, cluster, keys);
  const finalizers = Array.isArray(meta.finalizers) ? (meta.finalizers as string[]) : [];
  metadata.finalizers = keys.finalizer === false ? finalizers : [...new Set([...finalizers, FINALIZER])];
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata, spec: ordered };
}

/** Every AppProject an Application may name: the folders', `default` and gitops.yaml `externalProjects`. */
function projectsOf(repo: PlatformRepo, templates: TemplateCache): Set<string> {
  const names = new Set(['default', ...(repo.settings.externalProjects ?? [])]);
  for (const ns of repo.namespaces) {
    try {
      names.add(projectName(repo, ns, templates));
    } catch (error) {
      // A broken naming.project is reported once for its folder already.
      if (!(error instanceof GitopsError)) throw error;
    }
  }
  return names;
}

const EXTERNAL = '(a project created outside this repo goes in externalProjects of gitops.yaml)';

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
        ? `is ${JSON.stringify(namespace)}, but this file is in apps/${ns.name}/, whose apps deploy to namespace ${ns.name}; ${moveTo(namespace, ns.name)}`
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
      message: `AppProject ${JSON.stringify(keys.project)} is made by nothing here${didYouMean(keys.project, known)}; known: ${known.join(', ')} ${EXTERNAL}`,
    });
  }
}

function moveTo(namespace: string, folder: string): string {
  return `move it to apps/${namespace}/ (or write namespace: ${folder}, or leave it out)`;
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
