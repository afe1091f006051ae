#!/usr/bin/env node
// Runs after tsc and build-validators. Writes, next to tsc's output:
// - dist/src/cli-bundle.cjs: one esbuild bundle (CommonJS) of src/cli.ts with
//   the commands that read a local platform repo (generate, render, lint,
//   explain, init), the core and their dependencies. Node then reads one file
//   instead of resolving ~110 modules (commander, js-yaml and the core);
// - dist/src/cli-bundle.cjs.v8-cache: V8's code cache for it, made by running
//   the bundle on examples/platform so that the functions those commands call
//   are in it compiled.
// The bin, dist/src/gitops-k8s.cjs (src/gitops-k8s.cts), runs the bundle from
// the cache; it explains why.
//
// Left out, loaded from tsc's dist/src/ as before:
// - the commands that reach the network or a cluster (serve, diff, status,
//   bootstrap): their start-up does not matter, and their code finds files
//   next to its own module (the git spawner forks a sibling script). The
//   bundle loads them through the bin's loader (src/import-command.ts);
// - the generated validators (validate.ts requires them from its own folder);
// - ajv (only the fallback when the generated validators are missing) and
//   handlebars (required on first use by template.ts).
// Everything else in dist/src/ stays tsc's output, so the package's exports
// and in-process users are unchanged.
//
// What only some runs need is required on first use, through a stand-in
// module with a getter per export:
// - child_process: commander requires it (with net, dgram and streams) for
//   executable subcommands, which gitops-k8s has none of;
// - crypto: naming.ts hashes only names past 63 characters;
// - yaml: parse-yaml.ts needs it for error lines and for files with anchors,
//   aliases or tags; it is bundled on its own into dist/src/cli-yaml.cjs.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const requireHere = createRequire(import.meta.url);
const { version } = JSON.parse(readFileSync(`${root}node_modules/esbuild/package.json`, 'utf8'));
const lazyBuiltins = new Set(['child_process', 'crypto']);
/** Packages bundled on their own and required on first use: name -> file in dist/src/. */
const lazyPackages = new Map([['yaml', 'cli-yaml.cjs']]);

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20.18',
  sourcemap: 'linked',
  sourcesContent: false,
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

/** A CommonJS stand-in that requires `id` on first use of any of `keys`. */
function lazyModule(id, keys) {
  return [
    'let loaded;',
    `const load = () => (loaded ??= require(${JSON.stringify(id)}));`,
    'module.exports = Object.defineProperties({}, {',
    ...keys.map((k) => `  ${JSON.stringify(k)}: { enumerable: true, get: () => load()[${JSON.stringify(k)}] },`),
    '});',
  ].join('\n');
}

for (const [name, file] of lazyPackages) {
  await build({ ...common, entryPoints: [requireHere.resolve(name, { paths: [root] })], outfile: `${root}dist/src/${file}`, format: 'cjs' });
}

const { BUNDLE_FILE, CODE_CACHE_FILE } = requireHere(`${root}dist/src/gitops-k8s.cjs`);
const NO_ID = '0'.repeat(16);

await build({
  ...common,
  entryPoints: ['src/cli.ts'],
  outfile: `${root}dist/src/${BUNDLE_FILE}`,
  format: 'cjs',
  tsconfig: 'tsconfig.build.json',
  // The build id is filled in below, in place so that the source map stays right.
  banner: { js: `// Bundled by scripts/bundle-cli.mjs (esbuild ${version}) from src/cli.ts; the body of a function that dist/src/gitops-k8s.cjs runs; build ${NO_ID}` },
  // A parameter of the bin's wrapper (src/gitops-k8s.cts).
  define: { 'import.meta.url': '__bundleUrl' },
  external: ['ajv', 'handlebars'],
  plugins: [
    {
      name: 'unbundled-commands',
      setup(b) {
        b.onLoad({ filter: /[\\/]src[\\/]import-command\.ts$/ }, () => ({
          contents: 'export const importCommand = (specifier) => __importCommand(specifier);',
          loader: 'js',
        }));
      },
    },
    {
      name: 'stand-ins',
      setup(b) {
        b.onResolve({ filter: /.*/ }, (args) => {
          if (args.namespace === 'stand-in') return { path: args.path, external: true };
          if (lazyPackages.has(args.path)) return { path: args.path, namespace: 'stand-in' };
          const name = args.path.replace(/^node:/, '');
          return lazyBuiltins.has(name) ? { path: `node:${name}`, namespace: 'stand-in' } : undefined;
        });
        b.onLoad({ filter: /.*/, namespace: 'stand-in' }, (args) => {
          const file = lazyPackages.get(args.path);
          if (file) return { contents: lazyModule(`./${file}`, Object.keys(requireHere(requireHere.resolve(args.path, { paths: [root] })))), loader: 'js' };
          return { contents: lazyModule(args.path, Object.keys(requireHere(args.path))), loader: 'js' };
        });
      },
    },
  ],
});

const bundleFile = `${root}dist/src/${BUNDLE_FILE}`;
const bundle = readFileSync(bundleFile, 'utf8');
if (/\bimport\(/.test(bundle)) throw new Error(`${BUNDLE_FILE} calls import(), which a script run from a code cache cannot (src/import-command.ts)`);
// The id the bin matches the code cache against (V8 itself checks only the source's length).
const buildId = createHash('sha256').update(bundle).digest('hex').slice(0, NO_ID.length);
writeFileSync(bundleFile, bundle.replace(`; build ${NO_ID}\n`, `; build ${buildId}\n`));

// The code cache, made in a process of its own: V8 takes a cache only from a
// process with the same V8 flags, and the bin runs without any (NODE_OPTIONS
// left out for that reason).
const cacheFile = `${root}dist/src/${CODE_CACHE_FILE}`;
rmSync(cacheFile, { force: true });
const env = { ...process.env };
delete env.NODE_OPTIONS;
const made = spawnSync(process.execPath, [`${root}scripts/make-code-cache.cjs`, cacheFile], { cwd: root, env, encoding: 'utf8' });
if (made.status !== 0) throw new Error(`making the code cache failed:\n${made.stderr}`);
const checked = spawnSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(`${root}dist/src/gitops-k8s.cjs`)}).loadBundledCli().cache)`], { env, encoding: 'utf8' });
if (checked.stdout !== 'used') {
  // Not fatal: the bin compiles from source without it. test/core/cli-startup.test.ts fails on it.
  console.warn(`bundle-cli: V8 refused the code cache it just made (${checked.stdout || checked.stderr}); the CLI will compile its bundle on every start`);
  rmSync(cacheFile, { force: true });
}
