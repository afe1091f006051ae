import { Option, type Command } from 'commander';
import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { collect, splitList, type CliIO } from '../cli-io.js';
import { defineCommand } from '../define-command.js';
import { diffPlatforms, hasChanges, type PlatformDiff } from '../../core/diff/diff-platforms.js';
import { diffFormats, formatDiff, type DiffFormat } from '../../core/diff/format-diff.js';
import { createError, isGitopsError } from '../../core/errors.js';
import type { ManifestDiff } from '../../manifests/diff-manifests.js';
import { formatManifestDiffMarkdown, formatManifestDiffText } from '../../manifests/format-manifest-diff.js';
import { checkoutGitSource } from '../../manifests/git-checkout.js';
import { renderManifestDiff } from '../../manifests/render-manifest-diff.js';
import { resolvePathPrefix } from '../../core/render/path-prefix.js';
import { defaultCacheDir } from '../../manifests/render-manifests.js';
import { parseRepoMap } from '../../manifests/repo-map.js';
import { renderPlatform, type RenderedPlatform } from '../../core/render/render-platform.js';
import { openGitCommit, resolveRevision } from '../../sources/git/git.js';
import { gitText } from '../../sources/git/run-git.js';
import { formatEnvironmentHelp, RENDERING_VARIABLES } from './environment-help.js';
import { createOutputOption } from './output-option.js';

/** Exit codes of `diff`, like diff(1): 0 same, 1 different, 2 trouble. */
export const EXIT_SAME = 0;
export const EXIT_DIFFERENT = 1;
export const EXIT_TROUBLE = 2;

interface DiffOptions {
  base: string;
  head: string;
  output: DiffFormat;
  /** The deprecated spelling of --output. */
  format?: DiffFormat;
  repoUrl?: string;
  revision?: string;
  manifests?: boolean;
  repoMap?: string[];
  cacheDir?: string;
  concurrency?: string;
  ociPlainHttp?: boolean;
}

/** Where a folder sits in its git work tree: the top level and the folder relative to it. */
async function locateInGit(dir: string): Promise<{ top: string; sub: string }> {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch (error) {
    throw createError('GK_NOT_FOUND', `folder ${dir} does not exist`, {}, { cause: error });
  }
  const top = (
    await gitText(['rev-parse', '--show-toplevel'], { cwd: real, timeoutMs: 30_000 }).catch((error: unknown) => {
      throw createError('GK_GIT', `${dir} is not inside a git work tree (diff compares two revisions in git)`, {}, { cause: error });
    })
  ).trim();
  const sub = path.relative(realpathSync(top), real).split(path.sep).join('/');
  return { top, sub: sub === '' ? '.' : sub };
}

async function renderRevision(top: string, sub: string, commit: string, which: 'base' | 'head', opts: DiffOptions): Promise<RenderedPlatform> {
  const files = await openGitCommit(top, commit, { path: sub, label: `${which} ${commit.slice(0, 12)}` });
  return renderPlatform(files, { repoURL: opts.repoUrl, targetRevision: opts.revision });
}

/** Files that differ between two commits, relative to the platform folder `sub`. */
async function changedFiles(top: string, sub: string, base: string, head: string): Promise<string[]> {
  const relative = sub === '.' ? [] : [`--relative=${sub}/`];
  const out = await gitText(['diff', '--name-only', '-z', '--no-renames', ...relative, base, head], { cwd: top, timeoutMs: 60_000 });
  return out.split('\0').filter(Boolean);
}

interface Revision {
  commit: string;
  platform: RenderedPlatform;
}

/**
 * Renders what the touched Applications deploy at both revisions. Each
 * revision's platform folder is checked out into the cache (by commit, like
 * any Git source): the work tree may hold neither revision.
 */
async function diffRevisionManifests(
  top: string,
  sub: string,
  base: Revision,
  head: Revision,
  diff: PlatformDiff,
  opts: DiffOptions,
  io: CliIO,
): Promise<ManifestDiff> {
  const concurrency = opts.concurrency === undefined ? Math.max(1, os.availableParallelism()) : Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw createError('GK_USAGE', `--concurrency must be a positive integer (got ${JSON.stringify(opts.concurrency)})`);
  const cacheDir = opts.cacheDir ? path.resolve(io.cwd, opts.cacheDir) : defaultCacheDir(io.env);
  const checkouts = new Map<string, Promise<string>>();
  const folderAt = async (commit: string): Promise<string> =>
    path.join(await checkoutGitSource(pathToFileURL(top).href, commit, { cacheDir, env: io.env, checkouts }), sub);
  const side = async (r: Revision) => ({
    repo: r.platform.repo,
    apps: r.platform.apps,
    platformDir: await folderAt(r.commit),
    pathPrefix: resolvePathPrefix({ settings: r.platform.repo.settings.path }),
  });
  return renderManifestDiff({
    base: await side(base),
    head: await side(head),
    platformDiff: diff,
    changedFiles: await changedFiles(top, sub, base.commit, head.commit),
    options: {
      cacheDir,
      repoMap: parseRepoMap([...splitList(io.env.GITOPS_K8S_REPO_MAP), ...(opts.repoMap ?? [])]),
      env: io.env,
      concurrency,
      ociPlainHttp: opts.ociPlainHttp === true || io.env.GITOPS_K8S_OCI_PLAIN_HTTP === 'true',
    },
  });
}

