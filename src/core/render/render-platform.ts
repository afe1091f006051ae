import { createError, GitopsError } from '../errors.js';
import { LABEL_PREFIX } from '../argo-labels.js';
import { isEmptyRecord } from '../is-empty-record.js';
import { inspectPlatformRepo, loadPlatformRepo, type LoadOptions } from '../load/load-platform-repo.js';
import type { PlatformRepo } from '../model.js';
import { checkFilters, renderApplications, type Application, type RenderedApp, type RenderOptions } from './render-applications.js';
import { createRenderCache, type RenderCache } from './render-cache.js';
import { renderProjects, type AppProject } from './render-projects.js';
import type { RepoFiles } from '../../sources/repo-files.js';
import { applyRollout, planRollout, type RolloutPlanStep } from './rollout.js';

/** Everything a platform repo generates. */
export interface RenderedPlatform {
  repo: PlatformRepo;
  projects: AppProject[];
  apps: RenderedApp[];
  /** The rollout plan (with `rollout` in gitops.yaml): each step's dependency waves and first sync wave. */
  rollout?: RolloutPlanStep[];
}

/** Narrows what is output; the whole repo is always validated. */
export interface Filters {
  clusters?: string[];
  namespaces?: string[];
  /** Cluster labels that must all match. */
  clusterLabels?: Record<string, string>;
  /** Application labels that must all match. */
  labels?: Record<string, string>;
}

/** Loads, validates and renders a platform repo. Throws once with every problem. */
export function renderPlatform(files: RepoFiles, options: LoadOptions & RenderOptions = {}): RenderedPlatform {
  const repo = loadPlatformRepo(files, options);
  return renderModel(repo, options);
}

/**
 * Checks a platform repo as `lint` does: every problem of loading and of
 * rendering in one pass. Where loading finds problems, the sound part of the
 * repo is still rendered so that template errors and name collisions show
 * too; then everything is thrown at once. Returns what renderPlatform would.
 */
export function lintPlatform(files: RepoFiles, options: LoadOptions & RenderOptions = {}): RenderedPlatform {
  const { platform: repo, problems } = inspectPlatformRepo(files, options);
  if (problems.length === 0) return renderModel(repo, options);
  try {
    renderModel(repo, options);
  } catch (error) {
    if (!(error instanceof GitopsError)) throw error;
    const seen = new Set(problems.map((p) => JSON.stringify(p)));
    for (const p of error.problems) if (!seen.has(JSON.stringify(p))) problems.push(p);
  }
  throw new GitopsError(problems);
}

/** Renders an already loaded repo (the server caches the model per commit, and passes the RenderCache it keeps). */
export function renderModel(repo: PlatformRepo, options: RenderOptions = {}, cache: RenderCache = createRenderCache()): RenderedPlatform {
  const apps = renderApplications(repo, options, cache);
  if (!repo.settings.rollout) return { repo, apps, projects: renderProjects(repo, apps, cache.templates) };
  // A step's waves depend on all its Applications: a partial render (explain) plans from a whole one.
  const rollout = planRollout(repo, options.only ? renderApplications(repo, { pathPrefix: options.pathPrefix }, cache) : apps);
  applyRollout(repo, apps, rollout);
  return { repo, apps, projects: renderProjects(repo, apps, cache.templates), rollout };
}

/**
 * The part of a rendered platform that filters select. Unknown clusters or
 * namespaces are errors, and so is a selection with no Application: an empty
 * answer would make Argo CD prune everything it had.
 */
export function selectOutput(platform: RenderedPlatform, filters: Filters = {}): { projects: AppProject[]; apps: RenderedApp[] } {
  checkFilters(platform.repo, filters);
  const unfiltered = !filters.clusters?.length && !filters.namespaces?.length && isEmptyRecord(filters.clusterLabels) && isEmptyRecord(filters.labels);
  // Without filters (the usual render) nothing is tested per Application.
  const apps = unfiltered
    ? platform.apps.slice()
    : platform.apps.filter(
        (r) =>
          (!filters.clusters?.length || filters.clusters.includes(r.cluster.name)) &&
          (!filters.namespaces?.length || filters.namespaces.includes(r.namespace.name)) &&
          Object.entries(filters.clusterLabels ?? {}).every(([k, v]) => r.cluster.labels[k] === v) &&
          Object.entries(filters.labels ?? {}).every(([k, v]) => r.application.metadata.labels[k] === v),
      );
  if (apps.length === 0) {
    throw createError('GK_NO_APPS', 'the selection matches no Application; refusing to answer with an empty list (Argo CD would prune every app)');
  }
  const used = new Set(apps.map((r) => r.namespace.name));
  const projects = platform.projects.filter((p) => used.has(p.metadata.labels[`${LABEL_PREFIX}namespace`]!));
  return { projects, apps };
}

/** The Kubernetes objects of a selection, AppProjects first, each sorted by name. */
export function objectsOf(selection: { projects: AppProject[]; apps: RenderedApp[] }): (AppProject | Application)[] {
  return [...selection.projects, ...selection.apps.map((r) => r.application)];
}
