import { execFileSync } from 'node:child_process';
import { normalizeRepoPath } from './repo-files.js';

/**
 * Where a folder sits in the Git work tree that holds it (`git rev-parse
 * --show-prefix`), as a repo path; undefined at the top of a work tree,
 * outside one, or without git. Argo CD resolves path sources from the
 * repository root, so `render` of a platform repo kept in a sub-folder must
 * prefix them as the CMP does with ARGOCD_APP_SOURCE_PATH.
 */
export function detectGitPrefix(dir: string): string | undefined {
  let out: string;
  try {
    out = execFileSync('git', ['rev-parse', '--show-prefix'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return undefined;
  }
  const prefix = out.trim().replace(/\/+$/, '');
  return prefix === '' ? undefined : normalizeRepoPath(prefix);
}
