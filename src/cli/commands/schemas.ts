import type { Command } from 'commander';
import path from 'node:path';
import { EXIT_OK, type CliIO } from '../cli-io.js';
import { defineCommand } from '../define-command.js';
import { defaultSchemaBase, formatModeline } from '../../core/schema/editor-schemas.js';
import { createError } from '../../core/errors.js';
import { listSchemaTargets, writeModelines } from '../../install/write-modelines.js';
import { formatEnvironmentHelp } from './environment-help.js';

export function registerSchemas(program: Command, io: CliIO): void {
  const command = program
    .command('schemas')
    .description("list which editor schema each file of a platform repo takes; with --write, add or update each file's yaml-language-server modeline")
    .argument('[dir]', 'the platform repo', '.')
    .option('--write', 'add or update the modelines in place')
    .option('--base <url>', 'where the schemas are: an https:// or file:// URL of a folder holding <kind>.schema.json (default: this release on unpkg)')
    .addHelpText('after', formatEnvironmentHelp([]));
  defineCommand(io, {
    command,
    run: (dir: string, opts: { write?: boolean; base?: string }) => {
      // A relative path would be read from each file's own folder, a different place for each.
      if (opts.base !== undefined && !/^[a-z][a-z0-9+.-]*:\/\//i.test(opts.base)) {
        throw createError('GK_USAGE', `--base must be a URL such as https://... or file:///... (got ${JSON.stringify(opts.base)})`);
      }
      const base = opts.base ?? defaultSchemaBase();
      const root = path.resolve(io.cwd, dir);
      if (opts.write) {
        const changed = writeModelines(root, base);
        for (const file of changed) io.stderr(`updated ${file}\n`);
        io.stderr(`${changed.length} files updated\n`);
      } else {
        for (const { file, kind } of listSchemaTargets(root)) io.stdout(`${file}\t${formatModeline(kind, base)}\n`);
      }
      return EXIT_OK;
    },
  });
}
