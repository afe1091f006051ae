import { createError } from '../errors.js';
import { isPlainObject, type FieldPath } from '../layering/merge.js';
import { originOf } from '../layering/provenance.js';
import type { PlatformRepo } from '../model.js';
import { LABEL_PREFIX, MANAGED_BY, SYNC_WAVE } from '../argo-labels.js';
import { applicationFieldOf, KEY_FIELDS } from '../render/app-key-fields.js';
import type { RenderedApp } from '../render/render-applications.js';
import { renderModel } from '../render/render-platform.js';
import { ROLLOUT_STEP_LABEL, ROLLOUT_WAVE_LABEL, type RolloutPlacement } from '../render/rollout.js';
import { fieldOf } from '../schema/validate.js';

/** One leaf of a generated Application and where its value came from. */
export interface ExplainedField {
  field: string;
  value: unknown;
  /** `file:line`, or a description in parentheses for generated values. */
  source: string;
}

export interface Explanation {
  name: string;
  cluster: string;
  fields: ExplainedField[];
}

// Application fields that come straight from an app key, and that key.
const KEY_OF: [FieldPath, FieldPath][] = KEY_FIELDS.map((row) => [applicationFieldOf(row), [row.key]]);

function leaves(value: unknown, path: FieldPath, out: [FieldPath, unknown][]): void {
  if (Array.isArray(value) && value.length > 0) for (const [i, v] of value.entries()) leaves(v, [...path, i], out);
  else if (isPlainObject(value) && Object.keys(value).length > 0) for (const [k, v] of Object.entries(value)) leaves(v, [...path, k], out);
  else out.push([path, value]);
}

function startsWith(path: FieldPath, prefix: FieldPath): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}

// gitops.yaml's targetRevision line, when it sets one.
function repoSettingsLine(repo: PlatformRepo): string | undefined {
  const yaml = repo.settings.yaml;
  if (!yaml || !isPlainObject(yaml.data) || yaml.data.targetRevision === undefined) return undefined;
  return `${yaml.file}:${yaml.lineOf(['targetRevision']) ?? 1}`;
}

// The gitops.yaml step that took the Application's cluster.
function rolloutStepSource(repo: PlatformRepo, step: number): string {
  const yaml = repo.settings.yaml;
  const line = yaml?.lineOf(['rollout', 'steps', step - 1]);
  return `${yaml?.file ?? 'gitops.yaml'}${line === undefined ? '' : `:${line}`} (rollout step ${step})`;
}

/** How a wave under a rollout was made: the step's first wave, plus the rank of the app's own wave in its step. */
function explainRolloutWave(repo: PlatformRepo, placement: RolloutPlacement, own: string): string {
  const { step, stepStart, rank, dependencyWave, syncWave } = placement;
  const rankText = `dependency wave ${dependencyWave} (${own}) is number ${rank} of the step's waves`;
  return `${rolloutStepSource(repo, step)}: step ${step} starts at wave ${stepStart}; ${rankText}, so ${stepStart} + ${rank - 1} = ${syncWave}`;
}

