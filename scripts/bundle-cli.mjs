#!/usr/bin/env node
// Runs after tsc and build-validators. Writes dist/src/cli-bundle.cjs, next to
// tsc's output: one esbuild bundle (CommonJS) of src/cli/cli.ts with the commands
// that read a local platform repo (generate, render, lint, explain, init), the
// core and their dependencies. Node then reads one file instead of resolving
// ~110 modules (commander, js-yaml and the core), and on Node >= 22.1 takes
// its compiled code from the compile cache the bin turns on
// (dist/src/gitops-k8s.cjs, src/gitops-k8s.cts).
//
// Left out, loaded from tsc's dist/src/ as before:
// - the commands that reach the network or a cluster (serve, diff, status,
//   bootstrap): their start-up does not matter, and their code finds files
//   next to its own module (the git spawner forks a sibling script). src/cli/cli.ts
//   import()s them, which stays a real import() of tsc's ES modules: a second
//   bundle of them would be another copy of fastify and octokit to build and
//   ship, for nothing a person waits on;
// - the generated validators (validate.ts requires them from its own folder);
// - ajv (only the fallback when the generated validators are missing) and
//   handlebars (required on first use by template.ts).
// Everything else in dist/src/ stays tsc's output, so the package's exports
// and in-process users are unchanged.
//
// A second bundle, dist/src/cli-generate.cjs, holds src/cli/cli.ts with
// `generate` alone: every other command import()s tsc's modules there. The
// bin requires it for `generate` (Argo CD runs it on every refresh): on Node
// 20, which has no compile cache, the bundle is parsed on every start, and
// this one is ~40 % smaller than the whole CLI.
//
// What only some runs need is required on first use, through a stand-in
// module with a getter per export:
// - child_process: commander requires it (with net, dgram and streams) for
//   executable subcommands, which gitops-k8s has none of;
// - crypto: naming.ts hashes only names past 63 characters;
// - yaml: parse-yaml.ts needs it for error lines and for files with anchors,
//   aliases or tags; it is bundled on its own into dist/src/cli-yaml.cjs.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const requireHere = createRequire(import.meta.url);
const { version } = JSON.parse(readFileSync(`${root}node_modules/esbuild/package.json`, 'utf8'));
const lazyBuiltins = new Set(['child_process', 'crypto']);
/** Packages bundled on their own and required on first use: name -> file in dist/src/. */
const lazyPackages = new Map([['yaml', 'cli-yaml.cjs']]);
/** The commands src/cli/cli.ts import()s from tsc's output, as it names them. */
const unbundledCommands = /^\.\/commands\/(serve|diff|status|bootstrap)\.js$/;
/** The same in the generate bundle: every command in src/cli/commands/ (generate is in src/cmp/). */
const unbundledBesideGenerate = /^\.\/commands\/[a-z-]+\.js$/;
/** Where tsc puts what src/ holds, and where the bundle goes. */
const srcDir = `${root}src/`;

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

const { BUNDLE_FILE, GENERATE_BUNDLE_FILE } = requireHere(`${root}dist/src/gitops-k8s.cjs`);

/** Bundles src/cli/cli.ts into dist/src/`file`, the commands matching `unbundled` left to import() tsc's modules. */
async function bundleCli(file, unbundled) {
  await build({
    ...common,
    entryPoints: ['src/cli/cli.ts'],
    outfile: `${root}dist/src/${file}`,
    format: 'cjs',
    tsconfig: 'tsconfig.build.json',
    // Strict first, as ES modules are: code after the banner is too late to ask for it.
    banner: {
      js: [
        `// Bundled by scripts/bundle-cli.mjs (esbuild ${version}) from src/cli/cli.ts; the bin, dist/src/gitops-k8s.cjs, requires it.`,
        "'use strict';",
        "var __bundleUrl = require('node:url').pathToFileURL(__filename).href;",
      ].join('\n'),
    },
    external: ['ajv', 'handlebars'],
    plugins: [
      {
        name: 'unbundled-commands',
        setup(b) {
          // Made relative to the bundle, which is in dist/src/, where tsc puts what src/ holds.
          b.onResolve({ filter: unbundled }, (args) => {
            if (args.kind !== 'dynamic-import' || !/[\\/]src[\\/]cli[\\/]cli\.ts$/.test(args.importer)) return undefined;
            return { path: `./${path.posix.join('cli', args.path)}`, external: true };
          });
        },
      },
      {
        name: 'module-urls',
        setup(b) {
          // Each module keeps the import.meta.url of its tsc output (validate.ts requires the validators
          // beside it, the git spawner forks its sibling): the bundle's own URL would be wrong for all
          // but the modules at the root of src/.
          b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
            const source = readFileSync(args.path, 'utf8');
            if (!source.includes('import.meta.url')) return undefined;
            const out = path.relative(srcDir, args.path).split(path.sep).join('/').replace(/\.ts$/, '.js');
            return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(out)}, __bundleUrl).href`), loader: 'ts' };
          });
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
}

await bundleCli(BUNDLE_FILE, unbundledCommands);
await bundleCli(GENERATE_BUNDLE_FILE, unbundledBesideGenerate);
