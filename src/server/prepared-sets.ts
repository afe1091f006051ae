import { LRUCache } from 'lru-cache';
import { createError, GitopsError, type Problem } from '../errors.js';
import { checkFilters, renderApplications, type RenderOptions } from '../render-applications.js';
import type { Filters } from '../render-platform.js';
import type { PlatformRepo } from '../model.js';
import { parameterSetOf } from './parameters.js';

/** What cluster selection needs of a cluster: how callers may name it, and its labels. */
export interface PreparedCluster {
  name: string;
  destinationName?: string;
  server?: string;
  labels: Record<string, string>;
}

/** The parameter sets of one cluster, serialized, sorted by Application name as `render` sorts them. */
export interface ClusterSets {
  names: string[];
  /** The app file of each set, for messages. */
  sources: string[];
  /**
   * Every set's JSON followed by a comma, in chunks: set i is
   * `chunks[chunkOf[i]].subarray(start[i], end[i])`, so sets next to each
   * other in a chunk are one slice.
   */
  chunks: Buffer[];
  chunkOf: Uint16Array;
  start: Uint32Array;
  end: Uint32Array;
  namespaceOf: Uint16Array;
  /** Application label `key\0value` -> the sets carrying it, ascending. */
  labelIndex: Map<string, Uint32Array>;
  bytes: number;
}

/**
 * One loaded commit as the generator keeps it: the loaded repo, and the
 * serialized parameter sets of the clusters asked for lately. A cluster is
 * rendered when a reply first needs it, and again if its sets were evicted,
 * so memory stays bounded whatever the size of the repo: a call for one
 * cluster after a new commit waits for that cluster only.
 */
export interface PreparedSets {
  clusters: PreparedCluster[];
  namespaces: string[];
  /** The sets of cluster `c`; throws what rendering it found (kept: the same commit fails the same way). */
  setsOf(c: number): ClusterSets;
  /** Bytes held, for the LRU: the loaded repo (estimated) and the kept sets. */
  readonly bytes: number;
}

/** Options of {@link prepareSets}. */
export interface PrepareOptions {
  /** Options of the renderer (path prefix). */
  render?: RenderOptions;
  /** Memory for kept serialized sets, in bytes. Default 32 MiB (about eight clusters of 2,000 apps); the generator gives a sixteenth of its cache. */
  keepBytes?: number;
  /** The loaded repo's own size, as the LRU should count it. */
  repoBytes?: number;
}

const COMMA = Buffer.from(',');
const CHUNK_BYTES = 1024 * 1024;
const PREFIX = Buffer.from('{"output":{"parameters":[');
const SUFFIX = Buffer.from(']}}');

