/**
 * Live objects (`kubectl get applications -o yaml`, `argocd app list -o
 * yaml`) carry what the API server and Argo CD wrote: none of it is the
 * user's intent, and all of it would show as differences.
 */
import { isPlainObject } from '../core/layering/merge.js';

const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'ownerReferences',
];
// Argo CD's bookkeeping (refresh requests, resource tracking, the parent app's last apply), never the user's.
const TOOL_ANNOTATIONS = [
  'argocd.argoproj.io/refresh',
  'argocd.argoproj.io/hydrate',
  'argocd.argoproj.io/tracking-id',
  'kubectl.kubernetes.io/last-applied-configuration',
];

/** A copy of a Kubernetes object without status, server-set metadata and Argo CD's own annotations. */
export function cleanObject(object: Record<string, unknown>): Record<string, unknown> {
  const { status: _status, operation: _operation, ...rest } = object;
  const copy = JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
  if (isPlainObject(copy.metadata)) {
    const metadata = copy.metadata;
    for (const key of SERVER_METADATA) delete metadata[key];
    if (isPlainObject(metadata.annotations)) {
      for (const key of TOOL_ANNOTATIONS) delete metadata.annotations[key];
      if (Object.keys(metadata.annotations).length === 0) delete metadata.annotations;
    }
    if (isPlainObject(metadata.labels) && Object.keys(metadata.labels).length === 0) delete metadata.labels;
    if (Array.isArray(metadata.finalizers) && metadata.finalizers.length === 0) delete metadata.finalizers;
  }
  return copy;
}
