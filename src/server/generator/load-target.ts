import type { PlatformRepo } from '../../core/model.js';
import { loadPlatformRepo } from '../../core/load/load-platform-repo.js';
import type { ParseCache } from '../../core/yaml/parse-cache.js';
import { displayURL } from '../../sources/redact.js';
import { isRepoURL } from '../repo-url.js';
import { checkRenderInWorker, recordRepoFiles } from './render-worker.js';
import type { Target } from './target.js';

/** Loads of one commit at most: each reads what the one before asked for and was not read ahead. */
const MAX_LOAD_PASSES = 4;

/** What loading a target needs from the generator. */
export interface LoadScope {
  defaultRepo: string;
  /** The URL Argo CD knows the default repo by when it is a local folder. */
  localRepoURL?: string;
  argocdNamespace?: string;
  parseCache: ParseCache;
  /** Whether a commit is rendered in a worker process first. */
  renderWorker: boolean;
  /** Aborted when the server closes: stops render workers. */
  closing: AbortSignal;
}

/** The render options of a target: its path, unless it is the repo's root. */
export function renderOptionsOf(target: Target): { pathPrefix?: string } {
  return { pathPrefix: target.pathPrefix === '.' ? undefined : target.pathPrefix };
}

/** Loads the platform repo at the target's commit, once it is known to render in time (in a worker process, when enabled). */
export async function loadTarget(target: Target, scope: LoadScope, signal: AbortSignal): Promise<PlatformRepo> {
  const source = await target.source.open(target.commit, target.pathPrefix === '.' ? '' : target.pathPrefix, { parseCache: scope.parseCache });
  const files = recordRepoFiles(source);
  const load = {
    repoURL: isRepoURL(target.repoURL) ? displayURL(target.repoURL) : target.repoURL === scope.defaultRepo ? scope.localRepoURL : undefined,
    targetRevision: target.revision || undefined,
    argocdNamespace: scope.argocdNamespace,
  };
  // A git source reads a file it did not read ahead only between passes (a blocking read would stall the server): try again then.
  const withDeferredReads = async <T>(attempt: () => T): Promise<T> => {
    for (let pass = 1; ; pass++) {
      try {
        return attempt();
      } catch (error) {
        if (pass >= MAX_LOAD_PASSES || !(await source.readDeferred?.(signal))) throw error;
      }
    }
  };
  const repo = await withDeferredReads(() => loadPlatformRepo(files.files, { ...load, parseCache: scope.parseCache }));
  // Templates come from Git: the commit is rendered whole in a worker process first, which the timeout
  // kills, so that a commit renders here only once it is known to render in time.
  if (scope.renderWorker) {
    const snapshot = await withDeferredReads(() => files.snapshot());
    await checkRenderInWorker({ snapshot, load, render: renderOptionsOf(target) }, AbortSignal.any([signal, scope.closing]));
  }
  return repo;
}
