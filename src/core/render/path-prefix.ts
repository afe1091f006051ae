import path from 'node:path';
import { normalizeRepoPath } from '../../sources/repo-files.js';

/**
 * The path prefix is where the platform repo sits in its Git repository.
 * Argo CD reads path sources from the repository's root, so they carry it;
 * `check` and `diff --manifests` strip it again to find the folder a source
 * reads, and lint's GitHub annotations name files from the root too. This
 * module is the one place that reads, chooses and applies it.
 */

/** Where the platform repo is found, each place as {@link readPathPrefix} gives it. */
export interface PathPrefixPlaces {
  /**
   * The place given by whoever runs the render, who knows best: `--path-prefix`,
   * ARGOCD_APP_SOURCE_PATH under the CMP (even `.`), a generator request's `path`.
   */
  given?: string;
  /** gitops.yaml `path`. */
  settings?: string;
  /** Where the folder sits in the Git work tree holding it (the CLI asks git); called only when neither of the above is set. */
  detect?: () => string | undefined;
}

/** A place given for the platform repo as a repo path, `.` for the root; one that leaves the repository is an error naming `field`. */
export function readPathPrefix(value: string, field?: string): string {
  return normalizeRepoPath(value, field === undefined ? {} : { field });
}

/** The path prefix: the place given, else gitops.yaml `path`, else the detected place, else the root (`.`). */
export function resolvePathPrefix(places: PathPrefixPlaces): string {
  return places.given ?? places.settings ?? places.detect?.() ?? '.';
}

function isRoot(prefix: string | undefined): boolean {
  return prefix === undefined || prefix === '' || prefix === '.' || prefix === './' || prefix === '/';
}

/** A path of the platform repo as a path of its Git repository. */
export function prefixPath(prefix: string | undefined, p: string): string {
  const normal = path.posix.normalize(p).replace(/\/+$/, '');
  return isRoot(prefix) ? normal : path.posix.join(prefix!, normal);
}

/** A path of the Git repository as a path of the platform repo (`.` for its root); undefined outside it. */
export function unprefixPath(prefix: string | undefined, p: string): string | undefined {
  const normal = path.posix.normalize(p);
  if (isRoot(prefix)) return normal;
  if (normal === prefix) return '.';
  return normal.startsWith(`${prefix}/`) ? normal.slice(prefix!.length + 1) : undefined;
}
