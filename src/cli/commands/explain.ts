import type { Command } from 'commander';
import path from 'node:path';
import { EXIT_OK, type CliIO } from '../cli-io.js';
import { defineCommand } from '../define-command.js';
import { emitScalar } from '../../core/yaml/emit-yaml.js';
import { createError } from '../../core/errors.js';
import { explainApp } from '../../core/explain/explain.js';
import { resolveLocalPathPrefix } from '../git-prefix.js';
import { loadPlatformRepo } from '../../core/load/load-platform-repo.js';
import { openLocalRepo } from '../../sources/repo-files.js';
import { formatEnvironmentHelp } from './environment-help.js';
import { createOutputOption } from './output-option.js';

function show(value: unknown): string {
  if (Array.isArray(value)) return '[]';
  if (value !== null && typeof value === 'object') return '{}';
  return emitScalar(value as string | number | boolean | null);
}

export function registerExplain(program: Command, io: CliIO): void {
  const command = program
    .command('explain')
    .description('show a generated Application with the file and line that set each field')
    .argument('<args...>', '[DIR] NAMESPACE/APP')
    .option('-c, --cluster <name>', 'only the Application for this cluster')
    .addOption(createOutputOption(['text', 'json'], 'text'))
    .option('--repo-url <url>', 'URL of the platform repo, when gitops.yaml has no repoURL')
    .option('--revision <rev>', 'revision of the platform repo, when gitops.yaml has no targetRevision')
    .addHelpText('after', formatEnvironmentHelp([]));
  defineCommand(io, {
    command,
    run: (args: string[], opts: { cluster?: string; output: string; repoUrl?: string; revision?: string }) => {
      if (args.length > 2) throw createError('GK_USAGE', 'explain takes [DIR] NAMESPACE/APP');
      const [dir, id] = args.length === 2 ? [args[0]!, args[1]!] : ['.', args[0]!];
      const root = path.resolve(io.cwd, dir);
      const repo = loadPlatformRepo(openLocalRepo(root), { repoURL: opts.repoUrl, targetRevision: opts.revision });
      // Path sources as `render` prints them.
      const explanations = explainApp(repo, id, { cluster: opts.cluster, pathPrefix: resolveLocalPathPrefix(root, repo.settings.path) });
      if (opts.output === 'json') {
        io.stdout(`${JSON.stringify(explanations, null, 2)}\n`);
      } else {
        for (const e of explanations) {
          io.stdout(`# Application ${e.name} (cluster ${e.cluster})\n`);
          const width = Math.min(70, Math.max(...e.fields.map((f) => f.field.length + show(f.value).length + 2)));
          for (const f of e.fields) {
            const left = `${f.field}: ${show(f.value)}`;
            io.stdout(`${left.padEnd(width)}  # ${f.source}\n`);
          }
        }
      }
      return EXIT_OK;
    },
  });
}
