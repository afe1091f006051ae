import { createError } from '../errors.js';
import { checkFilters } from '../render-applications.js';
import type { Filters, RenderedPlatform } from '../render-platform.js';
import type { PlatformRepo } from '../model.js';
import { parameterSetOf } from './parameters.js';

/** What cluster selection needs of a cluster: how callers may name it, and its labels. */
export interface PreparedCluster {
  name: string;
  destinationName?: string;
  server?: string;
  labels: Record<string, string>;
}

/**
 * One rendered commit as the generator keeps it: every parameter set
 * serialized once, plus the indexes selection needs. The rendered model
 * itself (and its long major GCs) is released once every set is serialized:
 * the clusters a reply asks for are serialized at once, the others right
 * after, a cluster per event-loop turn.
 */
export interface PreparedSets {
  count: number;
  clusters: PreparedCluster[];
  namespaces: string[];
  /** The serialized sets, packed in chunks; set i is `chunks[chunkOf[i]].subarray(start[i], end[i])`, and the byte at `end[i]` is a comma. */
  chunks: Buffer[];
  chunkOf: Uint16Array;
  start: Uint32Array;
  end: Uint32Array;
  /** Per set: index into `clusters` and `namespaces`. */
  clusterOf: Uint16Array;
  namespaceOf: Uint16Array;
  /** Application label `key\0value` -> the sets carrying it, ascending. */
  labelIndex: Map<string, Uint32Array>;
  /** Serializes the sets of these clusters now, if that has not happened yet. */
  ensure(clusters: Iterable<number>): void;
  /** Settles once every set is serialized and the model released. */
  complete: Promise<void>;
  /** Bytes held, for the LRU (an estimate until `complete`). */
  readonly bytes: number;
}

const CHUNK_BYTES = 4 * 1024 * 1024;
const encoder = new TextEncoder();
const COMMA = Buffer.from(',');
const PREFIX = Buffer.from('{"output":{"parameters":[');
const SUFFIX = Buffer.from(']}}');

/**
 * Indexes the parameter sets of a rendered platform for selection and
 * serializes each once: those of the clusters `ensure` names at once, the
 * rest in the background (all at once with `eager`).
 */