function serializeCluster(repo: PlatformRepo, c: number, pathPrefix: string, render: RenderOptions, namespaceIndex: Map<string, number>): ClusterSets {
  const cluster = repo.clusters[c]!;
  // The renderer `render` uses, over a view of the repo with this cluster and
  // one namespace folder at a time: the rendered objects of a folder are
  // young garbage once serialized, instead of a cluster's worth reaching the
  // old generation. Problems of every folder are gathered and thrown once.
  const problems: Problem[] = [];
  // Each set's JSON goes straight into chunks, so the strings die young instead of reaching the old generation.
  const rows: { name: string; source: string; namespace: number; labels: Record<string, string>; chunk: number; at: number; length: number }[] = [];
  const chunks: Buffer[] = [];
  let chunk = Buffer.allocUnsafeSlow(0);
  let at = 0;
  const trim = (): void => {
    // The last chunk is copied to its size, so an unused tail is not kept.
    if (chunks.length > 0 && at < chunk.length) chunks[chunks.length - 1] = Buffer.from(chunk.subarray(0, at));
  };
  const place = (json: string): { chunk: number; at: number; length: number } => {
    // UTF-8 takes at most three bytes per UTF-16 unit; one more for the comma.
    if (at + json.length * 3 + 1 > chunk.length) {
      trim();
      chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, json.length * 3 + 1));
      chunks.push(chunk);
      at = 0;
    }
    const placed = { chunk: chunks.length - 1, at, length: chunk.write(json, at) };
    at += placed.length;
    chunk[at++] = 0x2c;
    return placed;
  };
  for (const ns of repo.namespaces) {
    let apps;
    try {
      apps = renderApplications({ ...repo, clusters: [cluster], namespaces: [ns] }, render);
    } catch (error) {
      if (!(error instanceof GitopsError)) throw error;
      problems.push(...error.problems);
      continue;
    }
    for (const r of apps) {
      rows.push({
        name: r.application.metadata.name,
        source: r.app.source,
        namespace: namespaceIndex.get(ns.name) ?? 0,
        labels: r.application.metadata.labels ?? {},
        ...place(JSON.stringify(parameterSetOf(r, pathPrefix))),
      });
    }
  }
  if (problems.length > 0) throw new GitopsError(problems);
  trim();
  if (chunks.length > 0xffff) throw createError('GK_CONFIG', 'the parameter sets of one cluster are too large to index');
  rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < rows.length; i++) {
    if (rows[i]!.name === rows[i - 1]!.name) throw collision(rows[i]!.name, rows[i]!.source, rows[i - 1]!.source, cluster.name, cluster.name);
  }
  const count = rows.length;
  const namespaceOf = new Uint16Array(count);
  const chunkOf = new Uint16Array(count);
  const start = new Uint32Array(count);
  const end = new Uint32Array(count);
  const labelSets = new Map<string, number[]>();
  let bytes = 1024 + chunks.reduce((n, c) => n + c.length, 0);
  rows.forEach((row, i) => {
    namespaceOf[i] = row.namespace;
    chunkOf[i] = row.chunk;
    start[i] = row.at;
    end[i] = row.at + row.length;
    bytes += 64;
    for (const [k, v] of Object.entries(row.labels)) {
      const key = `${k}\0${v}`;
      const list = labelSets.get(key);
      if (list) list.push(i);
      else labelSets.set(key, [i]);
    }
  });
  const labelIndex = new Map<string, Uint32Array>();
  for (const [key, list] of labelSets) {
    labelIndex.set(key, Uint32Array.from(list));
    bytes += key.length * 2 + list.length * 4 + 64;
  }
  return { names: rows.map((r) => r.name), sources: rows.map((r) => r.source), chunks, chunkOf, start, end, namespaceOf, labelIndex, bytes };
}

function collision(name: string, file: string, other: string, cluster: string, otherCluster: string): GitopsError {
  return new GitopsError([
    {
      code: 'GK_NAME_COLLISION',
      file,
      message: `Application name ${JSON.stringify(name)} (cluster ${cluster}) is also generated by ${other} (cluster ${otherCluster}); rename one app or change naming.application in gitops.yaml`,
    },
  ]);
}

/** Prepares the parameter sets of a loaded repo; nothing is rendered until a reply needs it. */
export function prepareSets(repo: PlatformRepo, pathPrefix: string, options: PrepareOptions = {}): PreparedSets {
  const render = options.render ?? {};
  const clusters: PreparedCluster[] = repo.clusters.map((c) => ({
    name: c.name,
    ...(c.destinationName ? { destinationName: c.destinationName } : {}),
    ...(c.server ? { server: c.server } : {}),
    labels: { ...c.labels },
  }));
  const namespaces = repo.namespaces.map((n) => n.name);
  if (namespaces.length > 0xffff) throw createError('GK_CONFIG', `${namespaces.length} namespace folders are more than the generator can index`);
  const namespaceIndex = new Map(namespaces.map((n, i) => [n, i]));
  const kept = new LRUCache<number, ClusterSets>({ maxSize: options.keepBytes ?? 32 * 1024 * 1024, sizeCalculation: (s) => Math.max(1, s.bytes) });
  // A commit renders the same way every time: a failure is kept, not retried.
  const failures = new Map<number, unknown>();
  return {
    clusters,
    namespaces,
    setsOf(c) {
      const failure = failures.get(c);
      if (failure !== undefined) throw failure;
      let sets = kept.get(c);
      if (sets) return sets;
      try {
        sets = serializeCluster(repo, c, pathPrefix, render, namespaceIndex);
      } catch (error) {
        failures.set(c, error);
        throw error;
      }
      kept.set(c, sets);
      return sets;
    },
    get bytes() {
      return (options.repoBytes ?? 0) + kept.calculatedSize;
    },
  };
}

