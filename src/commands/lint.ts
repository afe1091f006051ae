import type { Command } from 'commander';
import path from 'node:path';
import { EXIT_OK, reportError, type CliIO } from '../cli-io.js';
import { lintPlatform } from '../render-platform.js';
import { openLocalRepo } from '../repo-files.js';

export function registerLint(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('lint')
    .description('check a platform repo and report every problem at once (exit 1 if any)')
    .argument('[dir]', 'the platform repo', '.')
    .option('--repo-url <url>', 'URL of the platform repo, when gitops.yaml has no repoURL (as the CMP and the server know it)')
    .action((dir: string, opts: { repoUrl?: string }) => {
      try {
        const platform = lintPlatform(openLocalRepo(path.resolve(io.cwd, dir)), { repoURL: opts.repoUrl });
        const clusters = new Set(platform.apps.map((a) => a.cluster.name));
        io.stderr(`ok: ${platform.apps.length} Applications, ${platform.projects.length} AppProjects, ${clusters.size} clusters\n`);
        setExit(EXIT_OK);
      } catch (error) {
        setExit(reportError(io, error));
      }
    });
}
