import { LRUCache } from 'lru-cache';
import { createError, isGitopsError } from '../../core/errors.js';
import { closedError, eitherSignal } from '../abort.js';
import { githubToken, type CredentialSources } from '../credentials.js';
import { abortError } from '../git/run-git.js';
import type { PlatformSource } from '../platform-source.js';
import { displayURL, redact } from '../redact.js';
import { normalizeRepoPath, openMemoryRepo, subRepo, type RepoFiles } from '../repo-files.js';
import { createGitHubOctokit } from './github-octokit.js';
import { blobsToRead, filesOfTree, memoryEntriesOf, type TreeItem } from './github-tree.js';
import { parseGitHubURL } from './github-url.js';

/** Options of {@link openGitHubRepo}. */
export interface GitHubRepoOptions {
  /** `https://github.com/<owner>/<repo>(.git)` or the same on a GitHub Enterprise host. */
  url: string;
  /** REST API base; default `GITHUB_API_URL` or https://api.github.com. */
  apiUrl?: string;
  credentials: CredentialSources;
  /** A branch is asked for again when its last answer is older than this (in the background; 0: on every call). Default 1000 ms. */
  refreshIntervalMs?: number;
  /** Per-request timeout. Default 30 s. */
  requestTimeoutMs?: number;
  /** Base of the retry back-off in ms (the retry plugin's `retryAfterBaseValue`). Default 1000. */
  retryBaseMs?: number;
  /** Blobs kept across commits, by size. Default 64 MiB. */
  blobCacheBytes?: number;
  /** Answers kept for conditional requests (ETag and body), by size, keys included. Default 16 MiB. */
  etagCacheBytes?: number;
  onFetch?: (seconds: number, ok: boolean) => void;
}

export { parseGitHubURL };

const FULL_ID = /^[0-9a-f]{40}$/i;

/** Runs `fn` over items with at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** What a GitHub API call is about: the repo (as shown) and what to report its duration to. */
interface CallScope {
  display: string;
  onFetch?: (seconds: number, ok: boolean) => void;
}

/** The error of a failed API call: a missing ref or object is GK_UNKNOWN_REVISION, the rest GK_GITHUB, with no credentials in either. */
function callError(error: unknown, what: string, display: string): Error {
  const status = (error as { status?: number }).status;
  const cause = new Error(redact(String((error as Error).message)));
  if (status === 404 || status === 422) {
    return createError('GK_UNKNOWN_REVISION', `GitHub knows no ${what} in ${display}`, { field: 'revision' }, { cause });
  }
  const detail = status ? `HTTP ${status}` : redact(String((error as Error).message ?? error));
  return createError('GK_GITHUB', `GitHub API: reading ${what} of ${display} failed: ${detail}`, {}, { cause });
}

/** One API call, timed for onFetch, its failure turned into a GitopsError (an abort into the abort's). */
async function callGitHub<T>(scope: CallScope, what: string, signal: AbortSignal, fn: (request: { signal: AbortSignal }) => Promise<T>): Promise<T> {
  if (signal.aborted) throw abortError(signal, `reading ${what} of ${scope.display}`);
  const started = performance.now();
  let ok = false;
  try {
    const result = await fn({ signal });
    ok = true;
    return result;
  } catch (error) {
    if (isGitopsError(error)) throw error;
    if (signal.aborted) throw abortError(signal, `reading ${what} of ${scope.display}`);
    throw callError(error, what, scope.display);
  } finally {
    scope.onFetch?.((performance.now() - started) / 1000, ok);
  }
}

/** A revision resolved before: its commit, when, and whether the next call must ask again (a push, a failed refresh). */
interface ResolvedRevision {
  commit: string;
  at: number;
  mustWait: boolean;
  refreshing?: Promise<unknown>;
}

/**
 * A platform repo read through GitHub's REST API (for installations without
 * git access): the commit of a ref, the recursive tree of that commit, and
 * the blobs the platform layout can hold (YAML, at most four levels deep),
 * all read before the core runs. GETs are conditional (ETag, a 304 costs no
 * rate limit); the throttling and retry plugins of octokit handle rate limits
 * and 5xx. A truncated tree fails: a partial tree would shorten the reply.
 */
