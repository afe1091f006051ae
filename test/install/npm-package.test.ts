// The npm package as users get it: `npm pack`, then an install of that
// tarball into a fresh project with no build step, then its bin. Nothing
// reaches the network: the fresh project's package-lock.json is this
// project's lock narrowed to the runtime dependencies (each with `resolved`
// and `integrity`) plus the tarball, and `npm ci --offline` installs it from
// the npm cache that installed this project. This lock, written by npm with
// `omit-lockfile-registry-resolved`, has no `resolved`: each entry gets the
// registry's tarball URL back, which is what npm would have written and what
// its cache is keyed by.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectRoot as root } from '../helpers/project-root.js';

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
  engines: Record<string, string>;
  license: string;
};
const work = mkdtempSync(path.join(tmpdir(), 'gk-npm-package-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

// Offline and quiet whatever the caller's npm config says.
const npmEnv = { ...process.env, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

// dist/ is built before the tests (npm test runs the build); --ignore-scripts keeps `prepare` from building again.
const [packed] = JSON.parse(
  execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, env: npmEnv, encoding: 'utf8' }),
) as {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}[];
const tarball = path.join(work, packed!.filename);
const files = packed!.files.map((f) => f.path);

t.test('the tarball holds what runs and what users copy, and no tests, sources or source maps', async (t) => {
  for (const needed of [
    'package.json',
    'README.md',
    'dist/src/gitops-k8s.cjs',
    'dist/src/cli-bundle.cjs',
    'dist/src/cli-generate.cjs',
    'dist/src/index.js',
    'dist/src/index.d.ts',
    'plugin/plugin.yaml',
    'examples/platform/gitops.yaml',
    'renovate/gitops-k8s.json',
    'schemas/app.schema.json',
    'schemas/environment.schema.json',
  ]) {
    t.ok(files.includes(needed), `holds ${needed}`);
  }
  t.ok(
    files.some((f) => f.startsWith('manifests/install/')),
    'holds manifests/install',
  );
  const unwanted = files.filter(
    (f) =>
      /^(test|bench|src|scripts|vendor|tap-snapshots|dist\/bench|node_modules)\//.test(f) ||
      /\.map$/.test(f) ||
      (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) ||
      /fixtures/.test(f),
  );
  t.same(unwanted, [], 'no tests, fixtures, benchmarks, TypeScript sources or source maps');
  t.ok(
    packed!.size < 1024 * 1024,
    `the tarball is ${Math.round(packed!.size / 1024)} KiB (${Math.round(packed!.unpackedSize / 1024)} KiB unpacked, ${files.length} files)`,
  );
});

t.test('the tarball installs offline without a build step, and its bin runs render and generate', async (t) => {
  const project = path.join(work, 'project');
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { cwd: root, env: npmEnv, encoding: 'utf8' }).trim().replace(/\/?$/, '/');
  const tarballURL = (key: string, version: string) => {
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    return `${registry}${name}/-/${name.split('/').at(-1)}-${version}.tgz`;
  };
  const runtime = Object.fromEntries(
    Object.entries(lock.packages)
      .filter(([key, entry]) => key.startsWith('node_modules/') && !entry.dev && !entry.devOptional)
      .map(([key, entry]): [string, Record<string, unknown>] => [key, { resolved: tarballURL(key, String(entry.version)), ...entry }]),
  );
  t.ok(Object.keys(runtime).length > 10, 'the runtime dependencies come from this lock');
  t.same(
    Object.keys(runtime).filter((k) => typeof runtime[k]!.integrity !== 'string' || typeof runtime[k]!.version !== 'string'),
    [],
    'each has a version and an integrity',
  );
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const spec = `file:../${packed!.filename}`;
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'gk-install-probe', version: '1.0.0', private: true, dependencies: { [pkg.name]: spec } }, null, 2),
  );
  writeFileSync(
    path.join(project, 'package-lock.json'),
    JSON.stringify(
      {
        name: 'gk-install-probe',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'gk-install-probe', version: '1.0.0', dependencies: { [pkg.name]: spec } },
          [`node_modules/${pkg.name}`]: {
            version: pkg.version,
            resolved: spec,
            integrity,
            license: pkg.license,
            dependencies: pkg.dependencies,
            bin: pkg.bin,
            engines: pkg.engines,
          },
          ...runtime,
        },
      },
      null,
      2,
    ),
  );
  execFileSync('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: project, env: npmEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  const bin = path.join(project, 'node_modules/.bin/gitops-k8s');
  const installed = path.join(project, 'node_modules', pkg.name);

  t.equal(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim(), pkg.version);

  const rendered = execFileSync(bin, ['render', path.join(installed, 'examples/platform'), '-o', 'json'], { encoding: 'utf8' });
  const objects = JSON.parse(rendered) as { kind: string }[];
  t.ok(objects.filter((o) => o.kind === 'Application').length >= 10, 'the shipped example renders to Applications');
  t.ok(objects.some((o) => o.kind === 'AppProject'));

  // The CMP runs `gitops-k8s generate` in a checkout of the source's path with Argo CD's env.
  const checkout = path.join(work, 'checkout');
  cpSync(path.join(installed, 'examples/platform'), checkout, { recursive: true });
  const generated = execFileSync(bin, ['generate'], {
    cwd: checkout,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ARGOCD_APP_NAME: 'platform',
      ARGOCD_APP_NAMESPACE: 'argocd',
      ARGOCD_APP_REVISION: '0123456789abcdef0123456789abcdef01234567',
      ARGOCD_APP_SOURCE_REPO_URL: 'https://github.com/example/platform.git',
      ARGOCD_APP_SOURCE_TARGET_REVISION: 'main',
      ARGOCD_APP_SOURCE_PATH: '.',
      ARGOCD_APP_PARAMETERS: JSON.stringify([{ name: 'clusters', array: ['do-ams3'] }]),
    },
  });
  t.match(generated, /^kind: Application$/m);
  t.notMatch(generated, /gitops-k8s\.io\/cluster: (?!do-ams3)/, 'only the cluster the parameter names');
  t.same(
    generated.match(/^kind: Application$/gm)!.length,
    rendered.length > 0
      ? JSON.parse(execFileSync(bin, ['render', checkout, '-o', 'json', '-c', 'do-ams3', '--only', 'applications'], { encoding: 'utf8' })).length
      : -1,
    'as many Applications as render gives for that cluster',
  );
});
