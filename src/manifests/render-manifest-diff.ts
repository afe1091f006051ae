/**
 * Renders the manifests of the Applications a change touches, at both
 * revisions, and compares them. Touched: added, removed or changed
 * Applications, and those whose folder in the platform repo holds a changed
 * file (their Application can stay the same while what they deploy does not).
 */
import type { PlatformDiff } from '../core/diff/diff-platforms.js';
import type { PlatformRepo } from '../core/model.js';
import type { RenderedApp } from '../core/render/render-applications.js';
import { diffManifests, type ManifestDiff } from './diff-manifests.js';
import { platformFolderOf, renderManifests, sourcesOf, type ManifestOptions } from './render-manifests.js';

/** One revision: what it generates and where its platform folder is on disk. */
export interface ManifestRevision {
  repo: PlatformRepo;
  apps: readonly RenderedApp[];
  /** The platform folder checked out at this revision. */
  platformDir: string;
  /** Where that folder sits in its Git repository, as the Applications were rendered with. */
  pathPrefix?: string;
}

export interface ManifestDiffInput {
  base: ManifestRevision;
  head: ManifestRevision;
  platformDiff: PlatformDiff;
  /** Files that differ between the revisions, relative to the platform folder. */
  changedFiles: readonly string[];
  options: Omit<ManifestOptions, 'platformDir' | 'pathPrefix'>;
}

/** Whether an Application reads a folder of the platform repo that holds one of `files`. */
function readsChangedFile(side: ManifestRevision, r: RenderedApp, files: readonly string[]): boolean {
  return sourcesOf(r).some((source) => {
    const folder = platformFolderOf(side.repo, side.pathPrefix, source);
    if (folder === undefined) return false;
    return folder === '.' || files.some((f) => f === folder || f.startsWith(`${folder}/`));
  });
}

/** The Applications to render on each side, by name. */
function touchedApplications(input: Pick<ManifestDiffInput, 'base' | 'head' | 'platformDiff' | 'changedFiles'>): Set<string> {
  const names = new Set(input.platformDiff.objects.filter((o) => o.kind === 'Application').map((o) => o.name));
  if (input.changedFiles.length > 0) {
    for (const side of [input.base, input.head]) {
      for (const r of side.apps) if (readsChangedFile(side, r, input.changedFiles)) names.add(r.application.metadata.name);
    }
  }
  return names;
}

/**
 * Renders the touched Applications at base and head and compares their
 * resources. A revision that cannot be rendered throws (every problem at
 * once): a diff on half the picture would read as resources removed.
 */
export async function renderManifestDiff(input: ManifestDiffInput): Promise<ManifestDiff> {
  const names = touchedApplications(input);
  const render = (side: ManifestRevision) =>
    renderManifests(
      side.repo,
      side.apps.filter((r) => names.has(r.application.metadata.name)),
      { ...input.options, platformDir: side.platformDir, pathPrefix: side.pathPrefix },
    );
  const base = await render(input.base);
  const head = await render(input.head);
  const diff = diffManifests(base.apps, head.apps);
  // Touched through a changed file only, and deploying the same: nothing to say.
  const changedApps = new Set(input.platformDiff.objects.filter((o) => o.kind === 'Application').map((o) => o.name));
  return { apps: diff.apps.filter((a) => a.resources.length > 0 || changedApps.has(a.application)) };
}