export function prepareSets(platform: RenderedPlatform, pathPrefix: string, options: { chunkBytes?: number; eager?: boolean } = {}): PreparedSets {
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  let apps: RenderedPlatform['apps'] | undefined = platform.apps;
  const count = apps.length;
  if (count >= 0xffffffff) throw createError('GK_CONFIG', `${count} Applications are more than the generator can index`);
  const clusters: PreparedCluster[] = platform.repo.clusters.map((c) => ({
    name: c.name,
    ...(c.destinationName ? { destinationName: c.destinationName } : {}),
    ...(c.server ? { server: c.server } : {}),
    labels: { ...c.labels },
  }));
  const namespaces = platform.repo.namespaces.map((n) => n.name);
  const clusterIndex = new Map(clusters.map((c, i) => [c.name, i]));
  const namespaceIndex = new Map(namespaces.map((n, i) => [n, i]));
  const chunks: Buffer[] = [];
  const chunkOf = new Uint16Array(count);
  const start = new Uint32Array(count);
  const end = new Uint32Array(count);
  const clusterOf = new Uint16Array(count);
  const namespaceOf = new Uint16Array(count);
  const labelSets = new Map<string, number[]>();
  const setsOf: number[][] = clusters.map(() => []);
  for (let i = 0; i < count; i++) {
    const r = apps[i]!;
    const c = clusterIndex.get(r.cluster.name) ?? 0;
    clusterOf[i] = c;
    setsOf[c]!.push(i);
    namespaceOf[i] = namespaceIndex.get(r.namespace.name) ?? 0;
    for (const [k, v] of Object.entries(r.application.metadata.labels ?? {})) {
      const key = `${k}\0${v}`;
      const list = labelSets.get(key);
      if (list) list.push(i);
      else labelSets.set(key, [i]);
    }
  }
  const labelIndex = new Map<string, Uint32Array>();
  let indexBytes = count * 24 + 64 * 1024;
  for (const [key, list] of labelSets) {
    labelIndex.set(key, Uint32Array.from(list));
    indexBytes += key.length * 2 + list.length * 4 + 64;
  }
  let chunkBytesHeld = 0;
  const done = new Uint8Array(clusters.length);
  let remaining = clusters.length;
  let failure: unknown;
  let settle!: () => void;
  const complete = new Promise<void>((resolve) => (settle = resolve));

  const serializeCluster = (c: number): void => {
    if (done[c] || !apps) return;
    done[c] = 1;
    let chunk = Buffer.allocUnsafe(0);
    let at = 0;
    const close = (): void => {
      // Copied to its size, so an unused tail is not kept.
      if (at > 0) chunks.push(Buffer.from(chunk.subarray(0, at)));
      chunkBytesHeld += at;
    };
    for (const i of setsOf[c]!) {
      const json = JSON.stringify(parameterSetOf(apps[i]!, pathPrefix));
      // One encoding pass straight into the chunk; when it does not fit, a new
      // chunk that surely does (UTF-8 takes at most 3 bytes per UTF-16 unit).
      let written = at < chunk.length ? encoder.encodeInto(json, chunk.subarray(at, chunk.length - 1)) : { read: -1, written: 0 };
      if (written.read !== json.length) {
        close();
        chunk = Buffer.allocUnsafe(Math.max(chunkBytes, json.length * 3 + 1));
        at = 0;
        written = encoder.encodeInto(json, chunk);
      }
      chunkOf[i] = chunks.length;
      start[i] = at;
      at += written.written;
      end[i] = at;
      chunk[at++] = 0x2c;
    }
    close();
    if (chunks.length > 0xffff) throw createError('GK_CONFIG', 'the serialized parameter sets are too large to index');
    if (--remaining === 0) {
      apps = undefined;
      settle();
    }
  };

  const ensure = (wanted: Iterable<number>): void => {
    if (failure) throw failure;
    try {
      for (const c of wanted) serializeCluster(c);
    } catch (error) {
      failure = error;
      apps = undefined;
      settle();
      throw error;
    }
  };

  if (options.eager || clusters.length === 0) ensure(clusters.keys());
  else {
    const step = (): void => {
      const next = done.indexOf(0);
      if (next < 0 || failure) return;
      try {
        ensure([next]);
      } catch {
        // Kept in `failure`: the next reply that needs these sets fails with it (a non-2xx).
        return;
      }
      setImmediate(step);
    };
    setImmediate(step);
  }

  return {
    count,
    clusters,
    namespaces,
    chunks,
    chunkOf,
    start,
    end,
    clusterOf,
    namespaceOf,
    labelIndex,
    ensure,
    complete,
    get bytes() {
      return indexBytes + (remaining === 0 ? chunkBytesHeld : Math.max(chunkBytesHeld, count * 2048));
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

/**
 * The sets a selection keeps, in render order: the same rules and errors as
 * `selectOutput` (unknown clusters or namespaces, and an empty selection,
 * are errors, never an empty list).
 */
export function selectSets(prepared: PreparedSets, filters: Filters): number[] {
  // checkFilters reads only the names; the full model is not kept.
  const names = { clusters: prepared.clusters.map((c) => ({ name: c.name })), namespaces: prepared.namespaces.map((name) => ({ name })) };
  checkFilters(names as unknown as PlatformRepo, filters);
  const clusterOk = prepared.clusters.map(
    (c) => (!filters.clusters?.length || filters.clusters.includes(c.name)) && Object.entries(filters.clusterLabels ?? {}).every(([k, v]) => c.labels[k] === v),
  );
  const namespaceOk = prepared.namespaces.map((n) => !filters.namespaces?.length || filters.namespaces.includes(n));
  // Sets carrying every wanted label: counted through the inverted index.
  const labels = Object.entries(filters.labels ?? {});
  let hits: Uint8Array | undefined;
  if (labels.length > 0) {
    hits = new Uint8Array(prepared.count);
    for (const [k, v] of labels) for (const i of prepared.labelIndex.get(`${k}\0${v}`) ?? []) hits[i]!++;
  }
  const selected: number[] = [];
  for (let i = 0; i < prepared.count; i++) {
    if (clusterOk[prepared.clusterOf[i]!] && namespaceOk[prepared.namespaceOf[i]!] && (!hits || hits[i] === labels.length)) selected.push(i);
  }
  if (selected.length === 0) {
    throw createError('GK_NO_APPS', 'the selection matches no Application; refusing to answer with an empty list (Argo CD would prune every app)');
  }
  return selected;
}

/**
 * The reply body of some sets, as parts to concatenate: runs of sets next to
 * each other in a chunk are one slice (no copy, no re-serializing). The
 * concatenation is byte for byte `JSON.stringify({output: {parameters}})`.
 */
export function replyParts(prepared: PreparedSets, selected: readonly number[]): Buffer[] {
  prepared.ensure(new Set(Array.from(selected, (i) => prepared.clusterOf[i]!)));
  const parts: Buffer[] = [PREFIX];
  let runStart = -1;
  let previous = -1;
  const flush = (): void => {
    if (runStart < 0) return;
    if (parts.length > 1) parts.push(COMMA);
    parts.push(prepared.chunks[prepared.chunkOf[runStart]!]!.subarray(prepared.start[runStart]!, prepared.end[previous]!));
  };
  for (const i of selected) {
    if (runStart >= 0 && i === previous + 1 && prepared.chunkOf[i] === prepared.chunkOf[previous]) {
      previous = i;
      continue;
    }
    flush();
    runStart = i;
    previous = i;
  }
  flush();
  parts.push(SUFFIX);
  return parts;
}
