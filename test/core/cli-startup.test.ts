import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeLargeRepo } from '../../bench/make-large-repo.js';
import { cliPath, projectRoot } from '../fixtures/core-support/support.js';

// How the bin starts (src/gitops-k8s.cts): --version from package.json alone,
// otherwise Node's compile cache on (where Node has it), then the bundle, or
// tsc's modules without one. The environment is Argo CD's for one app of the example.
const example = path.join(projectRoot, 'examples/platform');
const cmpEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  ARGOCD_APP_NAME: 'platform',
  ARGOCD_APP_NAMESPACE: 'argocd',
  ARGOCD_APP_SOURCE_REPO_URL: 'https://github.com/example/platform.git',
  ARGOCD_APP_SOURCE_PATH: 'examples/platform',
  ARGOCD_APP_SOURCE_TARGET_REVISION: 'main',
  ARGOCD_APP_PARAMETERS: 'null',
  ARGOCD_ENV_NAMESPACE: 'observe',
};

/** A copy of dist/src (and package.json beside it, as in the package) that a test may change, with node_modules resolvable from it. */
function copyOfDist(t: Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gk-dist-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'dist'));
  cpSync(path.join(projectRoot, 'dist/src'), path.join(dir, 'dist/src'), { recursive: true });
  cpSync(path.join(projectRoot, 'package.json'), path.join(dir, 'package.json'));
  symlinkSync(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'));
  return path.join(dir, 'dist/src');
}

function generateWith(bin: string, env: NodeJS.ProcessEnv = cmpEnv): { status: number | null; stdout: string; stderr: string } {
  const { status, stdout, stderr } = spawnSync(process.execPath, [bin, 'generate'], { cwd: example, env, encoding: 'utf8' });
  return { status, stdout, stderr };
}

interface Probed {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The files of dist/ and of the package's dependencies the process required (require.cache when it exited). */
  loaded: string[];
  /** Whether module.enableCompileCache was called, and whether the bundle was loaded by then. */
  compileCache?: { bundleLoaded: boolean };
}

const packageJson = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
const dependencies = Object.keys(packageJson.dependencies);

/**
 * Runs the bin with a preload that records, when the process exits, which
 * files it required and when it turned on the compile cache (on Node 20,
 * which has no module.enableCompileCache, the preload provides one that only
 * records the call). Files required before the probe are left out.
 */
function probe(t: Test, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Probed {
  const dir = t.testdir();
  const report = path.join(dir, 'report.json');
  const preload = path.join(dir, 'probe.cjs');
  writeFileSync(
    preload,
    `const Module = require('node:module');
const { writeFileSync } = require('node:fs');
const state = {};
// What was loaded before this file (the test runner's own preloads) is not the bin's doing.
const before = new Set(Object.keys(require.cache));
const real = Module.enableCompileCache;
Module.enableCompileCache = function (...args) {
  // The first call: src/cli/cli.ts calls it again, from inside the bundle.
  state.compileCache ??= { bundleLoaded: Object.keys(require.cache).some((file) => file.endsWith('cli-bundle.cjs')) };
  return real?.apply(this, args);
};
process.on('exit', () => writeFileSync(${JSON.stringify(report)}, JSON.stringify({ ...state, loaded: Object.keys(require.cache).filter((file) => !before.has(file)) })));
`,
  );
  const run = spawnSync(process.execPath, ['--require', preload, cliPath, ...args], {
    cwd: options.cwd ?? example,
    env: options.env ?? cmpEnv,
    encoding: 'utf8',
  });
  const recorded = JSON.parse(readFileSync(report, 'utf8')) as Pick<Probed, 'loaded' | 'compileCache'>;
  // The test runner adds preloads of its own to child processes: only the package's files count.
  const loaded = recorded.loaded.filter(
    (file) =>
      file.startsWith(path.join(projectRoot, 'dist')) || dependencies.some((name) => file.includes(`${path.sep}node_modules${path.sep}${name}${path.sep}`)),
  );
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, ...recorded, loaded };
}

