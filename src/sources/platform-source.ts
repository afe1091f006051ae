import type { ParseCache } from '../core/yaml/parse-cache.js';
import type { RepoFiles } from './repo-files.js';

/** Options of {@link PlatformSource.open}. */
export interface OpenOptions {
  /** Stops the source's work for this call (git processes are killed, requests cancelled) when aborted. */
  signal?: AbortSignal;
  /** The parse cache the load will use: a source may skip reading ahead the files it holds. */
  parseCache?: ParseCache;
}

/**
 * Where a platform repo comes from: a local folder, a git remote or GitHub.
 * The server resolves a revision to a commit, then opens that commit; the
 * same commit always opens to the same files, which is what makes caching
 * by commit sound.
 */
export interface PlatformSource {
  /** The URL or folder as it may be shown (no credentials). */
  readonly display: string;
  /**
   * Resolves a branch, tag or commit (`''` for the default branch) to a commit
   * id, fetching when what is known is stale. An aborted `signal` stops this
   * call's own work and its wait; a fetch it shares with other calls goes on for them.
   */
  resolve(revision: string, signal?: AbortSignal): Promise<string>;
  /** The files of a commit, narrowed to `path`. */
  open(commit: string, path: string, options?: OpenOptions): Promise<RepoFiles>;
  /** Forgets what was fetched for branches: the next resolve asks the remote again. */
  invalidate(): void;
  /** Stops everything in flight (fetches, git processes, requests) and fails every later call. */
  close(): void;
}
