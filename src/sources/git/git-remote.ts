import { createHash } from 'node:crypto';
import { mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { createError } from '../../core/errors.js';
import type { RepoFiles } from '../repo-files.js';
import { gitAccess, type CredentialSources } from '../credentials.js';
import { openGitCommit, resolveRevision } from './git.js';
import type { PlatformSource } from '../platform-source.js';
import { displayURL } from '../redact.js';
import { closedError, eitherSignal, waitUnlessAborted } from '../abort.js';
import { abortError, runGit } from './run-git.js';

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
 * Branches and tags. Not every pull-request head: GitHub keeps one per pull
 * request ever opened, and with 5,000 of them a fetch that brings nothing new
 * took 471 ms instead of 41 ms (bench/fetch.ts), once a second. A
 * commit only a pull request reaches (a fork's head, which previews ask for)
 * is fetched by its id, and a pull-request ref asked for by name joins the
 * fetches from then on.
 */
const FETCH_REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];
/** `refs/pull/12/head`, `pull/12/merge`: GitHub's and Gitea's pull-request refs. */
const PULL_REF = /^(?:refs\/)?pull\/(\d+)\/(head|merge)$/;
/** Pull-request refs kept in the fetches, the least recently asked for dropped first. */
const MAX_PULL_REFS = 64;
/** What git says when the remote has no such commit (protocol v2) or will not send an unadvertised one (v0). */
const NO_SUCH_COMMIT = /not our ref|unadvertised object|no such remote ref|couldn't find remote ref/i;

/**
 * A refspec for one ref that is no error when the remote lacks it (a pull
 * request deleted since): a glob, `refs/pull/12/head*`, which matches that
 * ref alone, where a plain name missing on the remote would fail the fetch.
 */
function optionalRefspec(ref: string): string {
  return `+${ref}*:${ref}*`;
}

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
  // Pull-request refs asked for by name, fetched with the branches (least recently asked for first).
  const pullRefs = new Set<string>();
  // Aborted by close(): every git process of this source is killed, shared fetches included.
  const closing = new AbortController();

  const ensureClone = async (): Promise<void> => {
    if (existsSync(path.join(gitDir, 'HEAD'))) return;
    mkdirSync(gitDir, { recursive: true });
    await runGit(['init', '--bare', '-q'], { cwd: gitDir, timeoutMs: 10_000, signal: closing.signal });
  };

  // One `git fetch` from the remote (into the bare clone, made on first
  // use), timed for onFetch; a failure names the repo: GK_TIMEOUT or GK_GIT.
  const runFetch = async (refspecs: readonly string[], how: { prune: boolean; background: boolean }): Promise<void> => {
    const started = performance.now();
    let ok = false;
    try {
      await ensureClone();
      const access = gitAccess(options.url, options.credentials);
      const prune = how.prune ? ['--prune'] : [];
      await runGit(['fetch', '--quiet', ...prune, '--force', '--no-tags', '--no-write-fetch-head', '--', access.url, ...refspecs], {
        cwd: gitDir,
        env: access.env,
        timeoutMs: fetchTimeoutMs,
        lowPriority: how.background,
        signal: closing.signal,
      });
      ok = true;
    } catch (error) {
      if (closing.signal.aborted) throw closing.signal.reason;
      const gitopsError = error as { code?: string; message?: string };
      if (gitopsError.code === 'GK_TIMEOUT') throw createError('GK_TIMEOUT', `fetching ${display} took longer than ${fetchTimeoutMs} ms`, {}, { cause: error });
      throw createError('GK_GIT', `fetching ${display} failed: ${gitopsError.message ?? String(error)}`, {}, { cause: error });
    } finally {
      options.onFetch?.((performance.now() - started) / 1000, ok);
    }
  };

  const fetchNow = async (background: boolean): Promise<void> => {
    const startedGeneration = generation;
    try {
      await runFetch([...FETCH_REFSPECS, ...[...pullRefs].map(optionalRefspec), `+HEAD:${REMOTE_HEAD}`], { prune: true, background });
    } catch (error) {
      mustWait = true;
      throw error;
    }
    // Re-resolve what callers asked for before, then swap: a call never
    // waits for `git rev-parse` of a revision it has asked for before.
    const fresh = new Map<string, string>();
    for (const rev of resolved.keys()) {
      try {
        fresh.set(rev, await resolveRevision(gitDir, rev, { lowPriority: background, signal: closing.signal }));
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
  // (shared with every call that needs a fetch started after it). Still
  // missing: only a pull request (or nothing) reaches it, so ask for it by id.
  const fetchFor = async (commit: string, signal: AbortSignal): Promise<void> => {
    const wait = <T>(work: Promise<T>): Promise<T> =>
      waitUnlessAborted(work, signal, () => abortError(signal, `fetching ${commit.slice(0, 12)} from ${display}`));
    if (fetching) {
      await wait(fetching.catch(() => undefined));
      if (await hasCommit(commit, signal)) return;
    }
    await wait(fetchShared());
    if (await hasCommit(commit, signal)) return;
    await wait(fetchCommit(commit));
  };

  // Concurrent calls for the same missing commit share one fetch of it.
  const fetchingCommits = new Map<string, Promise<void>>();
  const fetchCommit = (commit: string): Promise<void> => {
    let running = fetchingCommits.get(commit);
    if (!running) {
      running = fetchCommitNow(commit).finally(() => fetchingCommits.delete(commit));
      fetchingCommits.set(commit, running);
    }
    return running;
  };
  const fetchCommitNow = async (commit: string): Promise<void> => {
    try {
      await runFetch([commit], { prune: false, background: false });
    } catch (error) {
      // The remote has no such commit (or will not send it): the caller reports it unknown.
      if (!NO_SUCH_COMMIT.test((error as Error).message)) throw error;
    }
  };

  // A pull-request ref asked for by name joins the fetches; the first time, the call waits for a fetch that has it.
  const wantPullRef = async (ref: string, signal: AbortSignal): Promise<void> => {
    const known = pullRefs.delete(ref);
    pullRefs.add(ref);
    if (pullRefs.size > MAX_PULL_REFS) pullRefs.delete(pullRefs.values().next().value!);
    if (known) return;
    const wait = <T>(work: Promise<T>): Promise<T> => waitUnlessAborted(work, signal, () => abortError(signal, `fetching ${ref} from ${display}`));
    if (fetching) await wait(fetching.catch(() => undefined));
    await wait(fetchShared());
  };

  const hasCommit = async (commit: string, signal: AbortSignal): Promise<boolean> => {
    if (!existsSync(path.join(gitDir, 'HEAD'))) return false;
    const result = await runGit(['cat-file', '-e', `${commit}^{commit}`], { cwd: gitDir, allowCodes: [1, 128], timeoutMs: 10_000, signal });
    return result.code === 0;
  };

  return {
    display,
    async resolve(revision, callSignal) {
      const signal = eitherSignal(closing.signal, callSignal);
      if (signal.aborted) throw abortError(signal, `resolving ${JSON.stringify(revision || 'HEAD')} of ${display}`);
      const wait = <T>(work: Promise<T>): Promise<T> =>
        waitUnlessAborted(work, signal, () => abortError(signal, `resolving ${JSON.stringify(revision || 'HEAD')} of ${display}`));
      const pull = PULL_REF.exec(revision);
      const rev = revision === '' || revision === 'HEAD' ? REMOTE_HEAD : pull ? `refs/pull/${pull[1]}/${pull[2]}` : revision;
      if (pull) await wantPullRef(rev, signal);
      // A full commit id never moves: no fetch when it is already here, and
      // always one (whatever the refresh interval) before it is called unknown.
      if (FULL_ID.test(rev)) {
        const commit = rev.toLowerCase();
        if (knownCommits.has(commit)) return commit;
        if (!(await hasCommit(commit, signal))) await fetchFor(commit, signal);
        if (await hasCommit(commit, signal)) {
          knownCommits.add(commit);
          return commit;
        }
        throw createError(
          'GK_UNKNOWN_REVISION',
          `commit ${commit} is not in ${display} (asked for it just now: the remote does not have it, or will not give a commit no branch, tag or pull request reaches)`,
          { field: 'revision' },
        );
      } else if (mustWait || refreshIntervalMs === 0) {
        await wait(fetchShared());
      } else if (Date.now() - lastFetch >= refreshIntervalMs) {
        // Stale: fetch in the background; a failure makes the next call wait (and fail).
        fetchShared(true).catch(() => undefined);
      }
      const cached = resolved.get(rev);
      if (cached) return cached;
      try {
        const running = resolving.get(rev);
        if (running) return await wait(running);
        const before = fetches;
        // Shared with concurrent calls: only close() stops it.
        const lookup = resolveRevision(gitDir, rev, { signal: closing.signal }).finally(() => resolving.delete(rev));
        resolving.set(rev, lookup);
        const commit = await wait(lookup);
        if (before === fetches) resolved.set(rev, commit);
        return commit;
      } catch (error) {
        if ((error as { code?: string }).code === 'GK_UNKNOWN_REVISION') {
          throw createError(
            'GK_UNKNOWN_REVISION',
            `revision ${JSON.stringify(revision || 'HEAD')} names no branch, tag or commit of ${display}`,
            { field: 'revision' },
            { cause: error },
          );
        }
        throw error;
      }
    },
    open(commit, dir, openOptions): Promise<RepoFiles> {
      const signal = eitherSignal(closing.signal, openOptions?.signal);
      return openGitCommit(gitDir, commit, {
        path: dir,
        label: `${display}@${commit.slice(0, 12)}`,
        parseCache: openOptions?.parseCache,
        deferReads: true,
        signal,
      });
    },
    invalidate() {
      generation++;
      mustWait = true;
    },
    close() {
      closing.abort(closedError(display));
    },
  };
}