t.test('--version and -V print the version in package.json without loading the CLI', (t) => {
  const { version } = packageJson;
  const commander = spawnSync(process.execPath, [path.join(projectRoot, 'dist/src/cli/cli.js'), '--version'], { encoding: 'utf8' });
  t.equal(commander.stdout, `${version}\n`, "the CLI's own --version (commander) prints the same");
  for (const flag of ['--version', '-V']) {
    const run = probe(t, [flag]);
    t.equal(run.status, 0, run.stderr);
    t.equal(run.stdout, `${version}\n`, flag);
    t.equal(run.stderr, '');
    t.same(run.loaded, [cliPath], `${flag}: the bin is all it loads`);
    t.equal(run.compileCache, undefined, `${flag}: nothing to compile, no cache to open`);
  }
  const other = probe(t, ['--version', 'generate']);
  t.ok(
    other.loaded.some((file) => file.endsWith('cli-bundle.cjs')),
    'anything more than the flag alone goes to the CLI',
  );
  t.end();
});

t.test('the bin turns on the compile cache before it loads the bundle, and generate on the example loads no slow path', (t) => {
  const run = probe(t, ['generate'], { env: { ...cmpEnv, ARGOCD_ENV_NAMESPACE: '' } });
  t.equal(run.status, 0, run.stderr);
  t.equal(run.stderr, 'gitops-k8s: 24 Applications, 5 AppProjects\n');
  t.same(run.compileCache, { bundleLoaded: false }, 'enableCompileCache, then the bundle');
  t.ok(run.loaded.includes(path.join(projectRoot, 'dist/src/cli-bundle.cjs')), 'the bundle');
  // The example has a fluent-bit config with ${ES_PASSWORD} beside its {{variables}}:
  // it needs no Handlebars, ajv or the validators that explain errors. Its flow lists
  // and maps and block scalars are outside the block parser's subset, and the `yaml`
  // package (cli-yaml.cjs) is the one reader of such files, so that a file means one
  // thing whichever path reads it (issue 10, item 16): that load is expected here.
  const slow = run.loaded.filter((file) => /[\\/]node_modules[\\/](handlebars|ajv)[\\/]|validators-full/.test(file));
  t.same(slow, [], 'no Handlebars, ajv or full validators');
  t.end();
});

t.test(
  'on Node >= 22.1 the compile cache is written where Node keeps it, and used',
  { skip: (nodeModule as { enableCompileCache?: unknown }).enableCompileCache ? false : `Node ${process.version} has no module.enableCompileCache` },
  (t) => {
    // NODE_COMPILE_CACHE left out (the image sets it): the bin's own call turns the cache on, in Node's default place under TMPDIR.
    const temp = t.testdir();
    const env = { ...cmpEnv, TMPDIR: temp, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' };
    const first = generateWith(cliPath, env);
    t.equal(first.status, 0, first.stderr);
    t.ok(readdirSync(path.join(temp, 'node-compile-cache')).length > 0, 'a cache directory per Node version');
    const second = generateWith(cliPath, env);
    t.equal(second.stdout, first.stdout);
    t.match(second.stderr, /cli-bundle\.cjs was accepted/, "V8 took the bundle's cached code");
    t.end();
  },
);

t.test("without the bundle the bin runs tsc's modules and prints exactly the same", (t) => {
  const expected = generateWith(cliPath);
  t.equal(expected.status, 0, expected.stderr);
  t.match(expected.stdout, /kind: Application\n/);
  const dir = copyOfDist(t);
  const bin = path.join(dir, 'gitops-k8s.cjs');
  t.same(generateWith(bin), expected, 'a copy of dist/src with the bundle');
  rmSync(path.join(dir, 'cli-bundle.cjs'));
  t.same(generateWith(bin), expected, "tsc's dist/src/cli/cli.js runs in its place");
  t.end();
});

t.test("the commands left out of the bundle load through import() of tsc's modules", (t) => {
  for (const command of ['serve', 'diff', 'status', 'bootstrap']) {
    const run = probe(t, [command, '--help']);
    t.equal(run.status, 0, `${command} --help: ${run.stderr}`);
    t.match(run.stdout, new RegExp(`^Usage: gitops-k8s ${command} `), command);
  }
  t.end();
});

/** python3 that makes its stdout non-blocking, then becomes the command in its arguments. */
const becomeNonBlocking = 'import os, sys; os.set_blocking(1, False); os.execv(sys.argv[1], sys.argv[1:])';

/** A repo that renders to over a megabyte, made once for the tests below. */
let large: string | undefined;
function largeRepo(): { dir: string } {
  if (large === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), 'gk-large-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    large = makeLargeRepo(path.join(dir, 'repo'), { apps: 120, clusters: 6 }).dir;
  }
  return { dir: large };
}

