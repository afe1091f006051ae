#!/usr/bin/env node
/**
 * The `gitops-k8s` bin. Argo CD's repo-server starts `gitops-k8s generate`
 * for every refresh of every Application that names the plugin, so start-up
 * is most of what the CMP costs; bench/render measures it.
 *
 * It turns on Node's compile cache, then requires dist/src/cli-bundle.cjs,
 * one esbuild bundle of the CLI (scripts/bundle-cli.mjs): Node reads one file
 * instead of resolving ~110 modules, and from the second run on it takes the
 * compiled code from the cache instead of parsing the bundle again. Node 20
 * has no compile cache: there the bundle is compiled on every start, so
 * `generate`, which Argo CD runs, gets a bundle of its own without the other
 * commands (dist/src/cli-generate.cjs, ~40 % less to compile).
 *
 * CommonJS on purpose: an ES module entry makes Node set up its ES module
 * loader, measured at ~11 ms more per start than this file.
 *
 * Without a bundle (dist/ built by `tsc` alone) it runs tsc's dist/src/cli.js.
 */
import { existsSync, readFileSync, writeSync } from 'node:fs';
import nodeModule from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** What the bundle exports: src/cli.ts. */
export interface BundledCli {
  main(): Promise<void>;
}

/** The bundle's file name in dist/src/, shared with scripts/bundle-cli.mjs. */
export const BUNDLE_FILE = 'cli-bundle.cjs';

/** The file name in dist/src/ of the bundle of the CLI with `generate` alone in it (the other commands load tsc's modules). */
export const GENERATE_BUNDLE_FILE = 'cli-generate.cjs';

/**
 * The bundle for `argv`: the generate one when the command is `generate`,
 * found as src/cli/cli.ts finds it (the first argument that is not an
 * option), which then loads that command alone.
 */
function bundleFor(argv: readonly string[], dir: string): string {
  if (argv.find((arg) => !arg.startsWith('-')) === 'generate') {
    const generate = path.join(dir, GENERATE_BUNDLE_FILE);
    if (existsSync(generate)) return generate;
  }
  return path.join(dir, BUNDLE_FILE);
}

/**
 * The version `--version` and `-V` print, read from the package.json two
 * folders up (the package's, and /app/package.json in the image), as the CLI
 * itself does. Answered here so that they cost what starting Node costs:
 * loading the CLI for them loads every command, the server's included.
 */
function readVersion(): string {
  return (JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Runs the CLI: a bundle in `dir` when there is one, tsc's cli/cli.js beside it
 * otherwise.
 */
export function runBin(argv: readonly string[], dir: string = __dirname): void {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    // writeSync, as the CLI writes: process.stdout would load node:stream and its modules.
    writeSync(1, `${readVersion()}\n`);
    return;
  }
  // Node >= 22.1. Before the require below, so that the bundle itself is
  // cached; where the cache lives is NODE_COMPILE_CACHE's or Node's default
  // (under the OS temp dir). A cache that cannot be written only means compiling.
  (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  const bundle = bundleFor(argv, dir);
  if (existsSync(bundle)) void (require(bundle) as BundledCli).main();
  else void (import(pathToFileURL(path.join(dir, 'cli', 'cli.js')).href) as Promise<BundledCli>).then((cli) => cli.main());
}

if (require.main === module) runBin(process.argv.slice(2));
