import type { PlatformSource } from './platform-source.js';

/**
 * A source whose module is loaded on first use: the GitHub source pulls in
 * octokit (about 13 MiB resident), which a server reading git remotes never needs.
 */
export function openLazySource(display: string, load: () => Promise<PlatformSource>): PlatformSource {
  let loaded: PlatformSource | undefined;
  let loading: Promise<PlatformSource> | undefined;
  let invalidated = false;
  let closed = false;
  const source = async (): Promise<PlatformSource> => {
    loading ??= load().then((s) => {
      loaded = s;
      if (invalidated) s.invalidate();
      if (closed) s.close();
      return s;
    });
    try {
      return await loading;
    } catch (error) {
      // A failed import is retried on the next call, not kept.
      loading = undefined;
      throw error;
    }
  };
  return {
    display,
    resolve: async (revision, signal) => (await source()).resolve(revision, signal),
    open: async (commit, path, options) => (await source()).open(commit, path, options),
    invalidate() {
      if (loaded) loaded.invalidate();
      else invalidated = true;
    },
    close() {
      closed = true;
      loaded?.close();
    },
  };
}
