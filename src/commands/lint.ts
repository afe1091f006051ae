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
    .action((dir: string) => {
      try {
        const platform = lintPlatform(openLocalRepo(path.resolve(io.cwd, dir)));
        const clusters = new Set(platform.apps.map((a) => a.cluster.name));
        io.stderr(`ok: ${platform.apps.length} Applications, ${platform.projects.length} AppProjects, ${clusters.size} clusters\n`);
        setExit(EXIT_OK);
      } catch (error) {
        setExit(reportError(io, error));
      }
    });
}
