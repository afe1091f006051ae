#!/usr/bin/env node
// Runs after tsc and build-validators: replaces dist/src/cli.js with one
// bundled file (esbuild) holding the CLI, the commands that read a local
// platform repo (generate, render, lint, explain, init), the core and their
// dependencies. Argo CD starts `gitops-k8s generate` on every refresh; Node
// then resolves, reads and compiles one file instead of ~110 modules
// (commander, js-yaml, yaml and the core), which is most of its start-up.
//
// Left out, loaded from tsc's dist/src/ as before:
// - the commands that reach the network or a cluster (serve, diff, status,
//   bootstrap): their start-up does not matter, and their code finds files
//   next to its own module (the git spawner forks a sibling script);
// - the generated validators (validate.ts imports them by URL, next to cli.js);
// - ajv (only the fallback when the generated validators are missing) and
//   handlebars (required on first use by template.ts).
// Everything else in dist/src/ stays tsc's output, so the package's exports
// and in-process users are unchanged.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}dist/src/cli.js`;
const unbundledCommands = /^\.\/commands\/(serve|diff|status|bootstrap)\.js$/;
const builtins = new Set(builtinModules);
// Required on first use: commander requires child_process (net, dgram, streams)
// for executable subcommands, which gitops-k8s has none of; naming.ts needs
// crypto only for names past 63 characters. Together ~15 ms of every start.
const lazyBuiltins = new Set(['child_process', 'crypto']);

/** A CommonJS module standing for a Node built-in; a lazy one has a getter per export that requires the built-in on first use. */
function builtinShim(name, lazy) {
  const id = JSON.stringify(`node:${name}`);
  if (!lazy) return `module.exports = require(${id});`;
  const keys = Object.keys(createRequire(import.meta.url)(`node:${name}`));
  return [
    `let loaded;`,
    `const load = () => (loaded ??= require(${id}));`,
    `module.exports = Object.defineProperties({}, {`,
    ...keys.map((k) => `  ${JSON.stringify(k)}: { enumerable: true, get: () => load()[${JSON.stringify(k)}] },`),
    `});`,
  ].join('\n');
}
const { version } = JSON.parse(readFileSync(`${root}node_modules/esbuild/package.json`, 'utf8'));

await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.18',
  tsconfig: 'tsconfig.build.json',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  // commander and yaml are CommonJS: their require() calls of Node built-ins need a require in an ES module.
  // Node's own modules are required, not imported: an import builds an ES module
  // facade that reads every export, and reading fs.ReadStream or crypto.webcrypto
  // loads streams and Web Crypto (~10 ms) that generate never uses.
  banner: {
    js: `// Bundled by scripts/bundle-cli.mjs (esbuild ${version}) from src/cli.ts; see that script.\nimport { createRequire as __bundleCreateRequire } from 'node:module';\nconst require = __bundleCreateRequire(import.meta.url);`,
  },
  minifyWhitespace: true,
  minifySyntax: true,
  external: ['ajv', 'handlebars'],
  plugins: [
    {
      name: 'unbundled-commands',
      setup(b) {
        b.onResolve({ filter: unbundledCommands }, (args) => ({ path: args.path, external: true }));
      },
    },
    {
      name: 'required-builtins',
      setup(b) {
        b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
          const name = args.path.replace(/^node:/, '');
          if (args.namespace === 'required-builtin' || !builtins.has(name)) return undefined;
          if (lazyBuiltins.has(name)) return { path: name, namespace: 'required-builtin', pluginData: 'lazy' };
          return args.kind === 'import-statement' ? { path: name, namespace: 'required-builtin' } : undefined;
        });
        b.onLoad({ filter: /.*/, namespace: 'required-builtin' }, (args) => ({ contents: builtinShim(args.path, args.pluginData === 'lazy'), loader: 'js' }));
      },
    },
  ],
});