t.test('output to a descriptor that would block goes on through the stream and arrives whole', async (t) => {
  // Over a megabyte of YAML into a non-blocking pipe whose reader waits a
  // second: writeSync gets EAGAIN and the bin hands over to process.stdout.
  // Node's children always get blocking standard descriptors (libuv resets
  // them), so python3 sets O_NONBLOCK and then becomes the CLI, as a parent in
  // another language or a terminal left non-blocking would hand it over.
  const repo = largeRepo();
  const direct = spawnSync(process.execPath, [cliPath, 'render', repo.dir], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { PATH: process.env.PATH },
  });
  t.equal(direct.status, 0, direct.stderr);
  t.ok(direct.stdout.length > 1024 * 1024, `${direct.stdout.length} characters`);

  const writer = spawn('python3', ['-c', becomeNonBlocking, process.execPath, cliPath, 'render', repo.dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH },
  });
  let stderr = '';
  writer.stderr.on('data', (d: Buffer) => (stderr += d));
  const flags = await new Promise<number>((resolve) => {
    const poll = (): void => {
      let value = 0;
      try {
        value = Number.parseInt(/^flags:\s+(\d+)/m.exec(readFileSync(`/proc/${writer.pid}/fdinfo/1`, 'utf8'))![1]!, 8);
      } catch {
        // The process is gone: report what was last seen.
        resolve(value);
        return;
      }
      if (value & 0o4000) resolve(value);
      else setTimeout(poll, 2);
    };
    poll();
  });
  t.ok(flags & 0o4000, "the CLI's stdout is non-blocking (O_NONBLOCK)");
  const chunks: Buffer[] = [];
  await new Promise((resolve) => setTimeout(resolve, 1000));
  writer.stdout.on('data', (d: Buffer) => chunks.push(d));
  const status = await new Promise<number | null>((resolve) => writer.on('close', resolve));
  t.equal(status, 0, stderr);
  t.equal(createHash('sha256').update(Buffer.concat(chunks)).digest('hex'), createHash('sha256').update(direct.stdout).digest('hex'), 'every byte, in order');
});

t.test('a reader that goes away ends render quietly, with 141 as SIGPIPE would, never 0', async (t) => {
  // A shell's pipe into head: blocking, so writeSync itself gets EPIPE.
  const shell = spawnSync(
    'bash',
    [
      '-c',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash script, where ${...} is bash's
      'node "$0" render "$1" 2>"$2" | head -c 100 >/dev/null; echo "${PIPESTATUS[0]}"',
      cliPath,
      largeRepo().dir,
      path.join(largeRepo().dir, '..', 'stderr'),
    ],
    {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    },
  );
  t.equal(shell.stdout.trim(), '141', 'render | head');
  t.equal(readFileSync(path.join(largeRepo().dir, '..', 'stderr'), 'utf8'), '', 'render | head: no stack trace, no message');

  // A non-blocking pipe whose reader waits until the CLI has handed over to
  // the stream (EAGAIN), then leaves: the stream gets EPIPE.
  const writer = spawn('python3', ['-c', becomeNonBlocking, process.execPath, cliPath, 'render', largeRepo().dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH },
  });
  let stderr = '';
  writer.stderr.on('data', (d: Buffer) => (stderr += d));
  await new Promise((resolve) => setTimeout(resolve, 500));
  writer.stdout.once('data', () => writer.stdout.destroy());
  const status = await new Promise<number | null>((resolve) => writer.on('close', resolve));
  t.equal(status, 141, 'non-blocking pipe');
  t.equal(stderr, '', 'non-blocking pipe: no stack trace, no message');
});
