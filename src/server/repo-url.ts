import path from 'node:path';

/** Whether a repo reference is a URL (anything with a scheme) rather than a local folder. */
export function isRepoURL(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ref);
}

/**
 * The form repo references are compared in: URLs without userinfo, query,
 * fragment, trailing slash or `.git`, scheme and host lower case; folders
 * as absolute paths.
 */
export function canonicalRepo(ref: string, cwd = process.cwd()): string {
  if (!isRepoURL(ref)) return path.resolve(cwd, ref);
  try {
    const u = new URL(ref);
    const pathname = u.pathname.replace(/\/+$/, '').replace(/\.git$/, '');
    const port = u.port ? `:${u.port}` : '';
    const user = u.protocol === 'ssh:' && u.username ? `${u.username}@` : '';
    return `${u.protocol}//${user}${u.hostname.toLowerCase()}${port}${pathname}`;
  } catch {
    return ref;
  }
}

/**
 * Matches a repo against allowlist entries: an exact repo, or a prefix
 * ending in `*` (`https://github.com/my-org/*`).
 */
export function matchesAllowlist(ref: string, allowlist: readonly string[], cwd = process.cwd()): boolean {
  const repo = canonicalRepo(ref, cwd);
  return allowlist.some((entry) => {
    if (entry.endsWith('*')) {
      const prefix = entry.slice(0, -1);
      return repo.startsWith(isRepoURL(prefix) ? canonicalRepo(prefix, cwd) + (prefix.endsWith('/') ? '/' : '') : path.resolve(cwd, prefix));
    }
    return canonicalRepo(entry, cwd) === repo;
  });
}
