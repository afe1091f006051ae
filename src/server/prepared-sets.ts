import { createError, GitopsError } from '../errors.js';
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
interface ClusterSets {
  names: string[];
  /** The app file of each set, for messages. */
  sources: string[];
  /** Every set followed by a comma; set i is `buffer.subarray(start[i], end[i])`. */
  buffer: Buffer;
  start: Uint32Array;
  end: Uint32Array;
  namespaceOf: Uint16Array;
  /** Application label `key\0value` -> the sets carrying it, ascending. */
  labelIndex: Map<string, Uint32Array>;
  bytes: number;
}

/**
 * One loaded commit as the generator keeps it. Applications are rendered
 * and serialized a cluster at a time: the clusters a reply asks for at once,
 * the others right after, a cluster per event-loop turn. So a call for one
 * cluster after a new commit waits for that cluster only, and the rendered
 * objects of a cluster are garbage as soon as its sets are serialized. Once
 * every cluster is serialized the loaded repo itself is let go.
 */
export interface PreparedSets {
  clusters: PreparedCluster[];
  namespaces: string[];
  /** Renders and serializes the sets of these clusters now, if not done yet; throws what rendering them found. */
  ensure(clusters: Iterable<number>): void;
  /** Settles once every cluster is rendered (or failed) and the repo let go. */
  complete: Promise<void>;
  /** Bytes held, for the LRU (an estimate until `complete`). */
  readonly bytes: number;
  /** @internal the serialized sets of each cluster, once ensured. */
  readonly perCluster: readonly (ClusterSets | undefined)[];
}

/** Sets chosen by a selection, in reply order: cluster and index of each. */
export interface SelectedSets {
  cluster: Uint16Array;
  index: Uint32Array;
  length: number;
}

const COMMA = Buffer.from(',');
const PREFIX = Buffer.from('{"output":{"parameters":[');
const SUFFIX = Buffer.from(']}}');
// Per set, before the cluster is serialized: what the LRU is told meanwhile.
const ESTIMATED_SET_BYTES = 2048;

function serializeCluster(repo: PlatformRepo, c: number, pathPrefix: string, render: RenderOptions, namespaceIndex: Map<string, number>): ClusterSets {
  // The same renderer as `render`, over a view of the repo with this cluster alone.
  const apps = renderApplications({ ...repo, clusters: [repo.clusters[c]!] }, render);
  const count = apps.length;
  const names: string[] = new Array(count);
  const sources: string[] = new Array(count);
  const jsons: string[] = new Array(count);
  const namespaceOf = new Uint16Array(count);
  const labelSets = new Map<string, number[]>();
  let total = 0;
  for (let i = 0; i < count; i++) {
    const r = apps[i]!;
    names[i] = r.application.metadata.name;
    sources[i] = r.app.source;
    namespaceOf[i] = namespaceIndex.get(r.namespace.name) ?? 0;
    for (const [k, v] of Object.entries(r.application.metadata.labels ?? {})) {
      const key = `${k}\0${v}`;
      const list = labelSets.get(key);
      if (list) list.push(i);
      else labelSets.set(key, [i]);
    }
    const json = JSON.stringify(parameterSetOf(r, pathPrefix));
    jsons[i] = json;
    total += Buffer.byteLength(json) + 1;
  }
  const buffer = Buffer.allocUnsafeSlow(total);
  const start = new Uint32Array(count);
  const end = new Uint32Array(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    start[i] = at;
    at += buffer.write(jsons[i]!, at, 'utf8');
    end[i] = at;
    buffer[at++] = 0x2c;
  }
  let bytes = total + count * 40 + 1024;
  const labelIndex = new Map<string, Uint32Array>();
  for (const [key, list] of labelSets) {
    labelIndex.set(key, Uint32Array.from(list));
    bytes += key.length * 2 + list.length * 4 + 64;
  }
  return { names, sources, buffer, start, end, namespaceOf, labelIndex, bytes };
}

/**
 * Prepares the parameter sets of a loaded repo: nothing is rendered yet;
 * `ensure` renders the clusters a reply needs, and the rest follow in the
 * background (all at once with `eager`).
 */
