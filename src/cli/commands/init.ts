import type { Command } from 'commander';
import path from 'node:path';
import { EXIT_OK, type CliIO } from '../cli-io.js';
import { defineCommand } from '../define-command.js';
import { initPlatformRepo } from '../../install/init-platform-repo.js';
import { formatEnvironmentHelp } from './environment-help.js';

export function registerInit(program: Command, io: CliIO): void {
  const command = program
    .command('init')
    .description('write a new platform repo to start from')
    .argument('<dir>', 'where to write it')
    .option('--repo-url <url>', 'URL of the Git repository it will live in')
    .option('--force', 'write into a folder that already has files')
    .option('--schema-base <url>', "where the files' yaml-language-server modelines point (default: this release's schemas on unpkg)")
    .addHelpText('after', formatEnvironmentHelp([]));
  defineCommand(io, {
    command,
    run: (dir: string, opts: { repoUrl?: string; force?: boolean; schemaBase?: string }) => {
      const target = path.resolve(io.cwd, dir);
      const written = initPlatformRepo(target, { repoURL: opts.repoUrl, force: opts.force, schemaBase: opts.schemaBase });
      for (const file of written) io.stderr(`wrote ${path.join(dir, file)}\n`);
      io.stderr(`next: gitops-k8s lint ${dir} && gitops-k8s render ${dir}\n`);
      return EXIT_OK;
    },
  });
}
