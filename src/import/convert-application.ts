/**
 * One cleaned Application as app keys of the short format, or the reasons it
 * has to stay a full Application file. The short format is checked with the
 * same schema as a written app file, so nothing it cannot say slips through.
 */
import { isPlainObject } from '../core/layering/merge.js';
import { parseYamlValue } from '../core/yaml/parse-yaml-stream.js';
import type { AppKeys } from '../core/model.js';
import { FINALIZER } from '../core/argo-labels.js';
import { validateAgainst } from '../core/schema/validate.js';
import { convertParameters, type HelmParameter } from './helm-set.js';

export type Converted = { kind: 'spec'; keys: AppKeys; sourceKind: 'chart' | 'path'; notes: string[] } | { kind: 'full'; reasons: string[]; notes: string[] };

// What gitops-k8s puts in every syncPolicy unless told otherwise (render-applications' built-in defaults).
export const DEFAULT_SYNC_POLICY = { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] };

const SPEC_KEYS = new Set(['project', 'source', 'destination', 'syncPolicy', 'ignoreDifferences', 'info']);
const SOURCE_KEYS = new Set(['repoURL', 'chart', 'targetRevision', 'path', 'helm', 'kustomize', 'directory']);
const HELM_KEYS = new Set(['releaseName', 'valueFiles', 'values', 'valuesObject', 'parameters']);
const EXACT_VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/**
 * The layer that, merged over `base` as gitops-k8s merges layers (maps merge,
 * lists replace, null removes), gives exactly `target`; undefined when
 * `target` is `base` already.
 */
