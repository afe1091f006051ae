import { didYouMean } from '../did-you-mean.js';
import type { Problem } from '../errors.js';
import type { AppDefinition } from '../model.js';
import { normalizeRepoPath, type RepoEntry } from '../../sources/repo-files.js';

export interface AppFolder {
  dir: string;
  entries: readonly RepoEntry[];
  app: AppDefinition;
  /** Provider and cluster names a `values.<x>.yaml` may carry. */
  layerNames: Iterable<string>;
}

const OUR_FILES = /^(app|values(\..+)?)\.ya?ml$/;
// Helm's usual spellings of a per-environment values file: values-eks.yaml, values_eks.yaml.
const HELM_STYLE_VALUES = /^values[-_](.+)\.ya?ml$/;

/** Every `valueFiles` an app's own definition names (its keys and its overrides), untemplated. */
function valueFilesOf(app: AppDefinition): string[] {
  const lists = [
    app.keys.valueFiles,
    ...Object.values(app.keys.overrides?.providers ?? {}).map((o) => o.valueFiles),
    ...Object.values(app.keys.overrides?.clusters ?? {}).map((o) => o.valueFiles),
  ];
  return lists.flatMap((list) => list ?? []);
}

/**
 * Files of an app folder that nothing would read are errors, never silently
 * ignored: `values-eks.yaml` (we read `values.eks.yaml`; a chart reads it only
 * through `valueFiles`) and YAML files beside an app.yaml whose source is
 * somewhere else.
 */
export function checkAppFolder({ dir, entries, app, layerNames }: AppFolder): Problem[] {
  const problems: Problem[] = [];
  const isSource = sourceFolder(app) === dir;
  const named = new Set(valueFilesOf(app).map((f) => safeNormal(f)));
  for (const entry of entries) {
    if (entry.type !== 'file' || entry.name.startsWith('.') || !/\.ya?ml$/.test(entry.name) || OUR_FILES.test(entry.name)) continue;
    const file = `${dir}/${entry.name}`;
    if (isSource && named.has(entry.name)) continue;
    const helm = HELM_STYLE_VALUES.exec(entry.name);
    if (helm) {
      const layer = helm[1]!;
      const ext = entry.name.endsWith('.yml') ? 'yml' : 'yaml';
      const known = [...layerNames];
      const hint = known.includes(layer) ? '' : didYouMean(layer, known);
      problems.push({
        code: 'GK_INVALID_NAME',
        file,
        message:
          `is not read: values for a provider or cluster are values.<name>.yaml (rename it to "values.${layer}.${ext}")` +
          `${hint}${isSource ? ', or list it in valueFiles' : ''}`,
      });
      continue;
    }
    if (!isSource) {
      problems.push({
        code: 'GK_INVALID_VALUE',
        file,
        message:
          `is not read: the app's source is ${describeSource(app)}, not this folder, ` +
          'so only app.yaml, values.yaml and values.<provider|cluster>.yaml are read here; move or remove it',
      });
    }
  }
  return problems;
}

/** The folder of the platform repo an app's source is, if it is one. */
function sourceFolder(app: AppDefinition): string | undefined {
  if (app.kind === 'folder') return app.dir;
  if (app.kind !== 'spec' || app.keys.repoURL !== undefined || app.keys.chart !== undefined || app.keys.path === undefined) return undefined;
  return safeNormal(app.keys.path);
}

/**
 * `valueFiles` of an app's own definition naming a file its in-repo source
 * lacks: Argo CD would fail on it only after the Application is out.
 */
export function checkValueFiles(app: AppDefinition, kindOf: (path: string) => 'file' | 'dir' | undefined, beside: readonly string[] = []): Problem[] {
  const source = sourceFolder(app);
  if (source === undefined) return [];
  const problems: Problem[] = [];
  for (const [i, name] of (app.keys.valueFiles ?? []).entries()) {
    // Templated entries are checked once rendered; .. and absolute paths are errors of their own.
    if (name.includes('{{') || name.split('/').includes('..') || name.startsWith('/')) continue;
    if (kindOf(`${source}/${name}`) !== 'file') {
      problems.push({
        code: 'GK_NOT_FOUND',
        file: app.source,
        line: app.yaml?.lineOf(['valueFiles', i]),
        field: `valueFiles[${i}]`,
        message: `no file ${JSON.stringify(name)} in ${source}${source === app.dir ? didYouMean(name, beside) : ''}`,
      });
    }
  }
  return problems;
}

function safeNormal(p: string): string | undefined {
  try {
    return normalizeRepoPath(p);
  } catch {
    // A path that leaves the repo is an error of its own (checkPaths).
    return undefined;
  }
}

function describeSource(app: AppDefinition): string {
  if (app.keys.chart !== undefined) return `the chart ${app.keys.chart} of ${app.keys.repoURL ?? 'its repository'}`;
  if (app.keys.repoURL !== undefined) return `${app.keys.repoURL}${app.keys.path ? ` (${app.keys.path})` : ''}`;
  return `the folder ${app.keys.path ?? '?'}`;
}
