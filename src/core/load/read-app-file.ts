import type { ProblemCollector } from '../errors.js';
import { isPlainObject } from '../layering/merge.js';
import type { AppDefinition, AppKeys } from '../model.js';
import { fieldOf, validateAgainst } from '../schema/validate.js';
import type { YamlFile } from '../yaml/parse-yaml.js';
import { checkApplicationFile, keysOfApplication, misplacedObjectMessage } from './check-application-file.js';
import { isDnsLabel } from './dns-label.js';

// SemVer 2 MAJOR.MINOR.PATCH with optional pre-release and build: anything else is a range to Argo CD.
const EXACT_VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

function isApplication(data: unknown): data is Record<string, unknown> {
  return isPlainObject(data) && typeof data.apiVersion === 'string' && data.apiVersion.startsWith('argoproj.io/') && data.kind === 'Application';
}

/** Whether `name` (of `file`) may name an app; reported when not. */
export function checkAppName(name: string, file: string, problems: ProblemCollector): boolean {
  if (isDnsLabel(name, 63)) return true;
  problems.push({
    code: 'GK_INVALID_NAME',
    file,
    message: `app name ${JSON.stringify(name)} must be a DNS-1123 label (lower case letters, digits and -, at most 63 characters)`,
  });
  return false;
}

/**
 * Reads an app definition (`<app>.yaml` or an app folder's app.yaml): app
 * keys, or a full Argo CD Application. Undefined when it has a problem (reported).
 */
export function readAppDefinition(name: string, namespace: string, yaml: YamlFile, problems: ProblemCollector): AppDefinition | undefined {
  const base = { name, namespace, yaml, source: yaml.file, providerValues: new Map(), clusterValues: new Map() };
  if (yaml.data === null || yaml.data === undefined) {
    problems.push({ code: 'GK_INVALID_VALUE', file: yaml.file, line: 1, message: 'is empty; an app needs at least repoURL and chart, or path' });
    return undefined;
  }
  if (isApplication(yaml.data)) {
    const found = checkApplicationFile(yaml);
    // Argo CD has no `gitops-k8s` key: it holds the app keys a full Application can take (where it runs, its name).
    const block = yaml.data['gitops-k8s'];
    if (block !== undefined) found.push(...validateAgainst('applicationKeys', yaml, block, ['gitops-k8s']));
    problems.push(...found);
    return found.length === 0
      ? { ...base, kind: 'application', keys: { ...keysOfApplication(yaml.data), ...((block ?? {}) as AppKeys) }, application: yaml.data }
      : undefined;
  }
  if (!isPlainObject(yaml.data)) {
    problems.push({ code: 'GK_INVALID_VALUE', file: yaml.file, line: yaml.lineOf([]), message: 'an app definition must be a map of app keys' });
    return undefined;
  }
  if (typeof yaml.data.apiVersion === 'string' && typeof yaml.data.kind === 'string') {
    problems.push({
      code: 'GK_INVALID_VALUE',
      file: yaml.file,
      line: yaml.lineOf(['kind']),
      field: 'kind',
      message: misplacedObjectMessage(yaml.data.kind, yaml.data.apiVersion, namespace),
    });
    return undefined;
  }
  const found = validateAgainst('app', yaml);
  problems.push(...found);
  if (found.length > 0) return undefined;
  const keys = yaml.data as AppKeys;
  checkSourceKeys(keys, yaml, problems);
  return { ...base, kind: 'spec', keys };
}

/** A source is a pinned chart of a Helm repository or a path of a Git repository, never a mix. */
function checkSourceKeys(keys: AppKeys, yaml: YamlFile, problems: ProblemCollector): void {
  const at = (field: string): { file: string; line?: number; field: string } => ({ file: yaml.file, line: yaml.lineOf([field]), field });
  if (keys.chart !== undefined) {
    if (!keys.repoURL) problems.push({ code: 'GK_INVALID_VALUE', ...at('chart'), message: 'a chart needs repoURL (the Helm repository)' });
    if (!keys.version) {
      problems.push({
        code: 'GK_UNPINNED_CHART',
        file: yaml.file,
        line: yaml.lineOf(['chart']),
        field: 'version',
        message: `chart ${JSON.stringify(keys.chart)} has no version; pin one (nothing unpinned reaches a cluster)`,
      });
    }
  }
  checkVersion(keys.version, yaml, ['version'], problems);
  for (const kind of ['providers', 'environments', 'clusters'] as const) {
    for (const [name, override] of Object.entries(keys.overrides?.[kind] ?? {})) {
      checkVersion(override.version, yaml, ['overrides', kind, name, 'version'], problems);
    }
  }
  if (keys.chart !== undefined) {
    if (keys.path !== undefined) problems.push({ code: 'GK_INVALID_VALUE', ...at('path'), message: 'give chart or path, not both' });
  } else if (keys.version !== undefined) {
    problems.push({ code: 'GK_INVALID_VALUE', ...at('version'), message: 'version is for Helm charts; a Git source takes targetRevision' });
  }
  if (keys.repoURL !== undefined && keys.chart === undefined && keys.path === undefined) {
    problems.push({ code: 'GK_INVALID_VALUE', ...at('repoURL'), message: 'repoURL needs chart (Helm repository) or path (Git repository)' });
  }
}

function checkVersion(version: string | undefined, yaml: YamlFile, path: (string | number)[], problems: ProblemCollector): void {
  if (version === undefined || version === '' || EXACT_VERSION.test(version)) return;
  const range = /[*^~<>=|xX]|\s-\s/.test(version) || /^v?\d+(\.\d+)?$/.test(version);
  problems.push({
    code: 'GK_UNPINNED_CHART',
    file: yaml.file,
    line: yaml.lineOf(path),
    field: fieldOf(path),
    message:
      `version ${JSON.stringify(version)} is ${range ? 'a range, not a pinned version' : 'not an exact version'}; ` +
      'pin one exact chart version (MAJOR.MINOR.PATCH)',
  });
}
