import type { Command } from 'commander';
import path from 'node:path';
import { EXIT_OK, type CliIO } from '../cli-io.js';
import { defineCommand } from '../define-command.js';
import { readArgoSettings } from '../../integrations/argocd/argocd-client.js';
import { renderPlatform } from '../../core/render/render-platform.js';
import { openLocalRepo } from '../../sources/repo-files.js';
import { collectStatus } from '../../integrations/status/status-matrix.js';
import { formatStatusTable } from '../../integrations/status/status-table.js';
import { ARGOCD_API_VARIABLES, formatEnvironmentHelp } from './environment-help.js';
import { createOutputOption } from './output-option.js';

export function registerStatus(program: Command, io: CliIO): void {
  const command = program
    .command('status')
    .description('show every app on every cluster, with sync and health from Argo CD when ARGOCD_SERVER and ARGOCD_AUTH_TOKEN are set')
    .argument('[dir]', 'the platform repo', '.')
    .addOption(createOutputOption(['table', 'json'], 'table'))
    .option('--repo-url <url>', 'URL of the platform repo, when gitops.yaml has no repoURL')
    .addHelpText('after', formatEnvironmentHelp(ARGOCD_API_VARIABLES));
  defineCommand(io, {
    command,
    run: async (dir: string, opts: { output: string; repoUrl?: string }) => {
      const settings = readArgoSettings(io.env);
      const platform = renderPlatform(openLocalRepo(path.resolve(io.cwd, dir)), { repoURL: opts.repoUrl });
      const matrix = await collectStatus(platform, { settings });
      io.stdout(opts.output === 'json' ? `${JSON.stringify(matrix, null, 2)}\n` : formatStatusTable(matrix));
      if (matrix.argocd.state === 'error') io.stderr(`warning: ${matrix.argocd.error}\n`);
      return EXIT_OK;
    },
  });
}
