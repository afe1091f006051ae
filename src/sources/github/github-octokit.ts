import { LRUCache } from 'lru-cache';
import { Octokit } from 'octokit';

/** Options of {@link createGitHubOctokit}. */
export interface GitHubOctokitOptions {
  /** REST API base; default `GITHUB_API_URL` or https://api.github.com. */
  apiUrl?: string;
  token?: string;
  /** Per-request timeout. Default 30 s. */
  requestTimeoutMs?: number;
  /** Base of the retry back-off in ms (the retry plugin's `retryAfterBaseValue`). Default 1000. */
  retryBaseMs?: number;
  /** Answers kept for conditional requests (ETag and body), by size, keys included. Default 16 MiB. */
  etagCacheBytes?: number;
}

/**
 * An Octokit whose GETs are conditional (ETag: a 304 costs no rate limit),
 * which waits out a short rate limit once and retries 5xx, and logs nothing.
 */
export function createGitHubOctokit(options: GitHubOctokitOptions): Octokit {
  // Bounded: every answer (trees of every commit asked for) was kept forever, and the heap grew with each commit.
  const etags = new LRUCache<string, { etag: string; data: unknown; bytes: number }>({
    maxSize: options.etagCacheBytes ?? 16 * 1024 * 1024,
    sizeCalculation: (entry, key) => Math.max(1, entry.bytes + key.length),
  });
  const octokit = new Octokit({
    auth: options.token,
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
    const rest = JSON.stringify({ ...requestOptions, headers: undefined, request: undefined });
    const key = `${requestOptions.method} ${requestOptions.url} ${JSON.stringify(requestOptions.headers?.accept ?? '')} ${rest}`;
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
  return octokit;
}
