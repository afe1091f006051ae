#!/usr/bin/env node
// Runs after tsc and build-validators: replaces dist/src/cli.js with one
// bundled file (esbuild) holding the CLI, the commands that read a local
// platform repo (generate, render, lint, explain, init), the core and their
// dependencies. Argo CD starts `gitops-k8s generate` on every refresh; Node
// then reads and compiles one file instead of resolving ~110 modules
// (commander, js-yaml, yaml and the core), which was most of its start-up.
//
// Left out, loaded from tsc's dist/src/ as before:
// - the commands that reach the network or a cluster (serve, diff, status,
//   bootstrap): their start-up does not matter, and their code finds files
//   next to its own module (the git spawner forks a sibling script);
// - the generated validators (validate.ts requires them from next to cli.js);
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
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const requireHere = createRequire(import.meta.url);
const { version } = JSON.parse(readFileSync(`${root}node_modules/esbuild/package.json`, 'utf8'));
const unbundledCommands = /^\.\/commands\/(serve|diff|status|bootstrap)\.js$/;
const lazyBuiltins = new Set(['child_process', 'crypto']);
/** Packages bundled on their own and required on first use: name -> file next to cli.js. */
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

await build({
  ...common,
  entryPoints: ['src/cli.ts'],
  outfile: `${root}dist/src/cli.js`,
  format: 'esm',
  tsconfig: 'tsconfig.build.json',
  // The bundled CommonJS code (commander) and the stand-ins call require().
  banner: {
    js: `// Bundled by scripts/bundle-cli.mjs (esbuild ${version}) from src/cli.ts; see that script.\nimport { createRequire as __bundleCreateRequire } from 'node:module';\nconst require = __bundleCreateRequire(import.meta.url);`,
  },
  external: ['ajv', 'handlebars'],
  plugins: [
    {
      name: 'unbundled-commands',
      setup(b) {
        b.onResolve({ filter: unbundledCommands }, (args) => ({ path: args.path, external: true }));
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
