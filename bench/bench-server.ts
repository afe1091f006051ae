/**
 * The setup bench/getparams and bench/soak share: a large platform repo
 * committed in its own git repository, and `gitops-k8s serve` on it as a
 * separate process (the load generator must not share its event loop).
 */
import { type ChildProcessByStdio, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type LargeRepo, type LargeRepoOptions, makeLargeRepo } from './make-large-repo.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The package root, from bench/ (tsx) or dist/bench/ (built). */
export const benchRoot = path.resolve(here, existsSync(path.join(here, '../package.json')) ? '..' : '../..');
export const benchCli = path.join(benchRoot, 'dist/src/gitops-k8s.cjs');

export interface CommittedRepo {
  repo: LargeRepo;
  dir: string;
  git: (...args: string[]) => string;
}

/** makeLargeRepo in `dir`, committed on `main` by `author` (who also commits later changes through `git`). */
export function makeCommittedRepo(dir: string, options: LargeRepoOptions, author: string, message: string): CommittedRepo {
  const email = `${author[0]}@example.com`;
  const env = { ...process.env, GIT_AUTHOR_NAME: author, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: author, GIT_COMMITTER_EMAIL: email };
  const git = (...args: string[]): string => execFileSync('git', ['-C', dir, ...args], { env, encoding: 'utf8' }).trim();
  const repo = makeLargeRepo(dir, options);
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', message);
  return { repo, dir, git };
}

export interface BenchServerOptions {
  repoDir: string;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  /** Flags for the server's node (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  /** More `serve` options, before `--log-level warn`. */
  serveArgs?: string[];
}

export interface BenchServer {
  server: ChildProcessByStdio<null, Readable, null>;
  base: string;
}

/** `gitops-k8s serve` on `file://repoDir`, on a free loopback port; resolves with its base URL once it listens. */
export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  const args = [
    ...(options.nodeFlags ?? []),
    benchCli,
    'serve',
    '--repo',
    `file://${options.repoDir}`,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--cache-dir',
    options.cacheDir,
    ...(options.serveArgs ?? []),
    '--log-level',
    'warn',
  ];
  const server = spawn(process.execPath, args, { env: options.env, stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { server, base };
}
