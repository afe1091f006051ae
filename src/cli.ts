#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { fstatSync, realpathSync, writeSync } from 'node:fs';
import nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';
import { EXIT_USAGE, type CliIO } from './cli-io.js';

// Node >= 22.1 keeps compiled code on disk (under the OS temp dir, writable in
// the CMP sidecar): Argo CD starts this CLI on every refresh. A no-op on Node 20.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

export const VERSION = '0.1.0';

type Register = (program: Command, io: CliIO, setExit: (code: number) => void) => void;

/**
 * Each command's module, loaded only when that command runs (help and unknown
 * commands load them all): `generate` runs in Argo CD's repo-server on every
 * refresh and must not pay for the server's fastify, undici and octokit.
 * bench/render measures it. A new command is one line here, in help order.
 */
const commands: Record<string, () => Promise<Register>> = {
  render: async () => (await import('./commands/render.js')).registerRender,
  lint: async () => (await import('./commands/lint.js')).registerLint,
  explain: async () => (await import('./commands/explain.js')).registerExplain,
  init: async () => (await import('./commands/init.js')).registerInit,
  generate: async () => (await import('./commands/generate.js')).registerGenerate,
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
  const named = argv.find((arg) => !arg.startsWith('-'));
  const wanted = named !== undefined && Object.hasOwn(commands, named) ? [named] : Object.keys(commands);
  for (const name of wanted) (await commands[name]!())(program, io, setExit);
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

// Stream writes of at most this many characters: Node turns each into a
// Buffer, and buffers this small reuse freed memory where megabyte ones map
// fresh pages (measured: a quarter of a second less system time for 82 MiB).
const SLICE = 32 * 1024;

/** Writes a long string to a stream in slices, never between the two halves of a surrogate pair. */
function writeInSlices(stream: NodeJS.WritableStream, text: string): void {
  let start = 0;
  while (text.length - start > SLICE) {
    let end = start + SLICE;
    const code = text.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) end--;
    stream.write(text.slice(start, end));
    start = end;
  }
  if (start < text.length) stream.write(start === 0 ? text : text.slice(start));
}

/**
 * Writes to stdout. When it is a regular file (`render > out.yaml`), the text
 * goes straight to the file descriptor: 82 MiB of YAML through
 * process.stdout's stream took 0.3-0.45 s more (a Buffer and a stream write
 * per piece). Pipes and terminals keep the stream, which handles
 * back-pressure and non-blocking descriptors.
 */
function stdoutWriter(): (text: string) => void {
  let toFile = false;
  try {
    toFile = fstatSync(1).isFile();
  } catch {
    // No stdout to stat: the stream reports what goes wrong.
  }
  if (!toFile) return (text) => writeInSlices(process.stdout, text);
  return (text) => {
    // A regular file takes the whole write (or fails: disk full); a short one is finished from a Buffer.
    const written = writeSync(1, text);
    if (written === Buffer.byteLength(text)) return;
    const bytes = Buffer.from(text, 'utf8');
    for (let at = written; at < bytes.length; ) at += writeSync(1, bytes, at, bytes.length - at);
  };
}

async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), {
    stdout: stdoutWriter(),
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
