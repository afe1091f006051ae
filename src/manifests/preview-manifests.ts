/**
 * Manifests in pull-request previews, when the server is told to render them
 * (GITOPS_K8S_PREVIEW_MANIFESTS=true: it needs helm and access to the chart
 * repositories). Each commit's platform folder is checked out into the cache
 * like any Git source, with the same credentials.
 */
import os from 'node:os';
import path from 'node:path';
import type { PlatformDiff } from '../core/diff/diff-platforms.js';
import type { RenderedPlatform } from '../core/render/render-platform.js';
import { splitList } from '../cli/cli-io.js';
import type { ManifestDiff } from './diff-manifests.js';
import { checkoutGitSource } from './git-checkout.js';
import { renderManifestDiff } from './render-manifest-diff.js';
import { defaultCacheDir } from './render-manifests.js';
import { parseRepoMap } from './repo-map.js';
import { readPathPrefix, resolvePathPrefix } from '../core/render/path-prefix.js';

/** One side of a pull request as the server rendered it (before any retargeting). */
export interface PreviewRevision {
  commit: string;
  platform: Pick<RenderedPlatform, 'repo' | 'apps'>;
}

/** A renderer of the manifest diff of a pull request, or undefined when previews do not render manifests. */
export function previewManifestsFrom(
  env: NodeJS.ProcessEnv,
  previewPath: string,
): ((repoURL: string, base: PreviewRevision, head: PreviewRevision) => (diff: PlatformDiff) => Promise<ManifestDiff>) | undefined {
  if (env.GITOPS_K8S_PREVIEW_MANIFESTS !== 'true') return undefined;
  const cacheDir = defaultCacheDir(env);
  const sub = resolvePathPrefix({ given: readPathPrefix(previewPath, 'GITOPS_K8S_PREVIEW_PATH') });
  return (repoURL, base, head) => async (diff) => {
    const checkouts = new Map<string, Promise<string>>();
    const side = async (r: PreviewRevision) => ({
      repo: r.platform.repo,
      apps: r.platform.apps,
      platformDir: path.join(await checkoutGitSource(repoURL, r.commit, { cacheDir, env, checkouts }), sub),
      // The prefix the server rendered the Applications with (the root given is no place given: gitops.yaml `path` then).
      pathPrefix: resolvePathPrefix({ given: sub === '.' ? undefined : sub, settings: r.platform.repo.settings.path }),
    });
    return renderManifestDiff({
      base: await side(base),
      head: await side(head),
      platformDiff: diff,
      // Two shallow checkouts share no history to diff; folder apps show when their Application changes.
      changedFiles: [],
      options: {
        cacheDir,
        repoMap: parseRepoMap(splitList(env.GITOPS_K8S_REPO_MAP)),
        env,
        concurrency: Math.max(1, Math.floor(os.availableParallelism() / 2)),
        ociPlainHttp: env.GITOPS_K8S_OCI_PLAIN_HTTP === 'true',
      },
    });
  };
}
