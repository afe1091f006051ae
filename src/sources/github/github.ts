import { LRUCache } from 'lru-cache';
import { Octokit } from 'octokit';
import { createError, isGitopsError } from '../../core/errors.js';
import { normalizeRepoPath, openMemoryRepo, subRepo, type MemoryEntry, type RepoFiles } from '../repo-files.js';
import { githubToken, type CredentialSources } from '../credentials.js';
import { parseGitHubURL } from './github-url.js';
import { closedError, eitherSignal } from '../abort.js';
import type { PlatformSource } from '../platform-source.js';
import { abortError } from '../git/run-git.js';
import { displayURL, redact } from '../redact.js';

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

interface TreeItem {
  path: string;
  mode: string;
  type: string;
  sha: string;
  size?: number;
}

const READ_AHEAD_MAX_BYTES = 1024 * 1024;
const FULL_ID = /^[0-9a-f]{40}$/i;

/** Runs `fn` over items with at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
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
  // Bounded: every answer (trees of every commit asked for) was kept forever, and the heap grew with each commit.
  const etags = new LRUCache<string, { etag: string; data: unknown; bytes: number }>({
    maxSize: options.etagCacheBytes ?? 16 * 1024 * 1024,
    sizeCalculation: (entry, key) => Math.max(1, entry.bytes + key.length),
  });
  const resolved = new Map<string, { commit: string; at: number; mustWait: boolean; refreshing?: Promise<unknown> }>();
  const blobs = new LRUCache<string, Buffer>({ maxSize: options.blobCacheBytes ?? 64 * 1024 * 1024, sizeCalculation: (b) => Math.max(1, b.length) });
  const token = githubToken(options.credentials);
  // Aborted by close(): every request in flight is cancelled, background refreshes included.
  const closing = new AbortController();

  const octokit = new Octokit({
    auth: token,
    baseUrl: (options.apiUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/$/, ''),
    request: { timeout: options.requestTimeoutMs ?? 30_000 },
    retry: { retryAfterBaseValue: options.retryBaseMs ?? 1000 },
    throttle: {
      // Wait out a rate limit once when it is short; otherwise fail (closed).
      onRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < 1 && retryAfter <= 10,
      onSecondaryRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < 1 && retryAfter <= 10,
    },
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  // Conditional GETs: remember each answer's ETag and reuse the answer on 304.
  octokit.hook.wrap('request', async (request, requestOptions) => {
    const key = `${requestOptions.method} ${requestOptions.url} ${JSON.stringify(requestOptions.headers?.accept ?? '')} ${JSON.stringify({ ...requestOptions, headers: undefined, request: undefined })}`;
    const known = requestOptions.method === 'GET' ? etags.get(key) : undefined;
    if (known) requestOptions.headers = { ...requestOptions.headers, 'if-none-match': known.etag };
    try {
      const response = await request(requestOptions);
      const etag = response.headers.etag;
      // A blob is asked for by its id, so it never changes: the blob cache keeps its content, once.
      if (etag && requestOptions.method === 'GET' && !String(requestOptions.url).includes('/git/blobs/')) {
        const bytes = typeof response.data === 'string' ? response.data.length : JSON.stringify(response.data).length;
        etags.set(key, { etag, data: response.data, bytes: etag.length + bytes });
      }
      return response;
    } catch (error) {
      if ((error as { status?: number }).status === 304 && known) {
        return { status: 200, url: String(requestOptions.url), headers: {}, data: known.data } as Awaited<ReturnType<typeof request>>;
      }
      throw error;
    }
  });

  const call = async <T>(what: string, signal: AbortSignal, fn: (request: { signal: AbortSignal }) => Promise<T>): Promise<T> => {
    if (signal.aborted) throw abortError(signal, `reading ${what} of ${display}`);
    const started = performance.now();
    let ok = false;
    try {
      const result = await fn({ signal });
      ok = true;
      return result;
    } catch (error) {
      if (isGitopsError(error)) throw error;
      if (signal.aborted) throw abortError(signal, `reading ${what} of ${display}`);
      const status = (error as { status?: number }).status;
      if (status === 404 || status === 422) {
        throw createError(
          'GK_UNKNOWN_REVISION',
          `GitHub knows no ${what} in ${display}`,
          { field: 'revision' },
          { cause: new Error(redact(String((error as Error).message))) },
        );
      }
      const detail = status ? `HTTP ${status}` : redact(String((error as Error).message ?? error));
      throw createError(
        'GK_GITHUB',
        `GitHub API: reading ${what} of ${display} failed: ${detail}`,
        {},
        { cause: new Error(redact(String((error as Error).message))) },
      );
    } finally {
      options.onFetch?.((performance.now() - started) / 1000, ok);
    }
  };

  const defaultBranch = async (signal: AbortSignal): Promise<string> => {
    const { data } = await call('the repository', signal, (request) => octokit.request('GET /repos/{owner}/{repo}', { owner, repo, request }));
    return data.default_branch;
  };

  const readBlob = async (sha: string, signal: AbortSignal): Promise<Buffer> => {
    const cached = blobs.get(sha);
    if (cached) return cached;
    const { data } = await call(`blob ${sha}`, signal, (request) =>
      octokit.request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', { owner, repo, file_sha: sha, request }),
    );
    const content = Buffer.from(data.content, data.encoding === 'base64' ? 'base64' : 'utf8');
    blobs.set(sha, content);
    return content;
  };

  return {
    display,
    async resolve(revision, callSignal) {
      const signal = eitherSignal(closing.signal, callSignal);
      if (signal.aborted) throw abortError(signal, `resolving ${JSON.stringify(revision || 'HEAD')} of ${display}`);
      const known = resolved.get(revision);
      if (known && FULL_ID.test(revision)) return known.commit;
      // A background refresh serves later calls: only close() stops it.
      const ask = async (signal: AbortSignal): Promise<string> => {
        try {
          const ref = revision === '' || revision === 'HEAD' ? await defaultBranch(signal) : revision;
          const { data } = await call(`revision ${JSON.stringify(ref)}`, signal, (request) =>
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
      if (!known || known.mustWait || refreshIntervalMs === 0) return ask(signal);
      // Stale: ask in the background and answer from the last answer; a
      // failure makes the next call wait (and fail).
      if (Date.now() - known.at >= refreshIntervalMs && !known.refreshing) {
        known.refreshing = ask(closing.signal)
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
      const { data } = await call(`the tree of ${commit.slice(0, 12)}`, signal, (request) =>
        octokit.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', { owner, repo, tree_sha: commit, recursive: '1', request }),
      );
      if (data.truncated) {
        throw createError(
          'GK_GITHUB',
          `GitHub truncated the tree of ${display}@${commit.slice(0, 12)} (too many files); use a git URL instead of the GitHub API for this repository`,
        );
      }
      // A submodule (a `commit` item) is kept: leaving it out would drop what it holds without a word.
      const items = (data.tree as TreeItem[]).filter((i) => i.type === 'blob' || i.type === 'commit');
      const prefix = base === '.' ? '' : `${base}/`;
      const wanted = items.filter(
        (i) =>
          i.type === 'blob' &&
          (i.mode === '120000' ||
            (i.path.startsWith(prefix) &&
              /\.ya?ml$/.test(i.path) &&
              (i.size ?? 0) <= READ_AHEAD_MAX_BYTES &&
              i.path.slice(prefix.length).split('/').length <= 4)),
      );
      const contents = new Map<string, Buffer>();
      await eachLimited([...new Set(wanted.map((i) => i.sha))], 8, async (sha) => {
        contents.set(sha, await readBlob(sha, signal));
      });
      const entries: MemoryEntry[] = items.map((i) => ({
        path: i.path,
        type: i.type === 'commit' ? 'submodule' : i.mode === '120000' ? 'symlink' : 'file',
        content:
          (i.type === 'commit' ? Buffer.alloc(0) : contents.get(i.sha)) ??
          (() => {
            throw createError('GK_GITHUB', 'is not where the platform layout reads files, so it was not downloaded from GitHub', { file: i.path });
          }),
        id: i.sha,
      }));
      const files = openMemoryRepo(`${display}@${commit.slice(0, 12)}`, entries);
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
