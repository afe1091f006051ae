/**
 * `--repo-map FROM=TO`: fetch a repository from somewhere else (a mirror, a
 * loopback server in tests, an air-gapped copy). Applied to the start of a
 * source's repoURL; what users read still names the repoURL they wrote.
 */
import { createError } from '../core/errors.js';

export interface RepoMapping {
  from: string;
  to: string;
}

/** Parses `FROM=TO` entries (options, then the comma-separated GITOPS_K8S_REPO_MAP). */
export function parseRepoMap(entries: readonly string[]): RepoMapping[] {
  return entries.map((entry) => {
    const eq = entry.indexOf('=');
    if (eq <= 0 || eq === entry.length - 1) throw createError('GK_USAGE', `--repo-map wants FROM=TO (got ${JSON.stringify(entry)})`);
    return { from: entry.slice(0, eq), to: entry.slice(eq + 1) };
  });
}

/** The URL to fetch `url` from: the longest matching FROM prefix is replaced. */
export function mapRepoURL(url: string, mappings: readonly RepoMapping[]): string {
  let best: RepoMapping | undefined;
  for (const m of mappings) if (url.startsWith(m.from) && (!best || m.from.length > best.from.length)) best = m;
  return best ? best.to + url.slice(best.from.length) : url;
}
