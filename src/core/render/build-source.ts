import { isPlainObject } from '../layering/merge.js';
import type { AppKeys, PlatformRepo } from '../model.js';
import { copyKeyFields, SOURCE_PART } from './app-key-fields.js';
import { prefixPath, resolvePathPrefix } from './path-prefix.js';

/**
 * The `spec.source` of an Application made from app keys: a chart, a path in
 * another repository, or a path in the platform repo (`pathPrefix` places
 * it). `ownFolder`: the source is the app folder itself, whose own files are
 * then excluded.
 */
export function buildSource(
  repo: PlatformRepo,
  keys: AppKeys,
  pathPrefix: string | undefined,
  ownFolder: boolean,
  problem: (field: string, message: string) => void,
): Record<string, unknown> {
  const source: Record<string, unknown> = {};
  if (keys.chart !== undefined) {
    source.repoURL = keys.repoURL;
    source.chart = keys.chart;
    source.targetRevision = keys.version;
  } else if (keys.repoURL !== undefined) {
    source.repoURL = keys.repoURL;
    source.path = keys.path;
    source.targetRevision = keys.targetRevision ?? 'HEAD';
  } else {
    if (!repo.settings.repoURL) {
      problem(
        'path',
        'a path in the platform repo needs its URL: set repoURL in gitops.yaml or pass --repo-url (the CMP and the server fill it in themselves)',
      );
    }
    source.repoURL = repo.settings.repoURL ?? '';
    // Argo CD paths are Git paths: inside the platform repo they carry its prefix.
    source.path = prefixPath(resolvePathPrefix({ given: pathPrefix, settings: repo.settings.path }), keys.path ?? '.');
    source.targetRevision = keys.targetRevision ?? repo.settings.targetRevision;
  }
  copyKeyFields(source, SOURCE_PART, keys);
  if (ownFolder && !source.helm && !source.kustomize) excludeOwnFiles(source);
  return source;
}

/** The files of an app folder that are gitops-k8s's, not manifests for the cluster. */
const OWN_FILES = ['app.yaml', 'app.yml', 'values.yaml', 'values.yml', 'values.*.yaml', 'values.*.yml'];

/**
 * An app folder of plain manifests is a directory source, and Argo CD would
 * apply every YAML file in it, app.yaml and values files too: they are
 * excluded, merged with the user's own `exclude` as one `{a,b}` glob.
 */
function excludeOwnFiles(source: Record<string, unknown>): void {
  const directory = (isPlainObject(source.directory) ? source.directory : {}) as Record<string, unknown>;
  const given = typeof directory.exclude === 'string' ? directory.exclude.trim() : '';
  // `{a,b}` given by the user is spliced in rather than nested: one level of braces is what every glob library reads alike.
  const theirs = /^\{[^{}]*\}$/.test(given) ? given.slice(1, -1).split(',') : given === '' ? [] : [given];
  const patterns = [...OWN_FILES, ...theirs.filter((p) => !OWN_FILES.includes(p))];
  source.directory = { ...directory, exclude: `{${patterns.join(',')}}` };
}
