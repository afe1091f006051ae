import { createHash } from 'node:crypto';
import { mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { createError } from '../errors.js';
import type { RepoFiles } from '../repo-files.js';
import { gitAccess, type CredentialSources } from './credentials.js';
import { openGitCommit, resolveRevision } from './git.js';
import type { PlatformSource } from './platform-source.js';
import { displayURL } from './redact.js';
import { runGit } from './run-git.js';

/** Options of {@link openGitRemote}. */
export interface GitRemoteOptions {
  /** `https://`, `http://`, `ssh://` or `file://` URL. */
  url: string;
  /** Folder holding one bare clone per repo URL. */
  cacheDir: string;
  credentials: CredentialSources;
  /** A fetch taking longer fails with GK_TIMEOUT. Default 30 s. */
  fetchTimeoutMs?: number;
  /**
   * A branch is fetched again when its last fetch is older than this.
   * Default 1000 ms; 0 fetches on every call (and waits for it). Otherwise the
   * call that finds it stale starts the fetch and is answered from what was
   * fetched before; the calls after the fetch see its result.
   */
  refreshIntervalMs?: number;
  /** Called after every fetch, for metrics. */
  onFetch?: (seconds: number, ok: boolean) => void;
}

/** Where the remote's HEAD is kept in the bare clone. */
const REMOTE_HEAD = 'refs/gk/HEAD';
const FULL_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/i;
/**
 * Branches, tags, and pull-request heads where the remote has them (GitHub,
 * Gitea): a fork's commits are reachable there only, and previews ask for
 * them by commit id. A glob that matches nothing is not an error.
 */
const FETCH_REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*', '+refs/pull/*/head:refs/pull/*/head'];

/** The bare clone of one repo URL, kept under `cacheDir/<hash>.git` and fetched on demand. */
export function openGitRemote(options: GitRemoteOptions): PlatformSource {
  const display = displayURL(options.url);
  const key = createHash('sha256').update(display).digest('hex').slice(0, 16);
  const gitDir = path.join(options.cacheDir, `${key}.git`);
  const fetchTimeoutMs = options.fetchTimeoutMs ?? 30_000;
  const refreshIntervalMs = options.refreshIntervalMs ?? 1000;
  let lastFetch = 0;
  let fetching: Promise<void> | undefined;
  let generation = 0;
  // Set by invalidate() (a push) and by a failed fetch: the next call waits
  // for a fetch, so a push is seen at once and an outage is a non-2xx.
  let mustWait = true;
  // Revisions resolved against what the last fetch brought; cleared by the next one.
  const resolved = new Map<string, string>();
  let fetches = 0;
  // Concurrent calls for the same revision share one `git rev-parse`.
  const resolving = new Map<string, Promise<string>>();
  const knownCommits = new Set<string>();

  const ensureClone = async (): Promise<void> => {
    if (existsSync(path.join(gitDir, 'HEAD'))) return;
    mkdirSync(gitDir, { recursive: true });
    await runGit(['init', '--bare', '-q'], { cwd: gitDir, timeoutMs: 10_000 });
  };

  const fetchNow = async (background: boolean): Promise<void> => {
    const started = performance.now();
    const startedGeneration = generation;
    let ok = false;
    try {
      await ensureClone();
      const access = gitAccess(options.url, options.credentials);
      await runGit(
        ['fetch', '--quiet', '--prune', '--force', '--no-tags', '--no-write-fetch-head', '--', access.url, ...FETCH_REFSPECS, `+HEAD:${REMOTE_HEAD}`],
        { cwd: gitDir, env: access.env, timeoutMs: fetchTimeoutMs, lowPriority: background },
      );
      ok = true;
      // Re-resolve what callers asked for before, then swap: a call never
      // waits for `git rev-parse` of a revision it has asked for before.
      const fresh = new Map<string, string>();
      for (const rev of resolved.keys()) {
        try {
          fresh.set(rev, await resolveRevision(gitDir, rev, { lowPriority: background }));
        } catch {
          // Gone from the remote: the next call resolves it and reports it.
        }
      }
      fetches++;
      resolved.clear();
      for (const [rev, commit] of fresh) resolved.set(rev, commit);
      // An invalidation during the fetch may have missed it: keep it stale.
      if (startedGeneration === generation) {
        lastFetch = Date.now();
        mustWait = false;
      }
    } catch (error) {
      mustWait = true;
      const gitopsError = error as { code?: string; message?: string };
      if (gitopsError.code === 'GK_TIMEOUT') throw createError('GK_TIMEOUT', `fetching ${display} took longer than ${fetchTimeoutMs} ms`, {}, { cause: error });
      throw createError('GK_GIT', `fetching ${display} failed: ${gitopsError.message ?? String(error)}`, {}, { cause: error });
    } finally {
      options.onFetch?.((performance.now() - started) / 1000, ok);
    }
  };

  // Identical concurrent fetches share one git process.
  // A background refresh runs niced; a caller that must wait may join it.
  const fetchShared = (background = false): Promise<void> => {
    fetching ??= fetchNow(background).finally(() => {
      fetching = undefined;
    });
    return fetching;
  };

  // A fetch in flight may have listed the remote's refs before the commit
  // was pushed: wait for it, and if the commit is still missing, fetch again
  // (shared with every call that needs a fetch started after it).
  const fetchFor = async (commit: string): Promise<void> => {
    if (fetching) {
      await fetching.catch(() => undefined);
      if (await hasCommit(commit)) return;
    }
    await fetchShared();
  };

  const hasCommit = async (commit: string): Promise<boolean> => {
    if (!existsSync(path.join(gitDir, 'HEAD'))) return false;
    const result = await runGit(['cat-file', '-e', `${commit}^{commit}`], { cwd: gitDir, allowCodes: [1, 128], timeoutMs: 10_000 });
    return result.code === 0;
  };

  return {
    display,
    async resolve(revision) {
      const rev = revision === '' || revision === 'HEAD' ? REMOTE_HEAD : revision;
      // A full commit id never moves: no fetch when it is already here, and
      // always one (whatever the refresh interval) before it is called unknown.
      if (FULL_ID.test(rev)) {
        const commit = rev.toLowerCase();
        if (knownCommits.has(commit)) return commit;
        if (!(await hasCommit(commit))) await fetchFor(commit);
        if (await hasCommit(commit)) {
          knownCommits.add(commit);
          return commit;
        }
        throw createError('GK_UNKNOWN_REVISION', `commit ${commit} is not in ${display} (fetched just now: no branch, tag or pull request reaches it)`, { field: 'revision' });
      } else if (mustWait || refreshIntervalMs === 0) {
        await fetchShared();
      } else if (Date.now() - lastFetch >= refreshIntervalMs) {
        // Stale: fetch in the background; a failure makes the next call wait (and fail).
        fetchShared(true).catch(() => undefined);
      }
      const cached = resolved.get(rev);
      if (cached) return cached;
      try {
        const running = resolving.get(rev);
        if (running) return await running;
        const before = fetches;
        const lookup = resolveRevision(gitDir, rev).finally(() => resolving.delete(rev));
        resolving.set(rev, lookup);
        const commit = await lookup;
        if (before === fetches) resolved.set(rev, commit);
        return commit;
      } catch (error) {
        if ((error as { code?: string }).code === 'GK_UNKNOWN_REVISION') {
          throw createError('GK_UNKNOWN_REVISION', `revision ${JSON.stringify(revision || 'HEAD')} names no branch, tag or commit of ${display}`, { field: 'revision' }, { cause: error });
        }
        throw error;
      }
    },
    open(commit, dir, openOptions): Promise<RepoFiles> {
      return openGitCommit(gitDir, commit, { path: dir, label: `${display}@${commit.slice(0, 12)}`, parseCache: openOptions?.parseCache });
    },
    invalidate() {
      generation++;
      mustWait = true;
    },
  };
}
