import { execFileSync } from 'node:child_process';
import { readPathPrefix, resolvePathPrefix } from '../core/render/path-prefix.js';

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
    return readPathPrefix(prefix);
  }
}

/**
 * The path prefix of the platform repo in the local folder `root`:
 * `--path-prefix` (`given`), else gitops.yaml `path`, else where git says
 * the folder sits (asked only then: it runs git).
 */
export function resolveLocalPathPrefix(root: string, settings: string | undefined, given?: string): string {
  return resolvePathPrefix({
    given: given === undefined ? undefined : readPathPrefix(given, '--path-prefix'),
    settings,
    detect: () => detectGitPrefix(root),
  });
}