/** The cluster names a request's `cluster`/`clusters` mean: a file name, an Argo CD `name:` or a `server` URL. */
export function clusterNamesOf(wanted: string[], clusters: readonly PreparedCluster[]): string[] {
  return wanted.map((w) => {
    const c = clusters.find((k) => k.name === w) ?? clusters.find((k) => k.destinationName === w || k.server === w);
    return c?.name ?? w;
  });
}

/** Where reply bytes go as they are made; may return a promise to slow the producer down. */
export type ReplySink = (part: Buffer) => void | Promise<void>;

/**
 * Writes the reply of a selection to `sink`, cluster by cluster (clusters in
 * name order, each cluster's sets by Application name), rendering each
 * cluster when it comes and yielding to the event loop in between. The bytes
 * are `JSON.stringify({output: {parameters}})` of the selected sets. The same
 * rules and errors as `selectOutput` apply: unknown clusters or namespaces,
 * an empty selection and two sets with one name are errors, found before the
 * caller sends anything (it collects the reply first). Returns the set count.
 */
export async function writeReply(prepared: PreparedSets, filters: Filters, sink: ReplySink): Promise<number> {
  // checkFilters reads only the names; the full model is not needed.
  const names = { clusters: prepared.clusters.map((c) => ({ name: c.name })), namespaces: prepared.namespaces.map((name) => ({ name })) };
  checkFilters(names as unknown as PlatformRepo, filters);
  const wanted: number[] = [];
  prepared.clusters.forEach((c, i) => {
    if ((!filters.clusters?.length || filters.clusters.includes(c.name)) && Object.entries(filters.clusterLabels ?? {}).every(([k, v]) => c.labels[k] === v)) wanted.push(i);
  });
  const namespaceOk = prepared.namespaces.map((n) => !filters.namespaces?.length || filters.namespaces.includes(n));
  const labels = Object.entries(filters.labels ?? {});
  const seen = wanted.length > 1 ? new Map<string, { cluster: number; source: string }>() : undefined;
  let count = 0;
  const write = async (part: Buffer): Promise<void> => {
    const slowed = sink(part);
    if (slowed) await slowed;
  };
  await write(PREFIX);
  for (const c of wanted) {
    const sets = prepared.setsOf(c);
    // Sets carrying every wanted label: counted through the inverted index.
    let hits: Uint8Array | undefined;
    if (labels.length > 0) {
      hits = new Uint8Array(sets.names.length);
      for (const [k, v] of labels) for (const i of sets.labelIndex.get(`${k}\0${v}`) ?? []) hits[i]!++;
    }
    let runStart = -1;
    let previous = -1;
    const flush = async (): Promise<void> => {
      if (runStart < 0) return;
      if (count > 0) await write(COMMA);
      await write(sets.chunks[sets.chunkOf[runStart]!]!.subarray(sets.start[runStart]!, sets.end[previous]!));
      count += previous - runStart + 1;
      runStart = -1;
    };
    for (let i = 0; i < sets.names.length; i++) {
      if (!namespaceOk[sets.namespaceOf[i]!] || (hits && hits[i] !== labels.length)) continue;
      if (seen) {
        const name = sets.names[i]!;
        const other = seen.get(name);
        if (other) throw collision(name, sets.sources[i]!, other.source, prepared.clusters[c]!.name, prepared.clusters[other.cluster]!.name);
        seen.set(name, { cluster: c, source: sets.sources[i]! });
      }
      // A run goes on while the next set follows the previous one in the same chunk.
      if (runStart >= 0 && (sets.chunkOf[i] !== sets.chunkOf[previous] || sets.start[i] !== sets.end[previous]! + 1)) await flush();
      if (runStart < 0) runStart = i;
      previous = i;
    }
    await flush();
    // Other calls are answered between two clusters.
    if (wanted.length > 1) await new Promise((resolve) => setImmediate(resolve));
  }
  if (count === 0) {
    throw createError('GK_NO_APPS', 'the selection matches no Application; refusing to answer with an empty list (Argo CD would prune every app)');
  }
  await write(SUFFIX);
  return count;
}
