import { createError } from '../core/errors.js';
import { parseOutputKinds, type OutputKinds } from '../core/render/output-kinds.js';
import { readPathPrefix } from '../core/render/path-prefix.js';
import type { Filters } from '../core/render/render-platform.js';

/** What `gitops-k8s generate` takes from Argo CD's CMP environment. */
export interface CmpSettings {
  repoURL?: string;
  targetRevision?: string;
  argocdNamespace?: string;
  /** Where the platform repo sits in its Git repo (ARGOCD_APP_SOURCE_PATH). */
  pathPrefix?: string;
  filters: Filters;
  /** Which kinds to print (`ARGOCD_ENV_OUTPUT` or the `output` parameter); default `all`. */
  output: OutputKinds;
}

/** Parameters `generate` accepts, as announced in plugin/plugin.yaml. */
export const CMP_PARAMETERS = ['clusters', 'namespaces', 'output'] as const;

interface CmpParameter {
  name?: unknown;
  string?: unknown;
  array?: unknown;
  map?: unknown;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Reads Argo CD's CMP v2 environment: the app's source, `ARGOCD_ENV_CLUSTER`
 * and `ARGOCD_ENV_NAMESPACE` (comma lists, from `plugin.env`),
 * `ARGOCD_ENV_OUTPUT`, and the `clusters`/`namespaces`/`output` parameters
 * from `ARGOCD_APP_PARAMETERS` (JSON, may be `null`). Unknown parameters and
 * unknown output values are errors: a typo must not widen (or empty) the output.
 */
export function readCmpEnvironment(env: NodeJS.ProcessEnv): CmpSettings {
  // plugin.env of the Application arrives as ARGOCD_ENV_<name>: a misspelt name would widen the output.
  const known = ['ARGOCD_ENV_CLUSTER', 'ARGOCD_ENV_CLUSTERS', 'ARGOCD_ENV_NAMESPACE', 'ARGOCD_ENV_NAMESPACES', 'ARGOCD_ENV_OUTPUT'];
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith('ARGOCD_ENV_') && !known.includes(name)) {
      throw createError(
        'GK_USAGE',
        `unknown plugin env ${JSON.stringify(name.slice('ARGOCD_ENV_'.length))}; gitops-k8s takes CLUSTER and NAMESPACE (comma lists) and OUTPUT`,
      );
    }
  }
  const clusters = [...list(env.ARGOCD_ENV_CLUSTER), ...list(env.ARGOCD_ENV_CLUSTERS)];
  const namespaces = [...list(env.ARGOCD_ENV_NAMESPACE), ...list(env.ARGOCD_ENV_NAMESPACES)];
  // An empty value is an unset one, as for the lists above.
  const outputs: { from: string; value: OutputKinds }[] = [];
  if (env.ARGOCD_ENV_OUTPUT && env.ARGOCD_ENV_OUTPUT.trim() !== '') {
    outputs.push({ from: 'ARGOCD_ENV_OUTPUT', value: parseOutputKinds(env.ARGOCD_ENV_OUTPUT, 'ARGOCD_ENV_OUTPUT') });
  }
  const raw = env.ARGOCD_APP_PARAMETERS;
  if (raw && raw.trim() !== '' && raw.trim() !== 'null') {
    let params: unknown;
    try {
      params = JSON.parse(raw);
    } catch (error) {
      throw createError('GK_USAGE', `ARGOCD_APP_PARAMETERS is not JSON: ${(error as Error).message}`, {}, { cause: error });
    }
    if (!Array.isArray(params)) throw createError('GK_USAGE', 'ARGOCD_APP_PARAMETERS must be a JSON list of parameters');
    for (const p of params as (CmpParameter | null)[]) {
      if (p === null || typeof p !== 'object' || typeof p.name !== 'string') {
        throw createError('GK_USAGE', `ARGOCD_APP_PARAMETERS holds ${JSON.stringify(p)}; each parameter is {"name": ..., "string" | "array": ...}`);
      }
      const name = p.name;
      if (p.map !== undefined && p.map !== null)
        throw createError('GK_USAGE', `plugin parameter ${JSON.stringify(name)} takes a string or an array, not a map`);
      if (name === 'output') {
        if (Array.isArray(p.array) || typeof p.string !== 'string')
          throw createError('GK_USAGE', 'plugin parameter "output" takes one string: all, projects or applications');
        if (p.string.trim() !== '') outputs.push({ from: 'plugin parameter "output"', value: parseOutputKinds(p.string, 'plugin parameter "output"') });
        continue;
      }
      const values = Array.isArray(p.array) ? p.array.map(String) : typeof p.string === 'string' ? list(p.string) : [];
      if (name === 'clusters' || name === 'cluster') clusters.push(...values);
      else if (name === 'namespaces' || name === 'namespace') namespaces.push(...values);
      else throw createError('GK_USAGE', `unknown plugin parameter ${JSON.stringify(name)}; gitops-k8s takes ${CMP_PARAMETERS.join(', ')}`);
    }
  }
  const distinct = [...new Set(outputs.map((o) => o.value))];
  if (distinct.length > 1) {
    throw createError('GK_USAGE', `the output is set twice with different values (${outputs.map((o) => `${o.from}=${o.value}`).join(', ')}); set it once`);
  }
  // A path in the Git repo: `./platform/` and `platform` are one folder, `..` leaves the repo.
  const sourcePath = env.ARGOCD_APP_SOURCE_PATH ? readPathPrefix(env.ARGOCD_APP_SOURCE_PATH, 'ARGOCD_APP_SOURCE_PATH') : undefined;
  return {
    repoURL: env.ARGOCD_APP_SOURCE_REPO_URL || undefined,
    targetRevision: env.ARGOCD_APP_SOURCE_TARGET_REVISION || undefined,
    argocdNamespace: env.ARGOCD_APP_NAMESPACE || undefined,
    // Set even when '.': Argo CD knows where the source is, over gitops.yaml's `path`.
    pathPrefix: sourcePath,
    filters: {
      clusters: clusters.length ? [...new Set(clusters)] : undefined,
      namespaces: namespaces.length ? [...new Set(namespaces)] : undefined,
    },
    output: distinct[0] ?? 'all',
  };
}