export function openGitHubRepo(options: GitHubRepoOptions): PlatformSource {
  const parsed = parseGitHubURL(options.url);
  if (!parsed) throw createError('GK_BAD_REQUEST', `${displayURL(options.url)} is not a GitHub repository URL`, { field: 'repoURL' });
  const { owner, repo } = parsed;
  const display = displayURL(options.url);
  const refreshIntervalMs = options.refreshIntervalMs ?? 1000;
  const resolved = new Map<string, ResolvedRevision>();
  const blobs = new LRUCache<string, Buffer>({ maxSize: options.blobCacheBytes ?? 64 * 1024 * 1024, sizeCalculation: (b) => Math.max(1, b.length) });
  // Aborted by close(): every request in flight is cancelled, background refreshes included.
  const closing = new AbortController();
  const octokit = createGitHubOctokit({ ...options, token: githubToken(options.credentials) });
  const scope: CallScope = { display, onFetch: options.onFetch };

  const defaultBranch = async (signal: AbortSignal): Promise<string> => {
    const { data } = await callGitHub(scope, 'the repository', signal, (request) => octokit.request('GET /repos/{owner}/{repo}', { owner, repo, request }));
    return data.default_branch;
  };

  const readBlob = async (sha: string, signal: AbortSignal): Promise<Buffer> => {
    const cached = blobs.get(sha);
    if (cached) return cached;
    const { data } = await callGitHub(scope, `blob ${sha}`, signal, (request) =>
      octokit.request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', { owner, repo, file_sha: sha, request }),
    );
    const content = Buffer.from(data.content, data.encoding === 'base64' ? 'base64' : 'utf8');
    blobs.set(sha, content);
    return content;
  };

  // Asks GitHub for the revision's commit and remembers the answer; a failure makes the next call for it wait.
  const ask = async (revision: string, signal: AbortSignal): Promise<string> => {
    try {
      const ref = revision === '' || revision === 'HEAD' ? await defaultBranch(signal) : revision;
      const { data } = await callGitHub(scope, `revision ${JSON.stringify(ref)}`, signal, (request) =>
        octokit.request('GET /repos/{owner}/{repo}/commits/{ref}', { owner, repo, ref, headers: { accept: 'application/vnd.github.sha' }, request }),
      );
      const commit = String(data).trim();
      if (!FULL_ID.test(commit)) throw createError('GK_GITHUB', `GitHub answered no commit id for ${JSON.stringify(ref)} of ${display}`);
      resolved.set(revision, { commit, at: Date.now(), mustWait: false });
      return commit;
    } catch (error) {
      const entry = resolved.get(revision);
      if (entry) entry.mustWait = true;
      throw error;
    }
  };

  const readTree = async (commit: string, signal: AbortSignal): Promise<TreeItem[]> => {
    const { data } = await callGitHub(scope, `the tree of ${commit.slice(0, 12)}`, signal, (request) =>
      octokit.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', { owner, repo, tree_sha: commit, recursive: '1', request }),
    );
    if (data.truncated) {
      throw createError(
        'GK_GITHUB',
        `GitHub truncated the tree of ${display}@${commit.slice(0, 12)} (too many files); use a git URL instead of the GitHub API for this repository`,
      );
    }
    return data.tree as TreeItem[];
  };

  return {
    display,
    async resolve(revision, callSignal) {
      const signal = eitherSignal(closing.signal, callSignal);
      if (signal.aborted) throw abortError(signal, `resolving ${JSON.stringify(revision || 'HEAD')} of ${display}`);
      const known = resolved.get(revision);
      if (known && FULL_ID.test(revision)) return known.commit;
      if (!known || known.mustWait || refreshIntervalMs === 0) return ask(revision, signal);
      // Stale: ask in the background (only close() stops it) and answer from
      // the last answer; a failure makes the next call wait (and fail).
      if (Date.now() - known.at >= refreshIntervalMs && !known.refreshing) {
        known.refreshing = ask(revision, closing.signal)
          .catch(() => undefined)
          .finally(() => {
            known.refreshing = undefined;
          });
      }
      return known.commit;
    },
    async open(commit, dir, openOptions): Promise<RepoFiles> {
      const signal = eitherSignal(closing.signal, openOptions?.signal);
      const base = normalizeRepoPath(dir || '.', { field: 'path' });
      const items = filesOfTree(await readTree(commit, signal));
      const wanted = blobsToRead(items, base === '.' ? '' : `${base}/`);
      const contents = new Map<string, Buffer>();
      await eachLimited([...new Set(wanted.map((i) => i.sha))], 8, async (sha) => {
        contents.set(sha, await readBlob(sha, signal));
      });
      const files = openMemoryRepo(`${display}@${commit.slice(0, 12)}`, memoryEntriesOf(items, contents));
      if (base === '.') return files;
      if (files.kind(base) !== 'dir') throw createError('GK_NOT_FOUND', `commit ${commit.slice(0, 12)} has no folder ${base}`, { field: 'path' });
      return subRepo(files, base);
    },
    invalidate() {
      for (const [revision, entry] of resolved) if (!FULL_ID.test(revision)) entry.mustWait = true;
    },
    close() {
      closing.abort(closedError(display));
    },
  };
}
