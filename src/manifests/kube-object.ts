/**
 * Kubernetes objects as the tools print them, and the key Argo CD tracks each
 * one by. YAML comes from charts and repos we do not control, so it is parsed
 * with the same safety limits as the platform repo's own files would deserve:
 * no aliases blown up into gigabytes, no custom tags.
 */
import { createError } from '../core/errors.js';
import { isPlainObject } from '../core/layering/merge.js';
import { parseYamlStream } from '../core/yaml/parse-yaml-stream.js';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** The API group of an apiVersion (`apps/v1` → `apps`, `v1` → ``). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/**
 * Every object in a multi-document YAML text, `List` kinds flattened, empty
 * documents dropped. `what` names the source in errors.
 */
export function parseManifests(text: string, what: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseYamlStream(text, { uniqueKeys: false })) {
    if (doc.errors.length > 0) throw createError('GK_INVALID_YAML', `${what}: ${doc.errors[0]!.message}`);
    addObject(doc.toData(100), what, objects);
  }
  return objects;
}

/** Adds a parsed document (or, for a `*List`, its items) to `objects`. */
function addObject(value: unknown, what: string, objects: KubeObject[]): void {
  if (value === null || value === undefined) return;
  if (!isPlainObject(value)) throw createError('GK_INVALID_VALUE', `${what}: a document is not a Kubernetes object (a map with apiVersion and kind)`);
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
    for (const item of value.items) addObject(item, what, objects);
    return;
  }
  const metadata = value.metadata;
  if (typeof value.apiVersion !== 'string' || typeof value.kind !== 'string' || !isPlainObject(metadata) || typeof metadata.name !== 'string') {
    throw createError('GK_INVALID_VALUE', `${what}: an object lacks apiVersion, kind or metadata.name`);
  }
  objects.push(value as KubeObject);
}
