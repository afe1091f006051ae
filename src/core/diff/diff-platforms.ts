import { LABEL_PREFIX } from '../argo-labels.js';
import { isPlainObject } from '../layering/merge.js';
import type { RenderedPlatform } from '../render/render-platform.js';

/** A Kubernetes object as gitops-k8s emits it (an Application or an AppProject). */
export interface DiffableObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/** What happened to an object or a field between base and head. */
export type ChangeKind = 'added' | 'removed' | 'changed';

/** One field that differs, by its path in the object (`spec.source.targetRevision`). */
export interface FieldChange {
  path: string;
  change: ChangeKind;
  /** The base value (absent when the field was added). */
  before?: unknown;
  /** The head value (absent when the field was removed). */
  after?: unknown;
}

/** One object added, removed or changed. */
export interface ObjectDiff {
  kind: string;
  name: string;
  change: ChangeKind;
  /** `namespace/app` and the cluster, from the gitops-k8s labels, when the object has them. */
  app?: string;
  cluster?: string;
  /** Field-level changes; empty for added and removed objects. */
  fields: FieldChange[];
  /** The head object (added, changed) or the base object (removed). */
  object: DiffableObject;
}

/** Objects per kind of change, for one object kind. */
export interface ObjectCounts {
  added: number;
  removed: number;
  changed: number;
  unchanged: number;
}

/** The difference between what two revisions of a platform repo generate. */
export interface PlatformDiff {
  /** Sorted by kind (AppProjects first), then name. */
  objects: ObjectDiff[];
  /** Per object kind (`Application`, `AppProject`). */
  counts: Record<string, ObjectCounts>;
  /** Field changes over every changed object, per kind of change. */
  fieldCounts: Record<ChangeKind, number>;
}

const KIND_ORDER = ['AppProject', 'Application'];

function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i === -1 ? KIND_ORDER.length : i;
}

const SIMPLE_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Appends a key to a dotted path, quoting keys such as label names that hold dots or slashes. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (SIMPLE_KEY.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

function isScalar(value: unknown): boolean {
  return value === null || typeof value !== 'object';
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => equal(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
  }
  return false;
}

/**
 * Field-level differences between two JSON values. Maps are compared key by
 * key; lists of scalars (syncOptions, finalizers, sourceRepos) change as a
 * whole, which reads better than index shuffles; lists of maps of the same
 * length are compared item by item.
 */
export function diffValues(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (equal(before, after)) return [];
  if (isPlainObject(before) && isPlainObject(after)) {
    const changes: FieldChange[] = [];
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) {
      const p = joinPath(path, key);
      if (!Object.hasOwn(after, key)) changes.push({ path: p, change: 'removed', before: before[key] });
      else if (!Object.hasOwn(before, key)) changes.push({ path: p, change: 'added', after: after[key] });
      else changes.push(...diffValues(before[key], after[key], p));
    }
    return changes;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length && !before.every(isScalar) && !after.every(isScalar)) {
    return before.flatMap((item, i) => diffValues(item, after[i], joinPath(path, i)));
  }
  return [{ path: path === '' ? '(root)' : path, change: 'changed', before, after }];
}

function keyOf(o: DiffableObject): string {
  return `${o.kind}/${o.metadata.name}`;
}

function describe(o: DiffableObject): { app?: string; cluster?: string } {
  const labels = o.metadata.labels ?? {};
  const ns = labels[`${LABEL_PREFIX}namespace`];
  const app = labels[`${LABEL_PREFIX}app`];
  const cluster = labels[`${LABEL_PREFIX}cluster`];
  return {
    ...(ns !== undefined && app !== undefined ? { app: `${ns}/${app}` } : {}),
    ...(cluster !== undefined ? { cluster } : {}),
  };
}

/** Compares two sets of generated objects, matched by kind and name. */
export function diffObjects(base: readonly DiffableObject[], head: readonly DiffableObject[]): PlatformDiff {
  const before = new Map(base.map((o) => [keyOf(o), o]));
  const after = new Map(head.map((o) => [keyOf(o), o]));
  const objects: ObjectDiff[] = [];
  const counts: Record<string, ObjectCounts> = {};
  const fieldCounts: Record<ChangeKind, number> = { added: 0, removed: 0, changed: 0 };
  const countFor = (kind: string): ObjectCounts => (counts[kind] ??= { added: 0, removed: 0, changed: 0, unchanged: 0 });
  for (const kind of new Set([...base, ...head].map((o) => o.kind))) countFor(kind);

  for (const [key, b] of before) {
    const h = after.get(key);
    if (h === undefined) {
      objects.push({ kind: b.kind, name: b.metadata.name, change: 'removed', ...describe(b), fields: [], object: b });
      countFor(b.kind).removed++;
      continue;
    }
    const fields = diffValues(b, h);
    if (fields.length === 0) {
      countFor(b.kind).unchanged++;
      continue;
    }
    for (const f of fields) fieldCounts[f.change]++;
    objects.push({ kind: h.kind, name: h.metadata.name, change: 'changed', ...describe(h), fields, object: h });
    countFor(h.kind).changed++;
  }
  for (const [key, h] of after) {
    if (before.has(key)) continue;
    objects.push({ kind: h.kind, name: h.metadata.name, change: 'added', ...describe(h), fields: [], object: h });
    countFor(h.kind).added++;
  }
  objects.sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || a.kind.localeCompare(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { objects, counts, fieldCounts };
}

/** Every object a rendered platform generates, unfiltered (an empty repo diffs as empty, it does not fail). */
function platformObjects(platform: Pick<RenderedPlatform, 'projects' | 'apps'>): DiffableObject[] {
  return [...platform.projects, ...platform.apps.map((r) => r.application)] as unknown as DiffableObject[];
}

/** Compares what two revisions of a platform repo generate: AppProjects and Applications. */
export function diffPlatforms(base: Pick<RenderedPlatform, 'projects' | 'apps'>, head: Pick<RenderedPlatform, 'projects' | 'apps'>): PlatformDiff {
  return diffObjects(platformObjects(base), platformObjects(head));
}

/** Whether anything differs. */
export function hasChanges(diff: PlatformDiff): boolean {
  return diff.objects.length > 0;
}
