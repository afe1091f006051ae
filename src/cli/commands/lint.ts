import type { Command } from 'commander';
import path from 'node:path';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, type CliIO } from '../cli-io.js';
import { defineCommand } from '../define-command.js';
import { GitopsError } from '../../core/errors.js';
import { formatProblemsGithub, formatProblemsJson, PROBLEM_FORMATS, type ProblemFormat } from '../format-output.js';
import { detectGitPrefix } from '../git-prefix.js';
import { resolvePathPrefix } from '../../core/render/path-prefix.js';
import { lintPlatform } from '../../core/render/render-platform.js';
import { openLocalRepo } from '../../sources/repo-files.js';
import { formatEnvironmentHelp } from './environment-help.js';
import { createOutputOption } from './output-option.js';

export function registerLint(program: Command, io: CliIO): void {
  const command = program
    .command('lint')
    .description('check a platform repo and report every problem at once (exit 1 if any)')
    .argument('[dir]', 'the platform repo', '.')
    .addOption(createOutputOption(PROBLEM_FORMATS, 'text'))
    .option('--repo-url <url>', 'URL of the platform repo, when gitops.yaml has no repoURL (as the CMP and the server know it)')
    .addHelpText('after', formatEnvironmentHelp([]));
  defineCommand(io, {
    command,
    run: (dir: string, opts: { output: ProblemFormat; repoUrl?: string }) => {
      const root = path.resolve(io.cwd, dir);
      try {
        const platform = lintPlatform(openLocalRepo(root), { repoURL: opts.repoUrl });
        const clusters = new Set(platform.apps.map((a) => a.cluster.name));
        if (opts.output === 'json') io.stdout(formatProblemsJson([]));
        io.stderr(`ok: ${platform.apps.length} Applications, ${platform.projects.length} AppProjects, ${clusters.size} clusters\n`);
        return EXIT_OK;
      } catch (error) {
        if (opts.output === 'text' || !(error instanceof GitopsError)) throw error;
        // Problems go to stdout for the tool reading them; stderr keeps the count for the log.
        io.stdout(
          opts.output === 'json'
            ? formatProblemsJson(error.problems)
            : formatProblemsGithub(error.problems, resolvePathPrefix({ detect: () => detectGitPrefix(root) })),
        );
        io.stderr(`${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}\n`);
        return error.code === 'GK_USAGE' ? EXIT_USAGE : EXIT_INVALID;
      }
    },
  });
}
