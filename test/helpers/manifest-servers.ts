/**
 * Real servers on loopback for the manifest tests: a Helm chart repository
 * (an index.yaml and charts made with `helm package`), an OCI registry
 * (Debian's docker-registry) and a git daemon. No mocks, no network.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import path from 'node:path';
import { serveChartDir } from '../../bench/chart-repo.js';
import { runCli } from '../../src/cli/cli.js';
import { helmBinary } from './tools.js';

/** An environment for helm that keeps its config and cache in `dir`. */
export function helmEnv(dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GITOPS_K8S_HELM: helmBinary(),
    HELM_CACHE_HOME: path.join(dir, 'helm-cache'),
    HELM_CONFIG_HOME: path.join(dir, 'helm-config'),
    HELM_DATA_HOME: path.join(dir, 'helm-data'),
  };
}

export function run(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(file, args, { encoding: 'utf8', ...options });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

/** Files of a chart: `name`, `version`, and templates by file name. */
export interface ChartSpec {
  name: string;
  version: string;
  templates: Record<string, string>;
  crds?: Record<string, string>;
  values?: string;
}

/** Writes and packages charts into `dir`; returns the .tgz paths. */
export function packageCharts(dir: string, charts: readonly ChartSpec[]): string[] {
  mkdirSync(dir, { recursive: true });
  return charts.map((c) => {
    const src = path.join(dir, 'src', `${c.name}-${c.version}`);
    mkdirSync(path.join(src, 'templates'), { recursive: true });
    writeFileSync(path.join(src, 'Chart.yaml'), `apiVersion: v2\nname: ${c.name}\nversion: ${c.version}\n`);
    writeFileSync(path.join(src, 'values.yaml'), c.values ?? '{}\n');
    for (const [file, text] of Object.entries(c.templates)) writeFileSync(path.join(src, 'templates', file), text);
    if (c.crds) {
      mkdirSync(path.join(src, 'crds'));
      for (const [file, text] of Object.entries(c.crds)) writeFileSync(path.join(src, 'crds', file), text);
    }
    run(helmBinary(), ['package', src, '-d', dir]);
    return path.join(dir, `${c.name}-${c.version}.tgz`);
  });
}

/** A free loopback port (closed again, for a server to bind). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A Helm chart repository serving the charts packaged into `dir` (with `helm repo index`);
 * with `auth`, only to that user name and password (HTTP basic auth). `authorized` lists the
 * paths asked for with an Authorization header, `authorizations` those headers.
 */
export async function startChartRepo(
  dir: string,
  auth?: { username: string; password: string },
): Promise<{ url: string; server: Server; requests: string[]; authorized: string[]; authorizations: string[] }> {
  const requests: string[] = [];
  const authorized: string[] = [];
  const authorizations: string[] = [];
  const { url, server } = await serveChartDir(
    helmBinary(),
    dir,
    (url, authorization) => {
      requests.push(url);
      if (authorization !== undefined) {
        authorized.push(url);
        authorizations.push(authorization);
      }
    },
    auth,
  );
  return { url, server, requests, authorized, authorizations };
}

/**
 * Debian's docker-registry on a free loopback port, storing in `dir`. With `htpasswd`
 * (lines `user:bcrypt-hash`), it asks for HTTP basic auth.
 */
export async function startOciRegistry(dir: string, htpasswd?: string): Promise<{ host: string; child: ChildProcess }> {
  const port = await freePort();
  const config = path.join(dir, 'registry.yml');
  mkdirSync(path.join(dir, 'storage'), { recursive: true });
  let auth = '';
  if (htpasswd !== undefined) {
    writeFileSync(path.join(dir, 'htpasswd'), htpasswd);
    auth = `auth:\n  htpasswd:\n    realm: test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  }
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'storage')}\n${auth}http:\n  addr: 127.0.0.1:${port}\n`,
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://${host}/v2/`).then(
      (r) => r.ok || (htpasswd !== undefined && r.status === 401),
      () => false,
    );
    if (ok) return { host, child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error('docker-registry did not start');
}

/** `git daemon` exporting the repositories under `base` on a free loopback port. */
export async function startGitDaemon(base: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('git', ['daemon', '--export-all', `--base-path=${base}`, '--listen=127.0.0.1', `--port=${port}`, '--reuseaddr', base], {
    stdio: 'ignore',
  });
  const url = `git://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('git', ['ls-remote', `${url}/probe`], { encoding: 'utf8' });
    if (!/Connection refused|unable to connect/i.test(r.stderr)) return { url, child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error('git daemon did not start');
}

/** Commits the files of `dir` as a new git repository; returns the commit. */
export function commitAll(dir: string, tag?: string): string {
  const git = (...args: string[]): string => run('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'manifests');
  if (tag) git('tag', '-a', tag, '-m', tag);
  return git('rev-parse', 'HEAD').trim();
}

/** Writes files given by repo-relative path under `dir` (null removes one); returns `dir`. */
export function writeTree(dir: string, files: Record<string, string | null>): string {
  for (const [file, text] of Object.entries(files)) {
    const full = path.join(dir, file);
    if (text === null) {
      rmSync(full);
      continue;
    }
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  return dir;
}

/** `gitops-k8s check ARGS` in this process, with what it printed. */
export async function runCheck(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['check', ...args], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env, cwd: process.cwd() });
  return { code, stdout, stderr };
}
