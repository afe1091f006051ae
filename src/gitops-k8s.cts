#!/usr/bin/env node
/**
 * The `gitops-k8s` bin. Argo CD's repo-server starts `gitops-k8s generate`
 * for every refresh of every Application that names the plugin, so start-up
 * is most of what the CMP costs; bench/render measures it.
 *
 * It runs dist/src/cli-bundle.cjs, one esbuild bundle of the CLI
 * (scripts/bundle-cli.mjs), through `vm.Script` with the V8 code cache the
 * build made by running the bundle on the example: no parsing or compiling of
 * its 240 KB, which was ~12 ms of a ~130 ms `generate` here. Node 20 has no
 * `module.enableCompileCache`, and the cache is made at build time because
 * the image's root filesystem is read-only. A cache V8 refuses (another Node
 * version, other V8 flags) or one of another build only means compiling from
 * source. V8 checks a cache against the source's length only, hence the
 * build id below; it does not checksum it either, so a cache damaged on disk
 * can crash the process, as a damaged node binary would (a checksum here cost
 * 4 ms, a third of what the cache saves).
 *
 * CommonJS on purpose: an ES module entry makes Node set up its ES module
 * loader, measured at ~11 ms more per start than this file.
 *
 * Without a bundle (dist/ built by `tsc` alone) it runs tsc's dist/src/cli.js.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

/** What the bundle exports: src/cli.ts. */
export interface BundledCli {
  runCli(argv: readonly string[], io: { stdout: (text: string) => void; stderr: (text: string) => void; env: NodeJS.ProcessEnv; cwd: string }): Promise<number>;
  main(): Promise<void>;
}

/**
 * What became of the code cache: `used`; `rejected` by V8 (another Node
 * version or other V8 flags); `stale`, made for another build of the bundle;
 * `none` to be found.
 */
export type CodeCacheState = 'used' | 'rejected' | 'stale' | 'none';

export interface LoadedCli {
  cli: BundledCli;
  /** The compiled bundle; the build saves its code cache after a run (saveCodeCache). */
  script: vm.Script;
  /** The build id on the bundle's first line (empty when it has none: then no cache is used). */
  buildId: string;
  cache: CodeCacheState;
}

/** File names in dist/src/, shared with scripts/bundle-cli.mjs. */
export const BUNDLE_FILE = 'cli-bundle.cjs';
export const CODE_CACHE_FILE = 'cli-bundle.cjs.v8-cache';

/**
 * The bundle's first line ends with its build id, a hash of its content
 * (scripts/bundle-cli.mjs), and the cache file starts with a header naming the
 * same id. V8 only checks a cache against the source's length, so a cache of
 * another build with an equal length would run the wrong code.
 */
const BUILD_ID = /^\/\/[^\n]* build ([0-9a-f]{16})\n/;
/** 32 bytes, so the V8 data after it stays 8-byte aligned and is not copied. */
const cacheHeader = (buildId: string): string => `gitops-k8s ${buildId}`.padEnd(31, ' ') + '\n';

/**
 * The parameters the bundle's code is wrapped in. Beside CommonJS's five:
 * `__bundleUrl` stands for `import.meta.url` and `__importCommand` loads the
 * commands left out of the bundle (src/import-command.ts says why).
 */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname, __bundleUrl, __importCommand) {\n';
const WRAPPER_TAIL = '\n})';

/**
 * Compiles and runs the bundle in `dir`, from its code cache when V8 takes it.
 * Undefined when `dir` has no bundle.
 */
export function loadBundledCli(dir: string = __dirname): LoadedCli | undefined {
  const file = path.join(dir, BUNDLE_FILE);
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const buildId = BUILD_ID.exec(source)?.[1] ?? '';
  let cache: CodeCacheState = 'none';
  let cachedData: Buffer | undefined;
  try {
    const data = readFileSync(path.join(dir, CODE_CACHE_FILE));
    const header = cacheHeader(buildId);
    if (buildId !== '' && data.length > header.length && data.toString('latin1', 0, header.length) === header) cachedData = data.subarray(header.length);
    else cache = 'stale';
  } catch {
    // No cache (or none readable): V8 compiles from source.
  }
  // lineOffset -1: the wrapper's head is a line of its own, so stack traces and
  // the source map keep the bundle's own line numbers.
  const script = new vm.Script(WRAPPER_HEAD + source + WRAPPER_TAIL, { filename: file, lineOffset: -1, cachedData });
  if (cachedData) cache = script.cachedDataRejected ? 'rejected' : 'used';
  const module = { exports: {} as BundledCli };
  const importCommand = (specifier: string): Promise<unknown> => import(pathToFileURL(path.join(dir, specifier)).href);
  script.runInThisContext()(module.exports, createRequire(file), module, file, dir, pathToFileURL(file).href, importCommand);
  return { cli: module.exports, script, buildId, cache };
}

/** Saves V8's code cache of a loaded bundle, with everything it compiled so far. */
export function saveCodeCache(loaded: LoadedCli, file: string): void {
  if (loaded.buildId === '') throw new Error(`${BUNDLE_FILE} has no build id on its first line: build it with scripts/bundle-cli.mjs`);
  writeFileSync(file, Buffer.concat([Buffer.from(cacheHeader(loaded.buildId), 'latin1'), loaded.script.createCachedData()]));
}

if (require.main === module) {
  const loaded = loadBundledCli();
  if (loaded) void loaded.cli.main();
  else void (import(pathToFileURL(path.join(__dirname, 'cli.js')).href) as Promise<BundledCli>).then((cli) => cli.main());
}
