#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_USAGE, type CliIO } from './cli-io.js';
import { registerBootstrap } from './commands/bootstrap.js';
import { registerDiff } from './commands/diff.js';
import { registerExplain } from './commands/explain.js';
import { registerGenerate } from './commands/generate.js';
import { registerInit } from './commands/init.js';
import { registerLint } from './commands/lint.js';
import { registerRender } from './commands/render.js';
import { registerServe } from './commands/serve.js';
import { registerStatus } from './commands/status.js';

export const VERSION = '0.1.0';

/**
 * Runs the CLI with the given arguments (without `node` and the script) and
 * returns the exit code. Commands that keep running (serve) resolve when
 * they stop.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number): void => {
    exitCode = code;
  };
  const program = new Command('gitops-k8s')
    .description('Turns a platform repo (one folder per namespace, one file per app) into Argo CD Applications')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run gitops-k8s --help for usage)');
  registerRender(program, io, setExit);
  registerLint(program, io, setExit);
  registerExplain(program, io, setExit);
  registerInit(program, io, setExit);
  registerGenerate(program, io, setExit);
  registerBootstrap(program, io, setExit);
  registerDiff(program, io, setExit);
  registerStatus(program, io, setExit);
  registerServe(program, io, setExit);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    throw error;
  }
  return exitCode;
}

async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
  });
  process.exitCode = code;
}

const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`gitops-k8s: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 70;
  });
}
