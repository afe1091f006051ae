import { createError, GitopsError, type Problem } from '../../core/errors.js';
import { checkFilters, renderApplications, type RenderedApp, type RenderOptions } from '../../core/render/render-applications.js';
import { nameCollisionProblem } from '../../core/render/name-collision.js';
import type { Filters } from '../../core/render/render-platform.js';
import type { PlatformRepo } from '../../core/model.js';
import { createRenderCache, type RenderCache } from '../../core/render/render-cache.js';
import type { ReplySink } from './reply.js';
import { parameterSetOf } from './parameters.js';

/** What cluster selection needs of a cluster: how callers may name it, and its labels. */
export interface PreparedCluster {
  name: string;
  destinationName?: string;
  server?: string;
  labels: Record<string, string>;
}

/**
 * One loaded commit as the generator keeps it: the loaded repo, ready to
 * render any part of it. A reply renders only the (cluster, namespace
 * folder) pairs it selects, one pair at a time, streaming each set to the
 * reply as it is made; nothing rendered is kept, so memory does not grow
 * with the size of the repo's output, and a call for one cluster after a new
 * commit waits for that cluster only. Replies themselves are cached gzipped.
 */
export interface PreparedSets {
  clusters: PreparedCluster[];
  namespaces: string[];
  /** The Applications of one cluster and namespace folder, in `render`'s order (by name); throws what rendering them found. */
  render(cluster: number, namespace: number): RenderedApp[];
  /** The path prefix the reply's `path` parameters carry. */
  pathPrefix: string;
}

/** Options of {@link prepareSets}. */
export interface PrepareOptions {
  /** Options of the renderer (path prefix). */
  render?: RenderOptions;
  /** Shared by the renders of every (cluster, namespace folder); the generator passes the one it keeps across commits. */
  cache?: RenderCache;
}

const PREFIX = '{"output":{"parameters":[';
const SUFFIX = ']}}';

/** Prepares a loaded repo for replies; nothing is rendered until a reply needs it. */
export function prepareSets(repo: PlatformRepo, pathPrefix: string, options: PrepareOptions = {}): PreparedSets {
  const renderOptions = options.render ?? {};
  const cache = options.cache ?? createRenderCache();
  const clusters: PreparedCluster[] = repo.clusters.map((c) => ({
    name: c.name,
    ...(c.destinationName ? { destinationName: c.destinationName } : {}),
    ...(c.server ? { server: c.server } : {}),
    labels: { ...c.labels },
  }));
  // A commit renders the same way every time: a failure is kept, so a broken commit is not rendered again on every call.
  const failures = new Map<number, unknown>();
  return {
    clusters,
    namespaces: repo.namespaces.map((n) => n.name),
    pathPrefix,
    render(c, n) {
      const key = c * repo.namespaces.length + n;
      const failure = failures.get(key);
      if (failure !== undefined) throw failure;
      try {
        // The renderer `render` uses, over a view of the repo with this cluster and folder alone.
        return renderApplications({ ...repo, clusters: [repo.clusters[c]!], namespaces: [repo.namespaces[n]!] }, renderOptions, cache);
      } catch (error) {
        failures.set(key, error);
        throw error;
      }
    },
  };
}

/**
 * The cluster names a request's `cluster`/`clusters` mean. A name selects
 * every cluster that answers to it: its file name, its Argo CD `name:` or
 * its `server` URL (a Matrix with Argo CD's `clusters` generator passes its
 * `{{.name}}` or `{{.server}}`). Several cluster files may answer to one name (two with
 * `name: hub`, or the in-cluster URL): all of them are selected, never just
 * the first, so a reply cannot silently leave one out. A name no cluster
 * answers to is kept as is, for the unknown-cluster error.
 */
export function clusterNamesOf(wanted: readonly string[], clusters: readonly PreparedCluster[]): string[] {
  return wanted.flatMap((w) => {
    const named = clusters.filter((k) => k.name === w || k.destinationName === w || k.server === w).map((k) => k.name);
    return named.length > 0 ? named : [w];
  });
}

/**
 * Writes the reply of a selection to `sink`: clusters in name order, in each
 * the namespace folders in name order, in each the Applications by name (as
 * `render` sorts them), rendering each (cluster, folder) pair as it comes
 * and yielding to the event loop between clusters. The bytes are
 * `JSON.stringify({output: {parameters}})` of the selected sets. The rules
 * of `selectOutput` apply: unknown clusters or namespaces, an empty
 * selection, a template error in a selected part and two sets with one name
 * are errors, with every problem found in the selected part; the caller
 * collects the reply before sending it, so an error never goes out as a
 * short list. Returns the set count.
 */
export async function writeReply(prepared: PreparedSets, filters: Filters, sink: ReplySink): Promise<number> {
  // checkFilters reads only the names; the full model is not needed.
  const names = { clusters: prepared.clusters.map((c) => ({ name: c.name })), namespaces: prepared.namespaces.map((name) => ({ name })) };
  checkFilters(names as unknown as PlatformRepo, filters);
  const wanted: number[] = [];
  prepared.clusters.forEach((c, i) => {
    if ((!filters.clusters?.length || filters.clusters.includes(c.name)) && Object.entries(filters.clusterLabels ?? {}).every(([k, v]) => c.labels[k] === v))
      wanted.push(i);
  });
  const folders: number[] = [];
  prepared.namespaces.forEach((n, i) => {
    if (!filters.namespaces?.length || filters.namespaces.includes(n)) folders.push(i);
  });
  const labels = Object.entries(filters.labels ?? {});
  const seen = new Map<string, { cluster: number; source: string }>();
  const problems: Problem[] = [];
  let count = 0;
  const write = async (text: string): Promise<void> => {
    const slowed = sink(text);
    if (slowed) await slowed;
  };
  await write(PREFIX);
  for (const c of wanted) {
    for (const n of folders) {
      let apps: RenderedApp[];
      try {
        apps = prepared.render(c, n);
      } catch (error) {
        if (!(error instanceof GitopsError)) throw error;
        problems.push(...error.problems);
        continue;
      }
      // After a problem the rest is still rendered, to report everything at once, but no longer written.
      if (problems.length > 0) continue;
      for (const r of apps) {
        const labelsOf = r.application.metadata.labels ?? {};
        if (labels.length > 0 && !labels.every(([k, v]) => labelsOf[k] === v)) continue;
        const name = r.application.metadata.name;
        const other = seen.get(name);
        if (other)
          throw new GitopsError([nameCollisionProblem(name, r.app.source, prepared.clusters[c]!.name, other.source, prepared.clusters[other.cluster]!.name)]);
        seen.set(name, { cluster: c, source: r.app.source });
        const json = JSON.stringify(parameterSetOf(r, prepared.pathPrefix));
        await write(count > 0 ? `,${json}` : json);
        count++;
      }
    }
    // Other calls are answered between two clusters.
    if (wanted.length > 1) await new Promise((resolve) => setImmediate(resolve));
  }
  if (problems.length > 0) throw new GitopsError(problems);
  if (count === 0) {
    throw createError('GK_NO_APPS', 'the selection matches no Application; refusing to answer with an empty list (Argo CD would prune every app)');
  }
  await write(SUFFIX);
  return count;
}
