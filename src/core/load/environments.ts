import { didYouMean } from '../did-you-mean.js';
import type { Problem, ProblemCollector } from '../errors.js';
import type { AppDefinition, AppKeys, Cluster, Environment } from '../model.js';
import type { YamlFile } from '../yaml/parse-yaml.js';
import { fieldOf } from '../schema/validate.js';
import { readNamedFile, type RepoReader } from './repo-reader.js';

/**
 * Reads `environments/<name>.yaml`. Returns the environments with a sound
 * file and the names of those whose file has a problem (reported already):
 * naming a broken one elsewhere is not also "unknown".
 */
export function readEnvironmentFiles(reader: RepoReader): { environments: Map<string, Environment>; broken: Set<string> } {
  const environments = new Map<string, Environment>();
  const broken = new Set<string>();
  for (const entry of reader.yamlEntries('environments')) {
    const base = entry.base;
    broken.add(base);
    const read = readNamedFile(reader, entry, 'environment');
    if (!read) continue;
    const { yaml, data } = read;
    const d = data as { defaults?: AppKeys; vars?: Record<string, unknown> };
    environments.set(base, { name: base, defaults: d.defaults ?? {}, vars: d.vars ?? {}, yaml });
    broken.delete(base);
  }
  return { environments, broken };
}

/**
 * Adds the environments clusters name without a file of their own, and
 * reports names that mean two things: `values.<x>.yaml` and the other
 * per-name layers must pick one layer.
 */
export function collectEnvironments(
  files: Map<string, Environment>,
  clusters: readonly Cluster[],
  providers: Iterable<string>,
  problems: ProblemCollector,
): Map<string, Environment> {
  const environments = new Map(files);
  for (const cluster of clusters) {
    if (cluster.environment !== undefined && !environments.has(cluster.environment)) {
      environments.set(cluster.environment, { name: cluster.environment, defaults: {}, vars: {} });
    }
  }
  const providerNames = new Set(providers);
  const clusterOf = new Map(clusters.map((c) => [c.name, c]));
  for (const environment of environments.values()) {
    const other = providerNames.has(environment.name) ? 'provider' : clusterOf.has(environment.name) ? 'cluster' : undefined;
    if (!other) continue;
    const namedBy = environment.yaml ? { file: environment.yaml.file } : firstNamer(clusters, environment.name);
    problems.push({
      code: 'GK_NAME_COLLISION',
      ...namedBy,
      message:
        `environment ${JSON.stringify(environment.name)} has the name of a ${other}; ` +
        `values.${environment.name}.yaml and overrides would mean two things: rename the environment`,
    });
  }
  return environments;
}

function firstNamer(clusters: readonly Cluster[], name: string): { file?: string; line?: number; field?: string } {
  const cluster = clusters.find((c) => c.environment === name);
  return cluster?.yaml ? { file: cluster.yaml.file, line: cluster.yaml.lineOf(['environment']), field: 'environment' } : {};
}

/** The names an environment reference may use: known environments and those whose file is broken. */
export function referableEnvironments(environments: Map<string, Environment>, broken: Set<string>): Set<string> {
  return new Set([...environments.keys(), ...broken]);
}

function unknownEnvironment(name: string, known: Set<string>, where: { file: string; line?: number; field: string }): Problem {
  const list = [...known].sort();
  const hint = list.length > 0 ? `; known: ${list.join(', ')}` : '; no cluster names an environment (add environment: to clusters/<name>.yaml)';
  return { code: 'GK_UNKNOWN_ENVIRONMENT', ...where, message: `unknown environment ${JSON.stringify(name)}${didYouMean(name, list)}${hint}` };
}

/** `environments` of a `clusters` selector at `at` of `yaml` must name environments. */
export function checkSelectorEnvironments(
  selector: AppKeys['clusters'],
  yaml: YamlFile,
  at: (string | number)[],
  known: Set<string>,
  problems: ProblemCollector,
): void {
  if (!selector || Array.isArray(selector)) return;
  selector.environments?.forEach((name, i) => {
    if (known.has(name)) return;
    const path = [...at, 'environments', i];
    problems.push(unknownEnvironment(name, known, { file: yaml.file, line: yaml.lineOf(path), field: fieldOf(path) }));
  });
}

/** An app's `clusters.environments` and `overrides.environments` must name environments. */
export function checkAppEnvironments(app: AppDefinition, known: Set<string>, problems: ProblemCollector): void {
  const yaml = app.yaml;
  if (!yaml || app.kind !== 'spec') return;
  checkSelectorEnvironments(app.keys.clusters, yaml, ['clusters'], known, problems);
  for (const name of Object.keys(app.keys.overrides?.environments ?? {})) {
    if (known.has(name)) continue;
    problems.push(
      unknownEnvironment(name, known, {
        file: yaml.file,
        line: yaml.lineOfKey(['overrides', 'environments'], name),
        field: fieldOf(['overrides', 'environments', name]),
      }),
    );
  }
}
