import { Command, CommanderError } from 'commander';
import { realpathSync, writeSync } from 'node:fs';
import nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';
import { EXIT_USAGE, type CliIO } from './cli-io.js';
import { COMMAND_EXIT } from './define-command.js';
import { readPackageVersion } from '../package-version.js';

// Node >= 22.1 keeps compiled code on disk (under the OS temp dir, writable in
// the CMP sidecar): Argo CD starts this CLI on every refresh. A no-op on Node 20.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

type Register = (program: Command, io: CliIO) => void;

/**
 * Each command's module, loaded only when that command runs (help and unknown
 * commands load them all): `generate` runs in Argo CD's repo-server on every
 * refresh and must not pay for the server's fastify, undici and octokit.
 * bench/render measures it. The CLI bundle (scripts/bundle-cli.mjs) leaves
 * bootstrap, diff, status and serve out: their import() loads tsc's modules.
 * A new command is one line here, in help order.
 */
const commands: Record<string, () => Promise<Register>> = {
  render: async () => (await import('./commands/render.js')).registerRender,
  lint: async () => (await import('./commands/lint.js')).registerLint,
  check: async () => (await import('./commands/check.js')).registerCheck,
  explain: async () => (await import('./commands/explain.js')).registerExplain,
  init: async () => (await import('./commands/init.js')).registerInit,
  schemas: async () => (await import('./commands/schemas.js')).registerSchemas,
  generate: async () => (await import('../cmp/generate-command.js')).registerGenerate,
  import: async () => (await import('./commands/import.js')).registerImport,
  bootstrap: async () => (await import('./commands/bootstrap.js')).registerBootstrap,
  diff: async () => (await import('./commands/diff.js')).registerDiff,
  status: async () => (await import('./commands/status.js')).registerStatus,
  serve: async () => (await import('./commands/serve.js')).registerServe,
};

/**
 * Runs the CLI with the given arguments (without `node` and the script) and
 * returns the exit code. Commands that keep running (serve) resolve when
 * they stop.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const program = new Command('gitops-k8s')
    .description('Turns a platform repo (one folder per namespace, one file per app) into Argo CD Applications')
    .option('-V, --version', 'output the version number')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run gitops-k8s --help for usage)');
  // What commander's .version() does, but package.json is read only when asked:
  // `generate` runs on every refresh and needs no version.
  program.on('option:version', () => {
    const version = readPackageVersion();
    io.stdout(`${version}\n`);
    throw new CommanderError(0, 'commander.version', version);
  });
  const named = argv.find((arg) => !arg.startsWith('-'));
  const wanted = named !== undefined && Object.hasOwn(commands, named) ? [named] : Object.keys(commands);
  for (const name of wanted) (await commands[name]!())(program, io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // A command's own exit code; anything else commander ends with is help, the version, or a usage error.
    if (error.code === COMMAND_EXIT) return error.exitCode;
    return error.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  return 0;
}

// Writes of at most this many characters: each becomes a small Buffer (or
// none), where megabyte ones map fresh pages (measured: a quarter of a second
// less system time for 82 MiB).
const SLICE = 32 * 1024;

/** The end of the slice of `text` from `start`, never between the two halves of a surrogate pair. */
function sliceEnd(text: string, start: number): number {
  if (text.length - start <= SLICE) return text.length;
  const end = start + SLICE;
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}

interface Output {
  write(text: string): void;
  /** Whether the stream it handed over to still holds unwritten data. */
  pending(): boolean;
}

/**
 * Writes to a standard descriptor with writeSync, in slices. No stream: one
 * costs a `generate` ~3 ms of loading node:stream and its modules, and 82 MiB
 * of YAML through process.stdout took 0.3-0.45 s more than this. A descriptor
 * that would block (EAGAIN: a non-blocking pipe or terminal whose reader is
 * behind) hands over to the stream for good, which waits for the reader and
 * keeps the order.
 */
function descriptorOutput(fd: 1 | 2, stream: () => NodeJS.WriteStream): Output {
  let handedOver: NodeJS.WriteStream | undefined;
  let closed = false;
  // The reader went away (`gitops-k8s render | head`). stdout: end as SIGPIPE
  // would, quietly and not 0 (128 + 13), since the output is incomplete. stderr:
  // drop what is left of it, the command's result stands.
  const closedReader = (): void => {
    if (fd === 1) process.exit(141);
    closed = true;
  };
  const write = (text: string): void => {
    for (let start = 0; start < text.length; ) {
      const end = sliceEnd(text, start);
      const slice = start === 0 && end === text.length ? text : text.slice(start, end);
      if (closed) return;
      if (handedOver) handedOver.write(slice);
      else writeAll(slice);
      start = end;
    }
  };
  const writeAll = (slice: string): void => {
    let bytes: Buffer | undefined;
    let at = 0;
    try {
      at = writeSync(fd, slice);
      if (at === Buffer.byteLength(slice)) return;
      bytes = Buffer.from(slice, 'utf8');
      while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') {
        closedReader();
        return;
      }
      if (code !== 'EAGAIN') throw error;
      handedOver = stream();
      handedOver.on('error', (streamError: NodeJS.ErrnoException) => {
        if (streamError.code !== 'EPIPE') throw streamError;
        closedReader();
      });
      handedOver.write((bytes ?? Buffer.from(slice, 'utf8')).subarray(at));
    }
  };
  return { write, pending: () => handedOver !== undefined && handedOver.writableLength > 0 };
}

/**
 * Runs the CLI on this process's arguments and standard streams, then ends
 * the process. Called by the bin (src/gitops-k8s.cts) and when this module is
 * run directly.
 */
export async function main(): Promise<void> {
  const stdout = descriptorOutput(1, () => process.stdout);
  const stderr = descriptorOutput(2, () => process.stderr);
  let code: number;
  try {
    code = await runCli(process.argv.slice(2), { stdout: stdout.write, stderr: stderr.write, env: process.env, cwd: process.cwd() });
  } catch (error) {
    stderr.write(`gitops-k8s: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    code = 70;
  }
  process.exitCode = code;
  // Exit now rather than when the event loop drains: that wait (timers of
  // finished work, a scavenge V8 schedules as a task, handle teardown) was
  // ~7 ms of every `generate`. Not while a stream still holds output.
  if (!stdout.pending() && !stderr.pending()) process.exit(code);
}

const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) void main();
