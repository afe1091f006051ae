import { GitopsError, type Problem, ProblemCollector } from '../errors.js';
import type { PlatformRepo, Provider, Settings } from '../model.js';
import type { ParseCache } from '../yaml/parse-cache.js';
import type { YamlLimits } from '../yaml/parse-yaml.js';
import type { RepoFiles } from '../../sources/repo-files.js';
import { checkRollout } from '../render/rollout.js';
import { computeSyncWaves } from '../render/sync-waves.js';
import { checkValueFiles } from './check-app-folder.js';
import { checkPaths } from './check-paths.js';
import { checkReferences, checkSelector, type Referable } from './check-references.js';
import { collectEnvironments, readEnvironmentFiles, referableEnvironments } from './environments.js';
import { checkEmptySelections } from './explain-empty-selection.js';
import type { LayerNames } from './read-app-folder.js';
import { readClusters } from './read-clusters.js';
import { readAppsFolder, type ReadApps } from './read-namespace-folder.js';
import { readProviders } from './read-providers.js';
import { readSettings } from './read-settings.js';
import { createRepoReader, type RepoReader } from './repo-reader.js';

/** Options of {@link loadPlatformRepo}. */
export interface LoadOptions {
  /** The platform repo's own URL, when gitops.yaml does not give it (CMP, server). */
  repoURL?: string;
  /** The platform repo's revision, when gitops.yaml does not give it. */
  targetRevision?: string;
  /** The Argo CD namespace, when gitops.yaml does not give it. */
  argocdNamespace?: string;
  /** Per-file limits. */
  limits?: YamlLimits;
  /** Most YAML files read from one repo. Default 20,000. */
  maxFiles?: number;
  /** Parses kept from earlier loads, used for files whose RepoFiles gives a content id (git blobs). */
  parseCache?: ParseCache;
}

/**
 * Reads and validates a whole platform repo. Every problem in every file is
 * collected and thrown once as a {@link GitopsError}; nothing is returned
 * from a repo with a problem, so a broken definition can never make the
 * output shorter.
 */
export function loadPlatformRepo(repo: RepoFiles, options: LoadOptions = {}): PlatformRepo {
  const { platform, problems } = inspectPlatformRepo(repo, options);
  if (problems.length > 0) throw new GitopsError(problems);
  return platform;
}

/**
 * Reads a platform repo and returns every problem with the part of the model
 * that is sound (apps, clusters or files with a problem left out). Only `lint`
 * uses the partial model, to report render problems in the same pass; never
 * render output from it.
 */
export function inspectPlatformRepo(repo: RepoFiles, options: LoadOptions = {}): { platform: PlatformRepo; problems: Problem[] } {
  const problems = new ProblemCollector();
  const reader = createRepoReader(repo, problems, options);
  const settings = readSettings(reader, options);
  const providers = readProviders(reader);
  const environmentFiles = readEnvironmentFiles(reader);
  const clusters = readClusters(reader, providers);
  const environments = collectEnvironments(environmentFiles.environments, clusters.clusters, providers.providers.keys(), problems);
  const referable: Referable = {
    providers: withBrokenProviders(providers.providers, providers.broken),
    clusters: new Set([...clusters.clusters.map((c) => c.name), ...clusters.broken]),
    environments: referableEnvironments(environments, environmentFiles.broken),
  };
  checkSettingsReferences(reader, settings, clusters.clusters, referable);
  const layers: LayerNames = {
    providers: providers.providers,
    clusters: new Set(clusters.clusters.map((c) => c.name)),
    environments,
    referable,
    clustersFolder: !clusters.implicit,
  };
  const apps = readAppsFolder(reader, layers);
  checkApps(reader, apps, referable);
  const platform: Omit<PlatformRepo, 'waves'> = {
    label: repo.label,
    settings,
    providers: providers.providers,
    environments,
    clusters: clusters.clusters,
    namespaces: apps.namespaces,
    implicitCluster: clusters.implicit,
  };
  // With a cluster file broken, what a selector would match is not known (that file's problem is reported).
  if (clusters.broken.size === 0) checkEmptySelections(platform, problems.problems);
  const waves = computeAppWaves(apps, settings, problems);
  if (problems.size === 0 && apps.namespaces.every((ns) => ns.apps.length === 0)) {
    problems.push({ code: 'GK_NO_APPS', file: 'apps', message: 'defines no apps; refusing to produce an empty list (Argo CD would prune every app)' });
  }
  return { platform: { ...platform, waves }, problems: problems.problems };
}

/** The providers a reference may name: those read and those whose file is broken. */
function withBrokenProviders(providers: Map<string, Provider>, broken: Set<string>): Map<string, Provider> {
  const referable = new Map(providers);
  for (const name of broken) if (!referable.has(name)) referable.set(name, { name, values: {}, builtIn: false });
  return referable;
}

/** The names gitops.yaml's defaults and rollout use must exist, and its default paths be folders. */
function checkSettingsReferences(reader: RepoReader, settings: Settings, clusters: PlatformRepo['clusters'], referable: Referable): void {
  const { problems } = reader;
  const yaml = settings.yaml;
  if (yaml) checkSelector(settings.defaults.clusters, yaml, ['defaults', 'clusters'], referable, problems);
  if (yaml && settings.rollout) {
    checkRollout(settings.rollout, yaml, clusters, (selector, at) => checkSelector(selector, yaml, at, referable, problems), problems.problems);
  }
  checkPaths(reader.repo, settings.defaults, yaml, ['defaults'], problems);
}

/** What each app names must exist; its paths and value files must be there. */
function checkApps(reader: RepoReader, apps: ReadApps, referable: Referable): void {
  const { repo, problems } = reader;
  for (const app of apps.namespaces.flatMap((ns) => ns.apps)) {
    checkReferences(app, referable, problems);
    if (app.kind === 'spec') checkPaths(repo, app.keys, app.yaml, [], problems);
    // Apps with a folder of their own had theirs checked with the folder's files.
    if (app.kind === 'spec' && app.dir === undefined) problems.push(...checkValueFiles(app, (p) => problems.capture(() => repo.kind(p))));
  }
}

function computeAppWaves(apps: ReadApps, settings: Settings, problems: ProblemCollector): Map<string, number> {
  const namespaceOf = new Map(apps.namespaces.map((ns) => [ns.name, ns]));
  return computeSyncWaves(
    apps.namespaces.flatMap((ns) => ns.apps),
    problems.problems,
    {
      broken: apps.broken,
      baseWave: (app) => app.keys.syncWave ?? namespaceOf.get(app.namespace)?.defaults.syncWave ?? settings.defaults.syncWave ?? 0,
    },
  );
}
