import { didYouMean, providerAliases } from '../did-you-mean.js';
import type { ProblemCollector } from '../errors.js';
import type { AppDefinition, AppKeys, Provider } from '../model.js';
import { fieldOf } from '../schema/validate.js';
import type { YamlFile } from '../yaml/parse-yaml.js';
import { checkAppEnvironments, checkSelectorEnvironments } from './environments.js';

/**
 * The names a reference may use: those that exist and those whose file has a
 * problem (reported already, so naming it is not also "unknown").
 */
export interface Referable {
  providers: Map<string, Provider>;
  clusters: Set<string>;
  environments: Set<string>;
}

type UnknownNameCode = 'GK_UNKNOWN_CLUSTER' | 'GK_UNKNOWN_PROVIDER';

/** Where a name is used: the file and the field path, and how to find its line when that is not the path's own. */
interface NameUse {
  yaml: YamlFile;
  path: (string | number)[];
  line?: () => number | undefined;
  /** Whether the message lists the known names. */
  listKnown: boolean;
}

function checkName(name: string, known: Iterable<string>, code: UnknownNameCode, use: NameUse, problems: ProblemCollector): void {
  const list = [...known];
  if (list.includes(name)) return;
  const { yaml, path } = use;
  const line = use.line ? use.line() : yaml.lineOf(path);
  const hint = didYouMean(name, list, code === 'GK_UNKNOWN_PROVIDER' ? providerAliases : undefined);
  // Sorted after the hint: didYouMean sees the names in their own order.
  const knownList = use.listKnown ? `; known: ${list.sort().join(', ')}` : '';
  problems.push({
    code,
    file: yaml.file,
    line,
    field: fieldOf(path),
    message: `unknown ${code === 'GK_UNKNOWN_CLUSTER' ? 'cluster' : 'provider'} ${JSON.stringify(name)}${hint}${knownList}`,
  });
}

/** Cluster and provider names in a `clusters` selector at `at` of `yaml` must exist. */
function checkSelectorNames(selector: AppKeys['clusters'], yaml: YamlFile, at: (string | number)[], referable: Referable, problems: ProblemCollector): void {
  if (!selector) return;
  const check = (name: string, known: Iterable<string>, path: (string | number)[], code: UnknownNameCode): void => {
    checkName(name, known, code, { yaml, path, listKnown: true }, problems);
  };
  if (Array.isArray(selector)) {
    selector.forEach((n, i) => {
      check(n, referable.clusters, [...at, i], 'GK_UNKNOWN_CLUSTER');
    });
    return;
  }
  selector.names?.forEach((n, i) => {
    check(n, referable.clusters, [...at, 'names', i], 'GK_UNKNOWN_CLUSTER');
  });
  selector.exclude?.forEach((n, i) => {
    check(n, referable.clusters, [...at, 'exclude', i], 'GK_UNKNOWN_CLUSTER');
  });
  selector.providers?.forEach((n, i) => {
    check(n, referable.providers.keys(), [...at, 'providers', i], 'GK_UNKNOWN_PROVIDER');
  });
}

/** Every name in a `clusters` selector at `at` of `yaml` (clusters, providers, environments) must exist. */
export function checkSelector(selector: AppKeys['clusters'], yaml: YamlFile, at: (string | number)[], referable: Referable, problems: ProblemCollector): void {
  checkSelectorNames(selector, yaml, at, referable, problems);
  checkSelectorEnvironments(selector, yaml, at, referable.environments, problems);
}

// Cluster, provider and environment names used by an app must exist: a typo there would silently deploy nowhere.
export function checkReferences(app: AppDefinition, referable: Referable, problems: ProblemCollector): void {
  const yaml = app.yaml;
  if (yaml && app.kind === 'application') checkSelectorNames(app.keys.clusters, yaml, ['gitops-k8s', 'clusters'], referable, problems);
  if (yaml && app.kind === 'spec') {
    checkSelectorNames(app.keys.clusters, yaml, ['clusters'], referable, problems);
    for (const p of Object.keys(app.keys.overrides?.providers ?? {})) {
      const line = (): number | undefined => yaml.lineOfKey(['overrides', 'providers'], p);
      checkName(p, referable.providers.keys(), 'GK_UNKNOWN_PROVIDER', { yaml, path: ['overrides', 'providers', p], line, listKnown: false }, problems);
    }
    for (const c of Object.keys(app.keys.overrides?.clusters ?? {})) {
      const line = (): number | undefined => yaml.lineOfKey(['overrides', 'clusters'], c);
      checkName(c, referable.clusters, 'GK_UNKNOWN_CLUSTER', { yaml, path: ['overrides', 'clusters', c], line, listKnown: false }, problems);
    }
  }
  checkAppEnvironments(app, referable.environments, problems);
}
