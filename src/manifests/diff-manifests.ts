/**
 * What changes on the clusters: the Kubernetes resources each Application
 * deploys at two revisions, compared resource by resource and field by field.
 * Secret values are never carried into the result (only which keys were
 * added, removed or changed), so no output format can print them.
 */
import { diffValues, type ChangeKind } from '../core/diff/diff-platforms.js';
import { isPlainObject } from '../core/layering/merge.js';
import { groupOf, type KubeObject } from './kube-object.js';
import type { AppManifests } from './render-manifests.js';

/** One field of a resource that differs; `before`/`after` are absent for secret values. */
export interface ManifestFieldChange {
  path: string;
  change: ChangeKind;
  before?: unknown;
  after?: unknown;
  /** A Secret's `data`/`stringData` entry: that it changed is shown, never its value. */
  secret?: true;
}

/** One resource added, removed or changed. */
export interface ResourceDiff {
  /** `kind/namespace/name` (the namespace empty when the manifest sets none). */
  resource: string;
  apiVersion: string;
  change: ChangeKind;
  /** Field changes of a changed resource; empty for added and removed ones. */
  fields: ManifestFieldChange[];
}

/** The resources of one Application that differ between base and head. */
export interface AppManifestDiff {
  /** The Application's name. */
  application: string;
  /** `namespace/app` of the platform repo. */
  app: string;
  cluster: string;
  /** The Application itself: added, removed or changed at head. */
  change: ChangeKind;
  resources: ResourceDiff[];
}

export interface ManifestDiff {
  /** By Application name. */
  apps: AppManifestDiff[];
}

const SECRET_FIELDS = ['data', 'stringData'] as const;

function isSecret(o: KubeObject): boolean {
  return o.kind === 'Secret' && groupOf(o.apiVersion) === '';
}

function resourceKey(o: KubeObject): string {
  return `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function describe(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function secretKeys(value: unknown): Map<string, unknown> {
  return isPlainObject(value) ? new Map(Object.entries(value)) : new Map();
}

/** Secret value changes by key, without the values. */
function diffSecretValues(before: KubeObject, after: KubeObject): ManifestFieldChange[] {
  const changes: ManifestFieldChange[] = [];
  for (const field of SECRET_FIELDS) {
    const b = before[field];
    const a = after[field];
    // A value that is not a map cannot be compared key by key; that it differs is all that is said.
    if ((b !== undefined && !isPlainObject(b)) || (a !== undefined && !isPlainObject(a))) {
      if (JSON.stringify(b) !== JSON.stringify(a)) changes.push({ path: field, change: 'changed', secret: true });
      continue;
    }
    const bk = secretKeys(b);
    const ak = secretKeys(a);
    for (const key of [...new Set([...bk.keys(), ...ak.keys()])].sort()) {
      const path = `${field}[${JSON.stringify(key)}]`;
      if (!ak.has(key)) changes.push({ path, change: 'removed', secret: true });
      else if (!bk.has(key)) changes.push({ path, change: 'added', secret: true });
      else if (JSON.stringify(bk.get(key)) !== JSON.stringify(ak.get(key))) changes.push({ path, change: 'changed', secret: true });
    }
  }
  return changes;
}

function withoutSecretValues(o: KubeObject): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...o };
  for (const field of SECRET_FIELDS) delete copy[field];
  return copy;
}

/** Field-level differences of one resource; Secret values by key only. */
function diffResource(before: KubeObject, after: KubeObject): ManifestFieldChange[] {
  if (!isSecret(before) && !isSecret(after)) return diffValues(before, after);
  const rest = diffValues(withoutSecretValues(before), withoutSecretValues(after));
  return [...rest, ...diffSecretValues(before, after)].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/** Compares the resources of one Application at base and head (either may be absent). */
function diffResources(base: readonly KubeObject[], head: readonly KubeObject[]): ResourceDiff[] {
  const before = new Map(base.map((o) => [resourceKey(o), o]));
  const after = new Map(head.map((o) => [resourceKey(o), o]));
  const out: ResourceDiff[] = [];
  for (const [key, b] of before) {
    const h = after.get(key);
    if (h === undefined) {
      out.push({ resource: describe(b), apiVersion: b.apiVersion, change: 'removed', fields: [] });
      continue;
    }
    const fields = diffResource(b, h);
    if (fields.length > 0) out.push({ resource: describe(h), apiVersion: h.apiVersion, change: 'changed', fields });
  }
  for (const [key, h] of after) {
    if (!before.has(key)) out.push({ resource: describe(h), apiVersion: h.apiVersion, change: 'added', fields: [] });
  }
  return out.sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
}

/**
 * Compares what the Applications deploy at two revisions, matched by
 * Application name. Pass the Applications that changed (and those added or
 * removed) on each side; an Application whose resources stay the same is
 * listed with none, so a changed Application is never silently dropped.
 */
export function diffManifests(base: readonly AppManifests[], head: readonly AppManifests[]): ManifestDiff {
  const nameOf = (a: AppManifests): string => a.rendered.application.metadata.name;
  const before = new Map(base.map((a) => [nameOf(a), a]));
  const after = new Map(head.map((a) => [nameOf(a), a]));
  const apps: AppManifestDiff[] = [];
  for (const name of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const b = before.get(name);
    const h = after.get(name);
    const which = (h ?? b)!.rendered;
    apps.push({
      application: name,
      app: `${which.app.namespace}/${which.app.name}`,
      cluster: which.cluster.name,
      change: b === undefined ? 'added' : h === undefined ? 'removed' : 'changed',
      resources: diffResources(b?.objects ?? [], h?.objects ?? []),
    });
  }
  return { apps };
}