export function prepareSets(loaded: PlatformRepo, pathPrefix: string, options: { render?: RenderOptions; eager?: boolean } = {}): PreparedSets {
  let repo: PlatformRepo | undefined = loaded;
  const render = options.render ?? {};
  const clusters: PreparedCluster[] = loaded.clusters.map((c) => ({
    name: c.name,
    ...(c.destinationName ? { destinationName: c.destinationName } : {}),
    ...(c.server ? { server: c.server } : {}),
    labels: { ...c.labels },
  }));
  if (clusters.length > 0xffff) throw createError('GK_CONFIG', `${clusters.length} clusters are more than the generator can index`);
  const namespaces = loaded.namespaces.map((n) => n.name);
  const namespaceIndex = new Map(namespaces.map((n, i) => [n, i]));
  const perCluster: (ClusterSets | undefined)[] = clusters.map(() => undefined);
  const failures: unknown[] = clusters.map(() => undefined);
  let remaining = clusters.length;
  let held = 0;
  // Found once every cluster is rendered: a name made for two clusters fails every later call.
  let collision: GitopsError | undefined;
  let settle!: () => void;
  const complete = new Promise<void>((resolve) => (settle = resolve));
  const estimate = loaded.namespaces.reduce((n, ns) => n + ns.apps.length, 0) * ESTIMATED_SET_BYTES;

  const finish = (): void => {
    repo = undefined;
    collision = collisionOf(perCluster, clusters);
    settle();
  };

  const run = (c: number): void => {
    if (perCluster[c] || failures[c] !== undefined || !repo) return;
    try {
      const sets = serializeCluster(repo, c, pathPrefix, render, namespaceIndex);
      perCluster[c] = sets;
      held += sets.bytes;
    } catch (error) {
      // Kept: the next reply that needs this cluster fails with it (a non-2xx).
      failures[c] = error ?? new Error('rendering failed');
    }
    if (--remaining === 0) finish();
  };

  const ensure = (wanted: Iterable<number>): void => {
    const list = [...wanted];
    for (const c of list) run(c);
    for (const c of list) if (failures[c] !== undefined) throw failures[c];
    if (collision) throw collision;
  };

  if (clusters.length === 0) finish();
  else if (options.eager) for (let c = 0; c < clusters.length; c++) run(c);
  else {
    let next = 0;
    const step = (): void => {
      while (next < clusters.length && (perCluster[next] || failures[next] !== undefined)) next++;
      if (next >= clusters.length) return;
      run(next);
      setImmediate(step);
    };
    setImmediate(step);
  }

  return {
    clusters,
    namespaces,
    ensure,
    complete,
    get bytes() {
      return remaining === 0 ? held : Math.max(held, estimate);
    },
    perCluster,
  };
}

/** The first Application name two clusters both generate, as the error `render` would give. */
function collisionOf(perCluster: readonly (ClusterSets | undefined)[], clusters: readonly PreparedCluster[]): GitopsError | undefined {
  const seen = new Map<string, number>();
  for (let c = 0; c < perCluster.length; c++) {
    const sets = perCluster[c];
    if (!sets) continue;
    for (let i = 0; i < sets.names.length; i++) {
      const name = sets.names[i]!;
      const other = seen.get(name);
      if (other === undefined) {
        seen.set(name, c);
        continue;
      }
      const first = perCluster[other]!;
      const source = first.sources[first.names.indexOf(name)];
      return new GitopsError([
        {
          code: 'GK_NAME_COLLISION',
          file: sets.sources[i],
          message: `Application name ${JSON.stringify(name)} (cluster ${clusters[c]!.name}) is also generated by ${source} (cluster ${clusters[other]!.name}); rename one app or change naming.application in gitops.yaml`,
        },
      ]);
    }
  }
  return undefined;
}

/** The cluster names a request's `cluster`/`clusters` mean: a file name, an Argo CD `name:` or a `server` URL. */
export function clusterNamesOf(wanted: string[], clusters: readonly PreparedCluster[]): string[] {
  return wanted.map((w) => {
    const c = clusters.find((k) => k.name === w) ?? clusters.find((k) => k.destinationName === w || k.server === w);
    return c?.name ?? w;
  });
}

