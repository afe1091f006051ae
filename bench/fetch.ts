/**
 * bench/fetch: what a git fetch that brings nothing new costs the generator
 * (it makes one per refresh interval, a second by default) on a repo with
 * many pull requests, as GitHub repos have: the refspecs of src/sources/git/git-remote.ts
 * (branches and tags) against the same plus every `refs/pull/<n>/head`, which
 * it fetched before, alternating in the same run; then `resolve('main')` of
 * the real source with a fetch on every call.
 *
 *   npm run build && npm run bench:fetch
 *
 * Environment: BENCH_PULL_REQUESTS (default 5000), BENCH_ROUNDS (15).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openGitRemote } from '../src/sources/git/git-remote.js';

const pullRequests = Number(process.env.BENCH_PULL_REQUESTS ?? 5000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
const work = mkdtempSync(path.join(tmpdir(), 'gk-bench-fetch-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

// A remote with a few commits, one branch and a pull-request head per pull request.
const source = path.join(work, 'work');
git(work, 'init', '-q', '-b', 'main', source);
git(source, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '--allow-empty', '-m', 'first');
for (let i = 0; i < 20; i++) git(source, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '--allow-empty', '-m', `change ${i}`);
const commits = git(source, 'rev-list', 'HEAD').trim().split('\n');
const remote = path.join(work, 'remote.git');
git(work, 'clone', '-q', '--bare', source, remote);
execFileSync('git', ['update-ref', '--stdin'], {
  cwd: remote,
  input: `${Array.from({ length: pullRequests }, (_, i) => `create refs/pull/${i + 1}/head ${commits[i % commits.length]}`).join('\n')}\n`,
});
git(remote, 'pack-refs', '--all');
const url = `file://${remote}`;

const ours = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*', '+HEAD:refs/gk/HEAD'];
const everyPull = [...ours, '+refs/pull/*/head:refs/pull/*/head'];
const clone = (name: string, refspecs: string[]): string => {
  const dir = path.join(work, name);
  git(work, 'init', '-q', '--bare', dir);
  git(dir, 'fetch', '--quiet', '--prune', '--force', '--no-tags', '--no-write-fetch-head', '--', url, ...refspecs);
  return dir;
};
const oursClone = clone('ours.git', ours);
const everyPullClone = clone('every-pull.git', everyPull);

const oursMs: number[] = [];
const everyPullMs: number[] = [];
for (let i = 0; i < rounds; i++) {
  everyPullMs.push(time(() => git(everyPullClone, 'fetch', '--quiet', '--prune', '--force', '--no-tags', '--no-write-fetch-head', '--', url, ...everyPull)));
  oursMs.push(time(() => git(oursClone, 'fetch', '--quiet', '--prune', '--force', '--no-tags', '--no-write-fetch-head', '--', url, ...ours)));
}

const platformSource = openGitRemote({ url, cacheDir: path.join(work, 'cache'), credentials: {}, refreshIntervalMs: 0 });
await platformSource.resolve('main');
const resolveMs: number[] = [];
for (let i = 0; i < rounds; i++) {
  const start = performance.now();
  await platformSource.resolve('main');
  resolveMs.push(performance.now() - start);
}

console.log(
  `git ${git(work, 'version')
    .trim()
    .replace(/^git version /, '')}, a file:// remote with ${pullRequests} pull requests, median of ${rounds}`,
);
console.log(`  fetch, nothing new, branches and tags (now)        ${median(oursMs).toFixed(0).padStart(5)} ms`);
console.log(`  fetch, nothing new, plus every refs/pull/*/head    ${median(everyPullMs).toFixed(0).padStart(5)} ms   (before)`);
console.log(`  ratio                                              ${(median(everyPullMs) / median(oursMs)).toFixed(1)}x`);
console.log(`  source.resolve('main'), fetching on every call     ${median(resolveMs).toFixed(0).padStart(5)} ms`);