function formatManifestDiff(manifests: ManifestDiff, format: DiffFormat): string {
  return format === 'markdown' ? formatManifestDiffMarkdown(manifests) : formatManifestDiffText(manifests);
}

export function registerDiff(program: Command, io: CliIO): void {
  const command = program
    .command('diff')
    .description('show the Applications and AppProjects added, removed and changed between two git revisions (exit 0 same, 1 different, 2 error)')
    .argument('[dir]', 'the platform repo: a folder in a git work tree', '.')
    .requiredOption('--base <rev>', 'the revision to compare from (branch, tag or commit)')
    .option('--head <rev>', 'the revision to compare to', 'HEAD')
    .addOption(createOutputOption(diffFormats, 'text'))
    // Deprecated for -o (every command spells it so); kept, hidden, for one release.
    .addOption(new Option('-f, --format <format>').choices(diffFormats).conflicts('output').hideHelp())
    .option('--repo-url <url>', 'URL of the platform repo, when gitops.yaml has no repoURL')
    .option('--revision <rev>', 'targetRevision for path sources, when gitops.yaml has none')
    .option(
      '--manifests',
      'also render what the changed Applications deploy (helm, kustomize, directories) at both revisions ' +
        'and show the Kubernetes resources added, removed and changed',
    )
    .option(
      '--repo-map <from=to>',
      'with --manifests: fetch repoURLs starting with FROM from TO instead (a mirror); repeatable, also GITOPS_K8S_REPO_MAP',
      collect,
    )
    .option('--cache-dir <dir>', 'with --manifests: where charts and checkouts are kept (default $GITOPS_K8S_CACHE_DIR or ~/.cache/gitops-k8s)')
    .option('--concurrency <n>', 'with --manifests: most helm/kustomize runs at once (default: the number of CPUs)')
    .option('--oci-plain-http', 'with --manifests: pull oci:// charts over plain HTTP (also GITOPS_K8S_OCI_PLAIN_HTTP=true)')
    .addHelpText('after', formatEnvironmentHelp(RENDERING_VARIABLES.map((v) => ({ ...v, what: `with --manifests: ${v.what}` }))));
  defineCommand(io, {
    command,
    // Any error is trouble (2): 1 means the revisions differ.
    exitCodeOf: () => EXIT_TROUBLE,
    run: async (dir: string, opts: DiffOptions) => {
      // Which revision is being rendered, so a failure says which side is broken.
      let rendering: string | undefined;
      try {
        if (opts.format !== undefined) io.stderr('warning: -f/--format is deprecated; use -o/--output\n');
        const format = opts.format ?? opts.output;
        const { top, sub } = await locateInGit(path.resolve(io.cwd, dir));
        const baseCommit = await resolveRevision(top, opts.base);
        const headCommit = await resolveRevision(top, opts.head);
        rendering = `base revision ${opts.base} (${baseCommit.slice(0, 12)})`;
        const base = await renderRevision(top, sub, baseCommit, 'base', opts);
        rendering = `head revision ${opts.head} (${headCommit.slice(0, 12)})`;
        const head = await renderRevision(top, sub, headCommit, 'head', opts);
        rendering = undefined;
        const diff = diffPlatforms(base, head);
        const show = (rev: string, commit: string): string => (commit.startsWith(rev.toLowerCase()) ? commit.slice(0, 7) : `${rev} (${commit.slice(0, 7)})`);
        const text = formatDiff(diff, format, { base: show(opts.base, baseCommit), head: show(opts.head, headCommit) });
        if (!opts.manifests) {
          io.stdout(text);
        } else {
          rendering = `manifests of ${opts.base}..${opts.head}`;
          const manifests = await diffRevisionManifests(
            top,
            sub,
            { commit: baseCommit, platform: base },
            { commit: headCommit, platform: head },
            diff,
            opts,
            io,
          );
          rendering = undefined;
          // JSON stays one document: the resources go under `manifests`.
          io.stdout(
            format === 'json'
              ? `${JSON.stringify({ ...(JSON.parse(text) as object), manifests }, null, 2)}\n`
              : `${text}\n${formatManifestDiff(manifests, format)}`,
          );
          if (manifests.apps.some((a) => a.resources.length > 0)) return EXIT_DIFFERENT;
        }
        return hasChanges(diff) ? EXIT_DIFFERENT : EXIT_SAME;
      } catch (error) {
        if (rendering && isGitopsError(error)) io.stderr(`the ${rendering} ${rendering.startsWith('manifests') ? 'cannot be rendered' : 'does not render'}:\n`);
        throw error;
      }
    },
  });
}
