import { createError } from '../errors.js';
import type { Filters } from '../render-platform.js';
import type { RenderedPlatform } from '../render-platform.js';

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

function listOf(value: string | string[] | undefined): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : value.split(',');
  return list.map((v) => v.trim()).filter(Boolean);
}

/** Reads `k=v,k2=v2` or a map into a label map. */
export function labelsOf(value: string | Record<string, string> | undefined, field: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return value;
  const out: Record<string, string> = {};
  for (const pair of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw createError('GK_BAD_REQUEST', `${JSON.stringify(pair)} is not key=value`, { field: `input.parameters.${field}` });
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/**
 * The selection an input asks for; `clusterNames` maps what the caller wrote
 * for `cluster`/`clusters` to cluster names as the platform repo knows them.
 */
export function selectionOf(parameters: InputParameters, clusterNames: (wanted: string[]) => string[]): Filters {
  const wanted = [...(parameters.cluster ? [parameters.cluster] : []), ...listOf(parameters.clusters)];
  return {
    clusters: clusterNames(wanted),
    namespaces: [...(parameters.namespace ? [parameters.namespace] : []), ...listOf(parameters.namespaces)],
    labels: labelsOf(parameters.labels, 'labels'),
    clusterLabels: labelsOf(parameters.clusterLabels, 'clusterLabels'),
  };
}

/**
 * The selection an input asks for, with cluster names as the platform repo
 * knows them. A Matrix with Argo CD's `clusters` generator passes its
 * `{{.name}}` or `{{.server}}`: a cluster is found by its file name, its
 * Argo CD cluster name (`name:` in the cluster file) or its server URL.
 */
export function filtersOf(parameters: InputParameters, platform: RenderedPlatform): Filters {
  return selectionOf(parameters, (wanted) =>
    wanted.map((w) => {
      const c = platform.repo.clusters.find((k) => k.name === w) ?? platform.repo.clusters.find((k) => k.destinationName === w || k.server === w);
      return c?.name ?? w;
    }),
  );
}