function sourceOf(repo: PlatformRepo, rendered: RenderedApp, path: FieldPath): string {
  const { app, cluster, namespace, trace } = rendered;
  const fromKeys = (keyPath: FieldPath): string | undefined => {
    const hit = trace && originOf(trace, keyPath);
    if (!hit) return undefined;
    const line = hit.origin.yaml?.lineOf(hit.origin.toFilePath(keyPath));
    return line === undefined ? hit.origin.file : `${hit.origin.file}:${line}`;
  };
  const destination = (): string => {
    if (path[2] === 'namespace') return `(the namespace folder ${namespace.dir}/)`;
    if (!cluster.yaml) return '(default in-cluster)';
    const key = path[2] === 'name' ? 'name' : 'server';
    const data = cluster.yaml.data as Record<string, unknown>;
    return key in data ? `${cluster.yaml.file}:${cluster.yaml.lineOf([key]) ?? 1}` : `${cluster.yaml.file} (default server)`;
  };
  // Its syncPolicy, project, ignoreDifferences, info, labels and annotations are layered as app keys: traced below.
  const layered = [
    ['spec', 'syncPolicy'],
    ['spec', 'project'],
    ['spec', 'ignoreDifferences'],
    ['spec', 'info'],
    ['metadata', 'labels'],
    ['metadata', 'annotations'],
  ];
  if (app.kind === 'application' && !layered.some((prefix) => startsWith(path, prefix))) {
    if (startsWith(path, ['spec', 'destination'])) return destination();
    const line = app.yaml?.lineOf(path);
    return line === undefined ? '(generated)' : `${app.source}:${line}`;
  }
  if (startsWith(path, ['spec', 'destination'])) return destination();
  if (startsWith(path, ['spec', 'syncPolicy', 'managedNamespaceMetadata'])) {
    return namespace.yaml ? `${namespace.yaml.file}:${namespace.yaml.lineOf(path.slice(3)) ?? 1}` : '(generated)';
  }
  if (startsWith(path, ['spec', 'source', 'targetRevision'])) {
    const set = fromKeys([rendered.keys?.chart !== undefined ? 'version' : 'targetRevision']);
    if (set) return set;
    if (rendered.keys?.repoURL !== undefined) return '(default HEAD)';
    return repoSettingsLine(repo) ?? '(the platform repo revision: the CMP or server revision, or HEAD)';
  }
  if (path[0] === 'metadata' && (path[1] === 'labels' || path[1] === 'annotations') && typeof path[2] === 'string') {
    if (path[2] === SYNC_WAVE) {
      const own = fromKeys(['syncWave']) ?? (app.yaml ? `${app.source}:${app.yaml.lineOf(['dependsOn']) ?? 1} (dependsOn)` : '(generated)');
      return rendered.rollout ? explainRolloutWave(repo, rendered.rollout, own) : own;
    }
    if (path[2] === `${LABEL_PREFIX}environment` && cluster.yaml) return `${cluster.yaml.file}:${cluster.yaml.lineOf(['environment']) ?? 1}`;
    if (rendered.rollout && (path[2] === ROLLOUT_STEP_LABEL || path[2] === ROLLOUT_WAVE_LABEL)) return rolloutStepSource(repo, rendered.rollout.step);
    if (path[2].startsWith(LABEL_PREFIX) || path[2] === MANAGED_BY) return '(generated)';
    return fromKeys([path[1], path[2]]) ?? '(generated)';
  }
  if (path[0] === 'metadata' && path[1] === 'name') return '(generated: naming.application)';
  for (const [appPrefix, keyPrefix] of KEY_OF) {
    if (startsWith(path, appPrefix)) {
      const found = fromKeys([...keyPrefix, ...path.slice(appPrefix.length)]);
      if (found) return found;
      if (path[1] === 'project') {
        return namespace.project.name && namespace.yaml
          ? `${namespace.yaml.file}:${namespace.yaml.lineOf(['project', 'name']) ?? 1}`
          : '(generated: naming.project, one AppProject per namespace folder)';
      }
      return '(generated)';
    }
  }
  return '(generated)';
}

/**
 * For each Application generated from `namespace/app` (one per cluster, or
 * the named cluster), every leaf field with the file and line that set it.
 */
export function explainApp(repo: PlatformRepo, id: string, options: { cluster?: string; pathPrefix?: string } = {}): Explanation[] {
  const [ns, name] = id.split('/');
  if (!ns || !name) throw createError('GK_USAGE', `expected NAMESPACE/APP (got ${JSON.stringify(id)})`);
  const namespace = repo.namespaces.find((n) => n.name === ns);
  if (!namespace?.apps.some((a) => a.name === name)) throw createError('GK_NOT_FOUND', `no app ${id} in ${repo.label}`);
  const { apps } = renderModel(repo, { trace: true, only: id, pathPrefix: options.pathPrefix });
  const selected = apps.filter((r) => !options.cluster || r.cluster.name === options.cluster);
  if (selected.length === 0) {
    throw createError('GK_NOT_FOUND', options.cluster ? `app ${id} is not deployed to cluster ${options.cluster}` : `app ${id} is deployed to no cluster`);
  }
  return selected.map((rendered) => {
    const rows: [FieldPath, unknown][] = [];
    leaves(rendered.application, [], rows);
    return {
      name: rendered.application.metadata.name,
      cluster: rendered.cluster.name,
      fields: rows.map(([path, value]) => ({ field: fieldOf(path), value, source: sourceOf(repo, rendered, path) })),
    };
  });
}
