import path from 'node:path';
import { createError } from '../../core/errors.js';
import type { CredentialSources } from '../../sources/credentials.js';
import { openGitRemote } from '../../sources/git/git-remote.js';
import { parseGitHubURL } from '../../sources/github/github-url.js';
import { openLazySource } from '../../sources/lazy-source.js';
import { openLocalFolder } from '../../sources/local-folder.js';
import type { PlatformSource } from '../../sources/platform-source.js';
import { displayURL } from '../../sources/redact.js';
import type { ServerMetrics } from '../metrics.js';
import { canonicalRepo, isRepoURL } from '../repo-url.js';

/** What the registry needs to open a source: a subset of the generator's options. */
export interface SourceRegistryOptions {
  cwd: string;
  cacheDir: string;
  credentials?: CredentialSources;
  github?: { apiUrl?: string; host?: string; retryBaseMs?: number };
  refreshIntervalMs?: number;
  fetchTimeoutMs?: number;
}

/** One open source per repository (by canonical URL), opened on first use. */
export interface SourceRegistry {
  sourceFor(repoURL: string): PlatformSource;
  /** Drops what the repository's source fetched for branches (a push). */
  invalidate(repoURL: string): void;
  close(): void;
}

/** The host whose repo URLs are read through the GitHub API: `host`, or the API URL's host without `api.`. */
function githubHostOf(github: SourceRegistryOptions['github']): string {
  return (github?.host ?? (github?.apiUrl ? new URL(github.apiUrl).hostname.replace(/^api\./, '') : 'github.com')).toLowerCase();
}

export function createSourceRegistry(options: SourceRegistryOptions, metrics: ServerMetrics): SourceRegistry {
  const sources = new Map<string, PlatformSource>();
  const githubHost = githubHostOf(options.github);
  const observe = (kind: string) => (seconds: number, ok: boolean) => metrics.fetchDuration.observe({ source: kind, outcome: ok ? 'ok' : 'error' }, seconds);

  const openSource = (repoURL: string): PlatformSource => {
    if (!isRepoURL(repoURL)) return openLocalFolder(path.resolve(options.cwd, repoURL));
    const protocol = new URL(repoURL).protocol;
    const gh = parseGitHubURL(repoURL);
    if (options.github && gh && gh.host === githubHost) {
      const github = options.github;
      return openLazySource(displayURL(repoURL), async () =>
        (await import('../../sources/github/github.js')).openGitHubRepo({
          url: repoURL,
          apiUrl: github.apiUrl,
          credentials: options.credentials ?? {},
          refreshIntervalMs: options.refreshIntervalMs,
          retryBaseMs: github.retryBaseMs,
          onFetch: observe('github'),
        }),
      );
    }
    if (['https:', 'http:', 'ssh:', 'file:'].includes(protocol)) {
      return openGitRemote({
        url: repoURL,
        cacheDir: options.cacheDir,
        credentials: options.credentials ?? {},
        refreshIntervalMs: options.refreshIntervalMs,
        fetchTimeoutMs: options.fetchTimeoutMs ?? 25_000,
        onFetch: observe('git'),
      });
    }
    throw createError('GK_BAD_REQUEST', `repoURL scheme ${protocol} is not supported; use https://, ssh:// or file://`, { field: 'repoURL' });
  };

  return {
    sourceFor(repoURL) {
      const key = canonicalRepo(repoURL, options.cwd);
      let source = sources.get(key);
      if (!source) {
        source = openSource(repoURL);
        sources.set(key, source);
      }
      return source;
    },
    invalidate(repoURL) {
      sources.get(canonicalRepo(repoURL, options.cwd))?.invalidate();
    },
    close() {
      for (const source of sources.values()) source.close();
    },
  };
}
