import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeLargeRepo } from '../../bench/make-large-repo.js';
import { cliPath, projectRoot, runCli } from '../fixtures/core-support/support.js';

// How the bin starts (src/gitops-k8s.cts): the bundle from its code cache, and
// every way of falling back to compiling it, or to tsc's modules, prints the
// same. The environment is Argo CD's for one app of the example.
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

/** A copy of dist/src that a test may change, with node_modules resolvable from it. */
function copyOfDist(t: Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gk-dist-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(projectRoot, 'dist/src'), path.join(dir, 'src'), { recursive: true });
  symlinkSync(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'));
  return path.join(dir, 'src');
}

/** What loadBundledCli reports of the code cache in `dir`, from a process without V8 flags (as Argo CD runs the bin). */
function cacheState(dir: string, nodeArgs: string[] = []): string {
  const probe = `process.stdout.write(String(require(${JSON.stringify(path.join(dir, 'gitops-k8s.cjs'))}).loadBundledCli()?.cache))`;
  const result = spawnSync(process.execPath, [...nodeArgs, '-e', probe], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout;
}

function generateWith(bin: string, nodeArgs: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const { status, stdout, stderr } = spawnSync(process.execPath, [...nodeArgs, bin, 'generate'], { cwd: example, env: cmpEnv, encoding: 'utf8' });
  return { status, stdout, stderr };
}

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

t.test('the bin runs the bundle from the code cache the build made', (t) => {
  t.equal(cacheState(path.join(projectRoot, 'dist/src')), 'used');
  t.end();
});

t.test('without a usable code cache, or without the bundle, the bin prints exactly the same', (t) => {
  const expected = generateWith(cliPath);
  t.equal(expected.status, 0, expected.stderr);
  t.match(expected.stdout, /kind: Application\n/);
  const dir = copyOfDist(t);
  const bin = path.join(dir, 'gitops-k8s.cjs');
  const cacheFile = path.join(dir, 'cli-bundle.cjs.v8-cache');
  const cache = readFileSync(cacheFile);

  // A flag that changes code generation (Node 26's V8 no longer counts heap sizes).
  t.equal(cacheState(dir, ['--no-opt']), 'rejected', 'other V8 flags: V8 refuses the cache');
  t.same(generateWith(bin, ['--no-opt']), expected);

  // A cache made for another build of the bundle: V8 would take it if the lengths matched.
  writeFileSync(cacheFile, Buffer.concat([Buffer.from('gitops-k8s 0123456789abcdef'.padEnd(31) + '\n', 'latin1'), cache.subarray(32)]));
  t.equal(cacheState(dir), 'stale');
  t.same(generateWith(bin), expected);

  rmSync(cacheFile);
  t.equal(cacheState(dir), 'none');
  t.same(generateWith(bin), expected);

  rmSync(path.join(dir, 'cli-bundle.cjs'));
  t.equal(cacheState(dir), 'undefined', 'no bundle to load');
  t.same(generateWith(bin), expected, "tsc's dist/src/cli.js runs in its place");
  t.end();
});

t.test('the commands left out of the bundle load through the bin', (t) => {
  for (const command of ['serve', 'diff', 'status', 'bootstrap']) {
    const run = runCli([command, '--help']);
    t.equal(run.status, 0, `${command} --help: ${run.stderr}`);
    t.match(run.stdout, new RegExp(`^Usage: gitops-k8s ${command} `), command);
  }
  t.end();
});

t.test('output to a descriptor that would block goes on through the stream and arrives whole', async (t) => {
  // Over a megabyte of YAML into a non-blocking pipe whose reader waits a
  // second: writeSync gets EAGAIN and the bin hands over to process.stdout.
  // Node's children always get blocking standard descriptors (libuv resets
  // them), so python3 sets O_NONBLOCK and then becomes the CLI, as a parent in
  // another language or a terminal left non-blocking would hand it over.
  const repo = largeRepo();
  const direct = spawnSync(process.execPath, [cliPath, 'render', repo.dir], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { PATH: process.env.PATH } });
  t.equal(direct.status, 0, direct.stderr);
  t.ok(direct.stdout.length > 1024 * 1024, `${direct.stdout.length} characters`);

  const writer = spawn('python3', ['-c', becomeNonBlocking, process.execPath, cliPath, 'render', repo.dir], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
  let stderr = '';
  writer.stderr.on('data', (d: Buffer) => (stderr += d));
  const flags = await new Promise<number>((resolve) => {
    const poll = (): void => {
      let value = 0;
      try {
        value = Number.parseInt(/^flags:\s+(\d+)/m.exec(readFileSync(`/proc/${writer.pid}/fdinfo/1`, 'utf8'))![1]!, 8);
      } catch {
        // The process is gone: report what was last seen.
        return resolve(value);
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
  const shell = spawnSync('bash', ['-c', 'node "$0" render "$1" 2>"$2" | head -c 100 >/dev/null; echo "${PIPESTATUS[0]}"', cliPath, largeRepo().dir, path.join(largeRepo().dir, '..', 'stderr')], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  t.equal(shell.stdout.trim(), '141', 'render | head');
  t.equal(readFileSync(path.join(largeRepo().dir, '..', 'stderr'), 'utf8'), '', 'render | head: no stack trace, no message');

  // A non-blocking pipe whose reader waits until the CLI has handed over to
  // the stream (EAGAIN), then leaves: the stream gets EPIPE.
  const writer = spawn('python3', ['-c', becomeNonBlocking, process.execPath, cliPath, 'render', largeRepo().dir], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
  let stderr = '';
  writer.stderr.on('data', (d: Buffer) => (stderr += d));
  await new Promise((resolve) => setTimeout(resolve, 500));
  writer.stdout.once('data', () => writer.stdout.destroy());
  const status = await new Promise<number | null>((resolve) => writer.on('close', resolve));
  t.equal(status, 141, 'non-blocking pipe');
  t.equal(stderr, '', 'non-blocking pipe: no stack trace, no message');
});