function layerOver(base: unknown, target: unknown): unknown {
  if (target === undefined) return base === undefined ? undefined : null;
  if (!isPlainObject(base) || !isPlainObject(target)) return JSON.stringify(base) === JSON.stringify(target) ? undefined : target;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(base)) if (!(key in target)) out[key] = null;
  for (const [key, value] of Object.entries(target)) {
    const layer = layerOver(base[key], value);
    if (layer !== undefined) out[key] = layer;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The Helm values an Application's source gives Helm, before parameters: valuesObject wins over the values string, as in Argo CD. */
export function helmValuesOf(helm: Record<string, unknown>): { values?: Record<string, unknown>; problem?: string } {
  if (isPlainObject(helm.valuesObject)) return { values: helm.valuesObject };
  if (typeof helm.values === 'string' && helm.values.trim() !== '') {
    try {
      const parsed: unknown = parseYamlValue(helm.values, 100);
      if (parsed === null || parsed === undefined) return {};
      if (!isPlainObject(parsed)) return { problem: 'helm.values is not a map of values' };
      return { values: parsed };
    } catch (error) {
      return { problem: `helm.values is not YAML: ${(error as Error).message.split('\n')[0]}` };
    }
  }
  return {};
}

/**
 * The short form of an Application, given the syncPolicy base the repo's
 * defaults make and the namespace metadata its folder will send.
 */
export function convertApplication(
  application: Record<string, unknown>,
  context: { syncBase: unknown; namespaceMetadata?: Record<string, unknown>; adoptDefaults: boolean },
): Converted {
  const reasons: string[] = [];
  const notes: string[] = [];
  const metadata = (application.metadata ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] };
  const spec = (application.spec ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(spec)) if (!SPEC_KEYS.has(key) && key !== 'sources') reasons.push(`spec.${key} has no app key`);
  const source = spec.source as Record<string, unknown> | undefined;
  if (!isPlainObject(source)) reasons.push(Array.isArray(spec.sources) ? 'spec.sources (several sources) has no app key' : 'it has no spec.source');
  const keys: AppKeys = {};
  let sourceKind: 'chart' | 'path' = 'path';
  if (isPlainObject(source)) {
    for (const key of Object.keys(source)) if (!SOURCE_KEYS.has(key)) reasons.push(`spec.source.${key} has no app key`);
    if (typeof source.repoURL === 'string') keys.repoURL = source.repoURL;
    if (source.chart !== undefined) {
      sourceKind = 'chart';
      keys.chart = source.chart as string;
      if (typeof source.targetRevision !== 'string' || !EXACT_VERSION.test(source.targetRevision)) {
        reasons.push(`chart version ${JSON.stringify(source.targetRevision ?? '')} is not one exact version, which app files require`);
      } else keys.version = source.targetRevision;
    } else {
      keys.path = (source.path as string | undefined) ?? '.';
      if (source.targetRevision !== undefined && source.targetRevision !== '') keys.targetRevision = source.targetRevision as string;
    }
    if (!keys.repoURL) reasons.push('spec.source has no repoURL');
    if (source.kustomize !== undefined) keys.kustomize = source.kustomize as Record<string, unknown>;
    if (source.directory !== undefined) keys.directory = source.directory as Record<string, unknown>;
    const helm = source.helm;
    if (isPlainObject(helm)) {
      for (const key of Object.keys(helm)) if (!HELM_KEYS.has(key)) reasons.push(`spec.source.helm.${key} has no app key`);
      if (helm.releaseName !== undefined) keys.releaseName = helm.releaseName as string;
      if (helm.valueFiles !== undefined) keys.valueFiles = helm.valueFiles as string[];
      const { values, problem } = helmValuesOf(helm);
      if (problem) reasons.push(problem);
      if (typeof helm.values === 'string' && helm.values.trim() !== '' && !isPlainObject(helm.valuesObject)) notes.push('helm.values string became values');
      let merged = values ?? {};
      const parameters = (helm.parameters ?? []) as HelmParameter[];
      if (parameters.length > 0) {
        const result = convertParameters(merged, parameters, { valueFiles: Array.isArray(helm.valueFiles) && helm.valueFiles.length > 0 });
        merged = result.values;
        if (result.converted.length > 0) notes.push(`helm.parameters ${result.converted.join(', ')} became typed values`);
        if (result.kept.length > 0)
          reasons.push(
            `helm.parameters ${result.kept.map((p) => p.name).join(', ')} are not what --set would give as values ` +
              '(forceString, commas, escapes, lists or large numbers) and app files have no parameters',
          );
      }
      if (Object.keys(merged).length > 0) keys.values = merged;
    }
  }
  if (spec.project !== undefined) keys.project = spec.project as string;
  const policy = spec.syncPolicy as Record<string, unknown> | undefined;
  let target: unknown = policy;
  if (isPlainObject(policy) && policy.managedNamespaceMetadata !== undefined) {
    // The folder's namespace.yaml labels and annotations are what gitops-k8s sends as managedNamespaceMetadata.
    if (JSON.stringify(policy.managedNamespaceMetadata) !== JSON.stringify(context.namespaceMetadata))
      reasons.push('syncPolicy.managedNamespaceMetadata differs from the rest of its namespace folder');
    const { managedNamespaceMetadata: _m, ...rest } = policy;
    target = rest;
  }
  if (policy === undefined && context.adoptDefaults) notes.push('no syncPolicy: takes the gitops-k8s default (--adopt-defaults)');
  else if (context.syncBase === undefined) {
    if (isPlainObject(target) && Object.keys(target).length > 0) keys.syncPolicy = target;
  } else {
    const layer = layerOver(context.syncBase, target);
    if (layer !== undefined) keys.syncPolicy = layer as Record<string, unknown>;
  }
  if (spec.ignoreDifferences !== undefined) keys.ignoreDifferences = spec.ignoreDifferences as Record<string, unknown>[];
  if (spec.info !== undefined) keys.info = spec.info as { name: string; value: string }[];
  if (metadata.labels) keys.labels = metadata.labels;
  if (metadata.annotations) keys.annotations = metadata.annotations;
  const finalizers = metadata.finalizers ?? [];
  if (finalizers.some((f) => f !== FINALIZER))
    reasons.push(`finalizers ${finalizers.filter((f) => f !== FINALIZER).join(', ')} are not the one gitops-k8s adds`);
  if (!finalizers.includes(FINALIZER) && !context.adoptDefaults) keys.finalizer = false;
  const invalid = validateAgainst('app', { file: 'app', data: keys, lineOf: () => undefined, lineOfKey: () => undefined });
  for (const problem of invalid) reasons.push(`${problem.field ? `${problem.field}: ` : ''}${problem.message}`);
  if (reasons.length > 0) return { kind: 'full', reasons, notes };
  return { kind: 'spec', keys, sourceKind, notes };
}
