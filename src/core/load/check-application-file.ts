import type { Problem } from '../errors.js';
import { isPlainObject, type FieldPath } from '../layering/merge.js';
import type { AppKeys } from '../model.js';
import type { YamlFile } from '../yaml/parse-yaml.js';
import { validateApplication } from '../schema/validate.js';

/**
 * Problems of a full Argo CD Application file under apps/<namespace>/: the
 * CRD's schema, strictly (a misspelt `pth:` would otherwise be emitted as
 * written and ignored by Argo CD), and a source to deploy.
 */
export function checkApplicationFile(yaml: YamlFile): Problem[] {
  // The `gitops-k8s` block (app keys a full Application takes) is no Argo CD field: it is checked on its own.
  const { 'gitops-k8s': _block, ...application } = yaml.data as Record<string, unknown>;
  const problems = validateApplication(yaml, application);
  if (problems.length > 0) return problems;
  const spec = (yaml.data as { spec: Record<string, unknown> }).spec;
  if (!isPlainObject(spec.source) && !Array.isArray(spec.sources)) {
    return [
      { code: 'GK_INVALID_VALUE', file: yaml.file, line: yaml.lineOf(['spec']), field: 'spec', message: 'an Application needs spec.source or spec.sources' },
    ];
  }
  return [];
}

/**
 * What to write instead of a Kubernetes object that is no app: an AppProject
 * or an ApplicationSet under apps/ would be deployed to the workload cluster
 * as a manifest, where nothing reads it.
 */
export function misplacedObjectMessage(kind: string, apiVersion: string, namespace: string): string {
  const argo = apiVersion.startsWith('argoproj.io/');
  if (argo && kind === 'AppProject') {
    return (
      'is an Argo CD AppProject, which gitops-k8s makes for every namespace folder; ' +
      `set its rules under project: in apps/${namespace}/namespace.yaml (name, sourceRepos, extraDestinations, resource lists) instead`
    );
  }
  if (argo && kind === 'ApplicationSet') {
    return (
      'is an Argo CD ApplicationSet, which belongs outside the platform repo, applied next to Argo CD itself ' +
      '(gitops-k8s can be its plugin generator: README "ApplicationSet plugin generator"); here, write one app file per app'
    );
  }
  return `is a Kubernetes ${kind}, not an app definition; put manifests in an app folder (apps/${namespace}/<app>/), which becomes a path source`;
}

/**
 * A Namespace object written as namespace.yaml: one problem saying what to
 * write, not an unknown key for each of apiVersion, kind and metadata.
 */
export function namespaceObjectProblem(yaml: YamlFile): Problem | undefined {
  const data = yaml.data;
  if (!isPlainObject(data) || data.kind !== 'Namespace' || typeof data.apiVersion !== 'string') return undefined;
  return {
    code: 'GK_INVALID_VALUE',
    file: yaml.file,
    line: yaml.lineOf(['kind']),
    field: 'kind',
    message:
      'is a Kubernetes Namespace object; write its labels and annotations as top-level labels: and annotations: instead ' +
      '(gitops-k8s creates the Namespace with them)',
  };
}

// The parts of a full Application that app keys also set: they are layered
// over the defaults (gitops.yaml, providers, clusters, namespace.yaml) as an
// app file's keys are, the file's own value winning.
const LAYERED_SPEC = ['syncPolicy', 'project', 'ignoreDifferences', 'info'] as const;
const LAYERED_METADATA = ['labels', 'annotations'] as const;

/** The app keys a full Application file sets (see LAYERED_SPEC), to layer like an app file's. */
export function keysOfApplication(application: Record<string, unknown>): AppKeys {
  const spec = (isPlainObject(application.spec) ? application.spec : {}) as Record<string, unknown>;
  const metadata = (isPlainObject(application.metadata) ? application.metadata : {}) as Record<string, unknown>;
  const keys: Record<string, unknown> = {};
  for (const key of LAYERED_SPEC) if (spec[key] !== undefined) keys[key] = spec[key];
  for (const key of LAYERED_METADATA) if (metadata[key] !== undefined) keys[key] = metadata[key];
  return keys as AppKeys;
}

/** App keys a full Application takes in its top-level `gitops-k8s:` block (Argo CD never sees it). */
const GITOPS_BLOCK_KEYS: readonly string[] = ['clusters', 'name', 'finalizer'];

/** Where an app key of {@link keysOfApplication}, or of the `gitops-k8s` block, is in the Application file. */
export function applicationPathOf(path: FieldPath): FieldPath {
  if (GITOPS_BLOCK_KEYS.includes(path[0] as string)) return ['gitops-k8s', ...path];
  return (LAYERED_METADATA as readonly unknown[]).includes(path[0]) ? ['metadata', ...path] : ['spec', ...path];
}

/** The Application without the layered parts: what is taken as written. */
export function unlayeredApplication(application: Record<string, unknown>): Record<string, unknown> {
  const spec = { ...(application.spec as Record<string, unknown>) };
  for (const key of LAYERED_SPEC) delete spec[key];
  const metadata = { ...((isPlainObject(application.metadata) ? application.metadata : {}) as Record<string, unknown>) };
  for (const key of LAYERED_METADATA) delete metadata[key];
  return { ...application, metadata, spec };
}