/**
 * The sets a selection keeps, in `render`'s order (by Application name):
 * the same rules and errors as `selectOutput` (unknown clusters or
 * namespaces, and an empty selection, are errors, never an empty list).
 * Renders the clusters it needs that are not rendered yet.
 */
export function selectSets(prepared: PreparedSets, filters: Filters): SelectedSets {
  // checkFilters reads only the names; the full model is not kept.
  const names = { clusters: prepared.clusters.map((c) => ({ name: c.name })), namespaces: prepared.namespaces.map((name) => ({ name })) };
  checkFilters(names as unknown as PlatformRepo, filters);
  const wanted: number[] = [];
  prepared.clusters.forEach((c, i) => {
    if ((!filters.clusters?.length || filters.clusters.includes(c.name)) && Object.entries(filters.clusterLabels ?? {}).every(([k, v]) => c.labels[k] === v)) wanted.push(i);
  });
  prepared.ensure(wanted);
  const namespaceOk = prepared.namespaces.map((n) => !filters.namespaces?.length || filters.namespaces.includes(n));
  const labels = Object.entries(filters.labels ?? {});
  const picked: { c: number; i: number; name: string }[] = [];
  for (const c of wanted) {
    const sets = prepared.perCluster[c]!;
    // Sets carrying every wanted label: counted through the inverted index.
    let hits: Uint8Array | undefined;
    if (labels.length > 0) {
      hits = new Uint8Array(sets.names.length);
      for (const [k, v] of labels) for (const i of sets.labelIndex.get(`${k}\0${v}`) ?? []) hits[i]!++;
    }
    for (let i = 0; i < sets.names.length; i++) {
      if (namespaceOk[sets.namespaceOf[i]!] && (!hits || hits[i] === labels.length)) picked.push({ c, i, name: sets.names[i]! });
    }
  }
  if (picked.length === 0) {
    throw createError('GK_NO_APPS', 'the selection matches no Application; refusing to answer with an empty list (Argo CD would prune every app)');
  }
  // Each cluster's sets are already in name order; across clusters they interleave as render sorts them.
  if (wanted.length > 1) picked.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let k = 1; k < picked.length; k++) {
    if (picked[k]!.name === picked[k - 1]!.name) {
      const [a, b] = [picked[k - 1]!, picked[k]!];
      throw new GitopsError([
        {
          code: 'GK_NAME_COLLISION',
          file: prepared.perCluster[b.c]!.sources[b.i],
          message: `Application name ${JSON.stringify(b.name)} (cluster ${prepared.clusters[b.c]!.name}) is also generated by ${prepared.perCluster[a.c]!.sources[a.i]} (cluster ${prepared.clusters[a.c]!.name}); rename one app or change naming.application in gitops.yaml`,
        },
      ]);
    }
  }
  const selected: SelectedSets = { cluster: new Uint16Array(picked.length), index: new Uint32Array(picked.length), length: picked.length };
  picked.forEach((p, k) => {
    selected.cluster[k] = p.c;
    selected.index[k] = p.i;
  });
  return selected;
}

/**
 * The reply body of some sets, as parts to concatenate: runs of sets next to
 * each other in a cluster's buffer are one slice (no copy, no
 * re-serializing). The concatenation is byte for byte
 * `JSON.stringify({output: {parameters}})`.
 */
export function replyParts(prepared: PreparedSets, selected: SelectedSets): Buffer[] {
  const parts: Buffer[] = [PREFIX];
  let runCluster = -1;
  let runStart = -1;
  let previous = -1;
  const flush = (): void => {
    if (runStart < 0) return;
    if (parts.length > 1) parts.push(COMMA);
    const sets = prepared.perCluster[runCluster]!;
    parts.push(sets.buffer.subarray(sets.start[runStart]!, sets.end[previous]!));
  };
  for (let k = 0; k < selected.length; k++) {
    const c = selected.cluster[k]!;
    const i = selected.index[k]!;
    if (c === runCluster && i === previous + 1) {
      previous = i;
      continue;
    }
    flush();
    runCluster = c;
    runStart = i;
    previous = i;
  }
  flush();
  parts.push(SUFFIX);
  return parts;
}
