/**
 * Git sources outside the platform repo: `targetRevision` resolved to a
 * commit, that commit checked out once into the cache (a commit never
 * changes), credentials from the same environment as the platform repo's.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createError } from '../core/errors.js';
import { credentialsFromEnv, gitAccess } from '../sources/credentials.js';
import { displayURL } from '../sources/redact.js';
import { gitText, runGit } from '../sources/git/run-git.js';

const COMMIT = /^[0-9a-f]{40}$/;

export interface CheckoutOptions {
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  /** Checkouts of this run by URL and revision: Applications sharing a repo wait for one fetch. */
  checkouts: Map<string, Promise<string>>;
}

/** The commit `revision` (a commit, branch, tag or HEAD) names in the remote, and the ref to fetch it by. */
async function resolveRemote(url: string, revision: string, env: NodeJS.ProcessEnv, cwd: string): Promise<{ commit: string; ref: string }> {
  if (COMMIT.test(revision)) return { commit: revision, ref: revision };
  const listing = await gitText(['ls-remote', url, revision, `refs/heads/${revision}`, `refs/tags/${revision}`, `refs/tags/${revision}^{}`], {
    cwd,
    env,
    timeoutMs: 120_000,
  });
  const refs = new Map(
    listing
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [commit, ref] = line.split('\t');
        return [ref!, commit!] as const;
      }),
  );
  for (const ref of [`refs/tags/${revision}^{}`, `refs/tags/${revision}`, `refs/heads/${revision}`, revision]) {
    const commit = refs.get(ref);
    if (commit) return { commit, ref: ref.replace(/\^\{\}$/, '') };
  }
  throw createError('GK_UNKNOWN_REVISION', `${displayURL(url)} has no branch, tag or commit ${JSON.stringify(revision)}`);
}

/** A work tree of `url` at `revision`, from the cache or fetched into it. */
export function checkoutGitSource(url: string, revision: string, options: CheckoutOptions): Promise<string> {
  const key = `${url}\u0000${revision}`;
  let checkout = options.checkouts.get(key);
  if (!checkout) {
    checkout = fetchCheckout(url, revision, options);
    options.checkouts.set(key, checkout);
  }
  return checkout;
}

async function fetchCheckout(url: string, revision: string, options: CheckoutOptions): Promise<string> {
  const access = gitAccess(url, credentialsFromEnv(options.env));
  const base = path.join(options.cacheDir, 'git', createHash('sha256').update(access.url).digest('hex').slice(0, 32));
  mkdirSync(base, { recursive: true });
  const { commit, ref } = await resolveRemote(access.url, revision, access.env, base);
  const dir = path.join(base, commit);
  if (existsSync(dir)) return dir;
  // Fetched beside the cache entry, then renamed: a killed run leaves no half checkout that looks complete.
  const tmp = mkdtempSync(`${dir}.tmp-`);
  try {
    await runGit(['init', '-q'], { cwd: tmp });
    await runGit(['fetch', '-q', '--depth', '1', access.url, ref], { cwd: tmp, env: access.env, timeoutMs: 300_000 });
    await runGit(['-c', 'advice.detachedHead=false', 'checkout', '-q', 'FETCH_HEAD'], { cwd: tmp, timeoutMs: 120_000 });
    // Named by what was checked out: a branch that moved since ls-remote is cached as the commit it now is.
    const fetched = path.join(base, (await gitText(['rev-parse', 'HEAD'], { cwd: tmp })).trim());
    if (existsSync(fetched)) {
      rmSync(tmp, { recursive: true, force: true });
      return fetched;
    }
    renameSync(tmp, fetched);
    return fetched;
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(dir)) return dir;
    throw error;
  }
}
