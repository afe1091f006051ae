import { createError } from '../../core/errors.js';
import type { PlatformSource } from '../../sources/platform-source.js';
import { displayURL } from '../../sources/redact.js';
import { readPathPrefix } from '../../core/render/path-prefix.js';
import { canonicalRepo } from '../repo-url.js';
import { cacheKeysOf, type CacheKeys } from './cache-keys.js';

/** What a request names: a repo (default: the generator's), a revision and a path in it. */
export interface TargetParams {
  repoURL?: string;
  revision?: string;
  path?: string;
}

/** A commit of a repo at a path, as the caches know it. */
export interface Target {
  repoURL: string;
  source: PlatformSource;
  commit: string;
  pathPrefix: string;
  revision: string;
  keys: CacheKeys;
}

/** What resolving a target needs from the generator. */
export interface TargetScope {
  cwd: string;
  defaultRepo: string;
  isAllowed(repoURL: string): boolean;
  sourceFor(repoURL: string): PlatformSource;
}

/** Resolves a request's repo, revision and path to a commit, checking the allowlist first. */
export async function resolveTarget(params: TargetParams, scope: TargetScope, signal?: AbortSignal): Promise<Target> {
  const repoURL = params.repoURL || scope.defaultRepo;
  // The allowlist is checked before anything is fetched or even parsed further.
  if (!scope.isAllowed(repoURL)) {
    throw createError('GK_REPO_NOT_ALLOWED', `repository ${displayURL(repoURL)} is not on the allowlist of this generator`, { field: 'repoURL' });
  }
  const pathPrefix = readPathPrefix(params.path ?? '.', 'path');
  const revision = params.revision ?? '';
  const source = scope.sourceFor(repoURL);
  const commit = await source.resolve(revision, signal);
  return { repoURL, source, commit, pathPrefix, revision, keys: cacheKeysOf(canonicalRepo(repoURL, scope.cwd), pathPrefix, revision, commit) };
}
