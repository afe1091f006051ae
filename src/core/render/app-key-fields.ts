import { isPlainObject, stripNulls, type FieldPath } from '../layering/merge.js';
import type { AppKeys } from '../model.js';

/**
 * Which Application fields come straight from an app key: the renderer
 * builds them from this table and `explain` follows it back to the file and
 * line of the key, so the two cannot disagree.
 */

/** The part of an Application a row's field is in. */
export const SOURCE_PART: FieldPath = ['spec', 'source'];
export const SPEC_PART: FieldPath = ['spec'];

export interface KeyField {
  /** The Application part the field is in (SOURCE_PART or SPEC_PART). */
  part: FieldPath;
  /** The field, inside its part. */
  field: FieldPath;
  /** The app key it comes from. */
  key: keyof AppKeys & string;
  /**
   * The field's value, undefined to leave it out, for a field that is its key
   * tidied; absent where the value depends on more than the key (the kind of
   * source, the folder's project, namespace.yaml): set where the Application is built.
   */
  copy?: (keys: AppKeys) => unknown;
}

// In the order the fields are written, within each part.
export const KEY_FIELDS: readonly KeyField[] = [
  { part: SOURCE_PART, field: ['repoURL'], key: 'repoURL' },
  { part: SOURCE_PART, field: ['chart'], key: 'chart' },
  { part: SOURCE_PART, field: ['path'], key: 'path' },
  { part: SOURCE_PART, field: ['helm', 'releaseName'], key: 'releaseName', copy: (keys) => keys.releaseName ?? undefined },
  { part: SOURCE_PART, field: ['helm', 'valueFiles'], key: 'valueFiles', copy: (keys) => keys.valueFiles ?? undefined },
  { part: SOURCE_PART, field: ['helm', 'valuesObject'], key: 'values', copy: (keys) => (isNonEmptyObject(keys.values) ? keys.values : undefined) },
  { part: SOURCE_PART, field: ['kustomize'], key: 'kustomize', copy: (keys) => (keys.kustomize ? stripNulls(keys.kustomize) : undefined) },
  { part: SOURCE_PART, field: ['directory'], key: 'directory', copy: (keys) => (keys.directory ? stripNulls(keys.directory) : undefined) },
  { part: SPEC_PART, field: ['project'], key: 'project' },
  { part: SPEC_PART, field: ['syncPolicy'], key: 'syncPolicy' },
  {
    part: SPEC_PART,
    field: ['ignoreDifferences'],
    key: 'ignoreDifferences',
    copy: (keys) => (keys.ignoreDifferences?.length ? keys.ignoreDifferences : undefined),
  },
  { part: SPEC_PART, field: ['info'], key: 'info', copy: (keys) => (keys.info?.length ? keys.info : undefined) },
];

function isNonEmptyObject(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  for (const _ in value) return true;
  return false;
}

/** A row's field as a path in the Application. */
export function applicationFieldOf(row: KeyField): FieldPath {
  return [...row.part, ...row.field];
}

/** Writes into `target`, the Application's `part`, each field of that part that is its key's value and that the keys set, in table order. */
export function copyKeyFields(target: Record<string, unknown>, part: FieldPath, keys: AppKeys): void {
  for (const row of KEY_FIELDS) {
    if (row.part !== part || !row.copy) continue;
    const value = row.copy(keys);
    if (value === undefined) continue;
    let node = target;
    for (let i = 0; i < row.field.length - 1; i++) node = (node[row.field[i]!] ??= {}) as Record<string, unknown>;
    node[row.field[row.field.length - 1]!] = value;
  }
}
