import { execFileSync } from 'node:child_process';
import { normalizeRepoPath } from '../sources/repo-files.js';

/**
 * Where a folder sits in the Git work tree that holds it (`git rev-parse
 * --show-prefix`), as a repo path; undefined at the top of a work tree,
 * outside one, or without git. Argo CD resolves path sources from the
 * repository root, so `render` of a platform repo kept in a sub-folder must
 * prefix them as the CMP does with ARGOCD_APP_SOURCE_PATH.
 */
export function detectGitPrefix(dir: string): string | undefined {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  let prefix: string;
  try {
    prefix = git('rev-parse', '--show-prefix').trim().replace(/\/+$/, '');
  } catch {
    return undefined;
  }
  if (prefix === '') return undefined;
  // A folder git ignores is not in the repository Argo CD reads: no prefix for it.
  try {
    git('check-ignore', '-q', '.');
    return undefined;
  } catch {
    return normalizeRepoPath(prefix);
  }
}
