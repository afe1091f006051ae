import { createHash } from 'node:crypto';
import { mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { createError } from '../../core/errors.js';
import type { RepoFiles } from '../repo-files.js';
import { gitAccess, type CredentialSources } from '../credentials.js';
import { openGitCommit, resolveRevision } from './git.js';
import type { OpenOptions, PlatformSource } from '../platform-source.js';
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

/** What a fetch does: prune refs gone from the remote; run niced (a background refresh). */
interface FetchMode {
  prune: boolean;
  background: boolean;
}

/**
 * The bare clone of one repo URL, kept under `cacheDir/<hash>.git` and
 * fetched on demand: its state is what the last fetch brought (when, and the
 * revisions resolved against it) and the fetches in flight.
 */
class GitRemote implements PlatformSource {
  readonly display: string;
  readonly #options: GitRemoteOptions;
  readonly #gitDir: string;
  readonly #fetchTimeoutMs: number;
  readonly #refreshIntervalMs: number;
  #lastFetch = 0;
  #fetching: Promise<void> | undefined;
  /** Moved on by invalidate(): a fetch started before it does not count as fresh. */
  #generation = 0;
  // Set by invalidate() (a push) and by a failed fetch: the next call waits
  // for a fetch, so a push is seen at once and an outage is a non-2xx.
  #mustWait = true;
  /** Revisions resolved against what the last fetch brought; replaced by the next one. */
  readonly #resolved = new Map<string, string>();
  /** Fetches done: a `git rev-parse` that spans one is not kept. */
  #fetches = 0;
  /** Concurrent calls for the same revision share one `git rev-parse`. */
  readonly #resolving = new Map<string, Promise<string>>();
  readonly #knownCommits = new Set<string>();
  /** Pull-request refs asked for by name, fetched with the branches (least recently asked for first). */
  readonly #pullRefs = new Set<string>();
  /** Concurrent calls for the same missing commit share one fetch of it. */
  readonly #fetchingCommits = new Map<string, Promise<void>>();
  /** Aborted by close(): every git process of this source is killed, shared fetches included. */
  readonly #closing = new AbortController();

  constructor(options: GitRemoteOptions) {
    this.#options = options;
    this.display = displayURL(options.url);
    const key = createHash('sha256').update(this.display).digest('hex').slice(0, 16);
    this.#gitDir = path.join(options.cacheDir, `${key}.git`);
    this.#fetchTimeoutMs = options.fetchTimeoutMs ?? 30_000;
    this.#refreshIntervalMs = options.refreshIntervalMs ?? 1000;
  }

  async resolve(revision: string, callSignal?: AbortSignal): Promise<string> {
    const signal = eitherSignal(this.#closing.signal, callSignal);
    const what = `resolving ${JSON.stringify(revision || 'HEAD')} of ${this.display}`;
    if (signal.aborted) throw abortError(signal, what);
    const pull = PULL_REF.exec(revision);
    const rev = revision === '' || revision === 'HEAD' ? REMOTE_HEAD : pull ? `refs/pull/${pull[1]}/${pull[2]}` : revision;
    if (pull) await this.#wantPullRef(rev, signal);
    if (FULL_ID.test(rev)) return this.#resolveCommitId(rev.toLowerCase(), signal);
    if (this.#mustWait || this.#refreshIntervalMs === 0) {
      await this.#wait(this.#fetchShared(), signal, what);
    } else if (Date.now() - this.#lastFetch >= this.#refreshIntervalMs) {
      // Stale: fetch in the background; a failure makes the next call wait (and fail).
      this.#fetchShared(true).catch(() => undefined);
    }
    return this.#resolveRef(rev, revision, signal, what);
  }

  open(commit: string, dir: string, openOptions?: OpenOptions): Promise<RepoFiles> {
    return openGitCommit(this.#gitDir, commit, {
      path: dir,
      label: `${this.display}@${commit.slice(0, 12)}`,
      parseCache: openOptions?.parseCache,
      deferReads: true,
      signal: eitherSignal(this.#closing.signal, openOptions?.signal),
    });
  }

  invalidate(): void {
    this.#generation++;
    this.#mustWait = true;
  }

  close(): void {
    this.#closing.abort(closedError(this.display));
  }

  /** Waits for shared work, giving up (with an error naming `what`) when the call's signal is aborted. */
  #wait<T>(work: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
    return waitUnlessAborted(work, signal, () => abortError(signal, what));
  }

  // A full commit id never moves: no fetch when it is already here, and
  // always one (whatever the refresh interval) before it is called unknown.
  async #resolveCommitId(commit: string, signal: AbortSignal): Promise<string> {
    if (this.#knownCommits.has(commit)) return commit;
    if (!(await this.#hasCommit(commit, signal))) await this.#fetchFor(commit, signal);
    if (await this.#hasCommit(commit, signal)) {
      this.#knownCommits.add(commit);
      return commit;
    }
    throw createError(
      'GK_UNKNOWN_REVISION',
      `commit ${commit} is not in ${this.display} ` +
        '(asked for it just now: the remote does not have it, or will not give a commit no branch, tag or pull request reaches)',
      { field: 'revision' },
    );
  }

  /** A branch, tag or pull-request ref (`rev`, as `revision` was spelled) against what was fetched. */
  async #resolveRef(rev: string, revision: string, signal: AbortSignal, what: string): Promise<string> {
    const cached = this.#resolved.get(rev);
    if (cached) return cached;
    try {
      const running = this.#resolving.get(rev);
      if (running) return await this.#wait(running, signal, what);
      const before = this.#fetches;
      // Shared with concurrent calls: only close() stops it.
      const lookup = resolveRevision(this.#gitDir, rev, { signal: this.#closing.signal }).finally(() => this.#resolving.delete(rev));
      this.#resolving.set(rev, lookup);
      const commit = await this.#wait(lookup, signal, what);
      if (before === this.#fetches) this.#resolved.set(rev, commit);
      return commit;
    } catch (error) {
      if ((error as { code?: string }).code === 'GK_UNKNOWN_REVISION') {
        throw createError(
          'GK_UNKNOWN_REVISION',
          `revision ${JSON.stringify(revision || 'HEAD')} names no branch, tag or commit of ${this.display}`,
          { field: 'revision' },
          { cause: error },
        );
      }
      throw error;
    }
  }

  async #ensureClone(): Promise<void> {
    if (existsSync(path.join(this.#gitDir, 'HEAD'))) return;
    mkdirSync(this.#gitDir, { recursive: true });
    await runGit(['init', '--bare', '-q'], { cwd: this.#gitDir, timeoutMs: 10_000, signal: this.#closing.signal });
  }

  // One `git fetch` from the remote (into the bare clone, made on first
  // use), timed for onFetch; a failure names the repo: GK_TIMEOUT or GK_GIT.
  async #runFetch(refspecs: readonly string[], how: FetchMode): Promise<void> {
    const started = performance.now();
    let ok = false;
    try {
      await this.#ensureClone();
      const access = gitAccess(this.#options.url, this.#options.credentials);
      const prune = how.prune ? ['--prune'] : [];
      await runGit(['fetch', '--quiet', ...prune, '--force', '--no-tags', '--no-write-fetch-head', '--', access.url, ...refspecs], {
        cwd: this.#gitDir,
        env: access.env,
        timeoutMs: this.#fetchTimeoutMs,
        lowPriority: how.background,
        signal: this.#closing.signal,
      });
      ok = true;
    } catch (error) {
      if (this.#closing.signal.aborted) throw this.#closing.signal.reason;
      const gitopsError = error as { code?: string; message?: string };
      if (gitopsError.code === 'GK_TIMEOUT') {
        throw createError('GK_TIMEOUT', `fetching ${this.display} took longer than ${this.#fetchTimeoutMs} ms`, {}, { cause: error });
      }
      throw createError('GK_GIT', `fetching ${this.display} failed: ${gitopsError.message ?? String(error)}`, {}, { cause: error });
    } finally {
      this.#options.onFetch?.((performance.now() - started) / 1000, ok);
    }
  }

  async #fetchNow(background: boolean): Promise<void> {
    const startedGeneration = this.#generation;
    try {
      const refspecs = [...FETCH_REFSPECS, ...[...this.#pullRefs].map(optionalRefspec), `+HEAD:${REMOTE_HEAD}`];
      await this.#runFetch(refspecs, { prune: true, background });
    } catch (error) {
      this.#mustWait = true;
      throw error;
    }
    // Re-resolve what callers asked for before, then swap: a call never
    // waits for `git rev-parse` of a revision it has asked for before.
    const fresh = new Map<string, string>();
    for (const rev of this.#resolved.keys()) {
      try {
        fresh.set(rev, await resolveRevision(this.#gitDir, rev, { lowPriority: background, signal: this.#closing.signal }));
      } catch {
        // Gone from the remote: the next call resolves it and reports it.
      }
    }
    this.#fetches++;
    this.#resolved.clear();
    for (const [rev, commit] of fresh) this.#resolved.set(rev, commit);
    // An invalidation during the fetch may have missed it: keep it stale.
    if (startedGeneration === this.#generation) {
      this.#lastFetch = Date.now();
      this.#mustWait = false;
    }
  }

  // Identical concurrent fetches share one git process.
  // A background refresh runs niced; a caller that must wait may join it.
  #fetchShared(background = false): Promise<void> {
    this.#fetching ??= this.#fetchNow(background).finally(() => {
      this.#fetching = undefined;
    });
    return this.#fetching;
  }

  // A fetch in flight may have listed the remote's refs before the commit
  // was pushed: wait for it, and if the commit is still missing, fetch again
  // (shared with every call that needs a fetch started after it). Still
  // missing: only a pull request (or nothing) reaches it, so ask for it by id.
  async #fetchFor(commit: string, signal: AbortSignal): Promise<void> {
    const what = `fetching ${commit.slice(0, 12)} from ${this.display}`;
    if (this.#fetching) {
      await this.#wait(
        this.#fetching.catch(() => undefined),
        signal,
        what,
      );
      if (await this.#hasCommit(commit, signal)) return;
    }
    await this.#wait(this.#fetchShared(), signal, what);
    if (await this.#hasCommit(commit, signal)) return;
    await this.#wait(this.#fetchCommit(commit), signal, what);
  }

  #fetchCommit(commit: string): Promise<void> {
    let running = this.#fetchingCommits.get(commit);
    if (!running) {
      running = this.#fetchCommitNow(commit).finally(() => this.#fetchingCommits.delete(commit));
      this.#fetchingCommits.set(commit, running);
    }
    return running;
  }

  async #fetchCommitNow(commit: string): Promise<void> {
    try {
      await this.#runFetch([commit], { prune: false, background: false });
    } catch (error) {
      // The remote has no such commit (or will not send it): the caller reports it unknown.
      if (!NO_SUCH_COMMIT.test((error as Error).message)) throw error;
    }
  }

  // A pull-request ref asked for by name joins the fetches; the first time, the call waits for a fetch that has it.
  async #wantPullRef(ref: string, signal: AbortSignal): Promise<void> {
    const known = this.#pullRefs.delete(ref);
    this.#pullRefs.add(ref);
    if (this.#pullRefs.size > MAX_PULL_REFS) this.#pullRefs.delete(this.#pullRefs.values().next().value!);
    if (known) return;
    const what = `fetching ${ref} from ${this.display}`;
    if (this.#fetching) {
      await this.#wait(
        this.#fetching.catch(() => undefined),
        signal,
        what,
      );
    }
    await this.#wait(this.#fetchShared(), signal, what);
  }

  async #hasCommit(commit: string, signal: AbortSignal): Promise<boolean> {
    if (!existsSync(path.join(this.#gitDir, 'HEAD'))) return false;
    const result = await runGit(['cat-file', '-e', `${commit}^{commit}`], { cwd: this.#gitDir, allowCodes: [1, 128], timeoutMs: 10_000, signal });
    return result.code === 0;
  }
}

/** The bare clone of one repo URL, kept under `cacheDir/<hash>.git` and fetched on demand. */
export function openGitRemote(options: GitRemoteOptions): PlatformSource {
  return new GitRemote(options);
}
