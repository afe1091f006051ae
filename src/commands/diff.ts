import { Option, type Command } from 'commander';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { EXIT_OK, reportError, type CliIO } from '../cli-io.js';
import { diffPlatforms, hasChanges } from '../diff/diff-platforms.js';
import { diffFormats, formatDiff, type DiffFormat } from '../diff/format-diff.js';
import { createError, isGitopsError } from '../errors.js';
import { renderPlatform, type RenderedPlatform } from '../render-platform.js';
import { openGitCommit, resolveRevision } from '../sources/git.js';
import { gitText } from '../sources/run-git.js';
import { formatEnvironmentHelp } from './environment-help.js';
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
}

/** Where a folder sits in its git work tree: the top level and the folder relative to it. */
async function locateInGit(dir: string): Promise<{ top: string; sub: string }> {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch (error) {
    throw createError('GK_NOT_FOUND', `folder ${dir} does not exist`, {}, { cause: error });
  }
  const top = (await gitText(['rev-parse', '--show-toplevel'], { cwd: real, timeoutMs: 30_000 }).catch((error: unknown) => {
    throw createError('GK_GIT', `${dir} is not inside a git work tree (diff compares two revisions in git)`, {}, { cause: error });
  })).trim();
  const sub = path.relative(realpathSync(top), real).split(path.sep).join('/');
  return { top, sub: sub === '' ? '.' : sub };
}

async function renderRevision(top: string, sub: string, commit: string, which: 'base' | 'head', opts: DiffOptions): Promise<RenderedPlatform> {
  const files = await openGitCommit(top, commit, { path: sub, label: `${which} ${commit.slice(0, 12)}` });
  return renderPlatform(files, { repoURL: opts.repoUrl, targetRevision: opts.revision });
}

export function registerDiff(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
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
    .addHelpText('after', formatEnvironmentHelp([]))
    .action(async (dir: string, opts: DiffOptions) => {
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
        io.stdout(formatDiff(diff, format, { base: show(opts.base, baseCommit), head: show(opts.head, headCommit) }));
        setExit(hasChanges(diff) ? EXIT_DIFFERENT : EXIT_SAME);
      } catch (error) {
        if (rendering && isGitopsError(error)) io.stderr(`the ${rendering} does not render:\n`);
        const code = reportError(io, error);
        setExit(code === EXIT_OK ? EXIT_OK : EXIT_TROUBLE);
      }
    });
}
