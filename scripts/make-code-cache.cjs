// Makes V8's code cache for dist/src/cli-bundle.cjs (see scripts/bundle-cli.mjs,
// which runs this in a process of its own): loads the bundle as the bin does,
// runs the commands Argo CD and people run most on examples/platform so that
// the functions they call are compiled, then saves what V8 compiled.
// Usage: node scripts/make-code-cache.cjs OUTPUT-FILE
'use strict';
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const example = path.join(root, 'examples/platform');
const { loadBundledCli, saveCodeCache } = require(path.join(root, 'dist/src/gitops-k8s.cjs'));

// Argo CD's CMP environment for one app of the example (shared/DESIGN.md section 4).
const cmpEnv = {
  ARGOCD_APP_NAME: 'platform',
  ARGOCD_APP_NAMESPACE: 'argocd',
  ARGOCD_APP_PROJECT_NAME: 'default',
  ARGOCD_APP_REVISION: '0000000000000000000000000000000000000000',
  ARGOCD_APP_SOURCE_REPO_URL: 'https://github.com/example/platform.git',
  ARGOCD_APP_SOURCE_PATH: 'examples/platform',
  ARGOCD_APP_SOURCE_TARGET_REVISION: 'main',
  ARGOCD_APP_PARAMETERS: 'null',
  ARGOCD_ENV_NAMESPACE: 'guestbook',
};

async function main() {
  const [output] = process.argv.slice(2);
  if (!output) throw new Error('usage: node scripts/make-code-cache.cjs OUTPUT-FILE');
  const loaded = loadBundledCli();
  if (!loaded) throw new Error('dist/src/cli-bundle.cjs is missing: run scripts/bundle-cli.mjs');
  const runs = [
    { argv: ['generate'], cwd: example, env: cmpEnv },
    { argv: ['generate'], cwd: example, env: { ...cmpEnv, ARGOCD_ENV_NAMESPACE: '' } },
    { argv: ['render', example], cwd: root, env: {} },
    { argv: ['render', example, '-o', 'json'], cwd: root, env: {} },
    { argv: ['lint', example], cwd: root, env: {} },
  ];
  for (const run of runs) {
    const stderr = [];
    const code = await loaded.cli.runCli(run.argv, { stdout: () => {}, stderr: (t) => stderr.push(t), env: { PATH: process.env.PATH, ...run.env }, cwd: run.cwd });
    // The example is valid: a failure here means the bundle is broken.
    if (code !== 0) throw new Error(`gitops-k8s ${run.argv.join(' ')} exited ${code}:\n${stderr.join('')}`);
  }
  saveCodeCache(loaded, output);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
