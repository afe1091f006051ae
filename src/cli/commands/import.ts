import type { Command } from 'commander';
import { collect, EXIT_INVALID, EXIT_OK, splitList, type CliIO } from '../cli-io.js';
import { defineCommand } from '../define-command.js';
import { createError } from '../../core/errors.js';
import { runImport } from '../../import/run-import.js';
import { formatEnvironmentHelp, TOOL_VARIABLES } from './environment-help.js';

const MAX_STDIN = 64 * 1024 * 1024;

/** stdin, whole, bounded: a stream of Applications is data from elsewhere. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_STDIN) throw createError('GK_FILE_TOO_LARGE', `stdin is over the limit of ${MAX_STDIN} bytes`, { file: '-' });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function registerImport(program: Command, io: CliIO): void {
  const command = program
    .command('import')
    .description('turn an app-of-apps Helm chart or Argo CD Applications into a platform repo, then prove it renders the same Applications')
    .argument('<source...>', 'a Helm app-of-apps chart folder, a YAML file of Applications (documents or a kind: List), or - for stdin')
    .requiredOption('--out <dir>', 'the platform repo to write')
    .option('-f, --values <file>', 'values for a chart source (repeat)', collect)
    .option('--set <key=value>', 'a value for a chart source, as helm --set (repeat)', collect)
    .option('--force', 'replace gitops.yaml, clusters/ and apps/ in a non-empty --out')
    .option('--adopt-defaults', 'Applications without syncPolicy take the gitops-k8s default (automated), and all get the resources finalizer')
    .option('--accept <field>', 'accept differences at or under this field path, or missing / extra (repeat or comma-separate)', collect)
    .addHelpText('after', formatEnvironmentHelp(TOOL_VARIABLES.filter((v) => v.name === 'GITOPS_K8S_HELM')));
  defineCommand(io, {
    command,
    run: async (sources: string[], opts: { out: string; values?: string[]; set?: string[]; force?: boolean; adoptDefaults?: boolean; accept?: string[] }) => {
      const { report, verification } = await runImport(sources, {
        cwd: io.cwd,
        env: io.env,
        out: opts.out,
        valueFiles: opts.values,
        set: opts.set,
        force: opts.force,
        adoptDefaults: opts.adoptDefaults,
        accept: splitList(opts.accept),
        readStdin,
      });
      io.stdout(report);
      return verification.differences.length === 0 ? EXIT_OK : EXIT_INVALID;
    },
  });
}
