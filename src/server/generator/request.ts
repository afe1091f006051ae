import { createHash } from 'node:crypto';
import { GitopsError, type Problem } from '../../core/errors.js';
import type { Filters } from '../../core/render/render-platform.js';

const stringOrList = {
  anyOf: [
    { type: 'string', maxLength: 4096 },
    { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 253 } },
  ],
} as const;
const labelMap = {
  anyOf: [
    { type: 'string', maxLength: 4096 },
    { type: 'object', maxProperties: 100, additionalProperties: { type: 'string', maxLength: 1024 } },
  ],
} as const;

/**
 * The input parameters an ApplicationSet may pass (`generators[].plugin.input.parameters`).
 * Anything else is a 400: a misspelt selector must not silently widen the reply.
 */
export const inputParametersSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    repoURL: { type: 'string', minLength: 1, maxLength: 2048 },
    revision: { type: 'string', maxLength: 255 },
    path: { type: 'string', maxLength: 1024 },
    cluster: { type: 'string', maxLength: 2048 },
    clusters: stringOrList,
    namespace: { type: 'string', maxLength: 253 },
    namespaces: stringOrList,
    labels: labelMap,
    clusterLabels: labelMap,
  },
} as const;

/** The body Argo CD's plugin generator posts. */
export const getParamsBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    applicationSetName: { type: 'string', maxLength: 253 },
    input: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: { parameters: inputParametersSchema },
    },
  },
} as const;

export interface InputParameters {
  repoURL?: string;
  revision?: string;
  path?: string;
  cluster?: string;
  clusters?: string | string[];
  namespace?: string;
  namespaces?: string | string[];
  labels?: string | Record<string, string>;
  clusterLabels?: string | Record<string, string>;
}

export interface GetParamsBody {
  applicationSetName?: string;
  input?: { parameters?: InputParameters | null } | null;
}

/** What an input selects, checked and normalised; `key` identifies it for the caches. */
export interface Selection {
  /** Clusters as the caller named them (file name, Argo CD name or server URL), sorted, without repeats. */
  clusters: string[];
  namespaces: string[];
  labels?: Record<string, string>;
  clusterLabels?: Record<string, string>;
  /**
   * A fixed-length digest of the normalised selection: inputs that select
   * the same thing share cache entries however they are spelt or padded,
   * and a key costs the same few bytes whatever the input's size.
   */
  key: string;
}

const where = (field: string) => ({ field: `input.parameters.${field}` });
const EMPTY = 'is empty; leave the parameter out to select everything';

/**
 * The items of a `cluster(s)`/`namespace(s)` parameter. A selector given but
 * empty, or with a blank item (`""`, `[]`, `",,,"`, `[""]`), is refused: left
 * out it would select everything, and Argo CD would deploy everything there.
 */
function itemsOf(value: string | string[] | undefined, field: string, problems: Problem[]): string[] {
  if (value === undefined) return [];
  const items = (Array.isArray(value) ? value : value.split(',')).map((v) => v.trim());
  if (items.length === 0 || items.every((v) => v === '')) problems.push({ code: 'GK_BAD_REQUEST', message: EMPTY, ...where(field) });
  else if (items.includes('')) problems.push({ code: 'GK_BAD_REQUEST', message: `has a blank item in ${JSON.stringify(value)}`, ...where(field) });
  return items.filter(Boolean);
}

/** Reads `k=v,k2=v2` or a map into a label map; empty or blank is refused like an empty list. */
function labelsOf(value: string | Record<string, string> | undefined, field: string, problems: Problem[]): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const entries: [string, string][] = [];
  if (typeof value === 'string') {
    const pairs = value.split(',').map((p) => p.trim());
    if (pairs.every((p) => p === '')) problems.push({ code: 'GK_BAD_REQUEST', message: EMPTY, ...where(field) });
    else if (pairs.includes('')) problems.push({ code: 'GK_BAD_REQUEST', message: `has a blank item in ${JSON.stringify(value)}`, ...where(field) });
    for (const pair of pairs.filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq < 0 || pair.slice(0, eq).trim() === '')
        problems.push({ code: 'GK_BAD_REQUEST', message: `${JSON.stringify(pair)} is not key=value`, ...where(field) });
      else entries.push([pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()]);
    }
  } else {
    if (Object.keys(value).length === 0) problems.push({ code: 'GK_BAD_REQUEST', message: EMPTY, ...where(field) });
    for (const [k, v] of Object.entries(value)) {
      if (k.trim() === '') problems.push({ code: 'GK_BAD_REQUEST', message: `has a blank label key in ${JSON.stringify(value)}`, ...where(field) });
      else entries.push([k, v]);
    }
  }
  return Object.fromEntries(entries);
}

const sortedUnique = (list: string[]): string[] => [...new Set(list)].sort();
const sortedLabels = (labels: Record<string, string> | undefined) => (labels ? Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : null);

/**
 * Checks and normalises what an input selects, before anything is fetched.
 * Every problem is reported at once, as a 400 naming the parameter.
 */
export function selectionOf(parameters: InputParameters): Selection {
  const problems: Problem[] = [];
  const single = (value: string | undefined, field: string): string[] => {
    if (value === undefined) return [];
    if (value.trim() === '') problems.push({ code: 'GK_BAD_REQUEST', message: EMPTY, ...where(field) });
    return value.trim() === '' ? [] : [value.trim()];
  };
  const clusters = sortedUnique([...single(parameters.cluster, 'cluster'), ...itemsOf(parameters.clusters, 'clusters', problems)]);
  const namespaces = sortedUnique([...single(parameters.namespace, 'namespace'), ...itemsOf(parameters.namespaces, 'namespaces', problems)]);
  const labels = labelsOf(parameters.labels, 'labels', problems);
  const clusterLabels = labelsOf(parameters.clusterLabels, 'clusterLabels', problems);
  if (problems.length > 0) throw new GitopsError(problems);
  const key = createHash('sha256')
    .update(JSON.stringify([clusters, namespaces, sortedLabels(labels), sortedLabels(clusterLabels)]))
    .digest('base64url');
  return { clusters, namespaces, ...(labels ? { labels } : {}), ...(clusterLabels ? { clusterLabels } : {}), key };
}

/**
 * The filters of a selection; `clusterNames` maps what the caller wrote
 * for `cluster`/`clusters` to cluster names as the platform repo knows them.
 */
export function filtersOfSelection(selection: Selection, clusterNames: (wanted: string[]) => string[]): Filters {
  return {
    clusters: clusterNames(selection.clusters),
    namespaces: selection.namespaces,
    labels: selection.labels,
    clusterLabels: selection.clusterLabels,
  };
}
