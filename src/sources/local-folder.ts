import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createError } from '../core/errors.js';
import { openLocalRepo, subRepo, type RepoFiles } from './repo-files.js';
import { openGitCommit, resolveRevision } from './git/git.js';
import { closedError, eitherSignal } from './abort.js';
import type { PlatformSource } from './platform-source.js';
import { abortError } from './git/run-git.js';

/** Hashes names, sizes and modification times: a cheap stand-in for a commit id of a work tree. */
function fingerprint(root: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name === '.git') continue;
      const abs = path.join(dir, name);
      const st = lstatSync(abs);
      hash.update(`${path.relative(root, abs)}\0${st.size}\0${st.mtimeMs}\0${st.mode}\n`);
      if (st.isDirectory()) walk(abs);
    }
  };
  walk(root);
  return hash.digest('hex');
}

/**
 * A platform repo in a local folder. Without a revision the folder is read as
 * it is (its "commit" is a fingerprint of names, sizes and times, so an edit
 * is picked up on the next call); with one, the folder must be a git work
 * tree and the revision is read from git.
 */
export function openLocalFolder(dir: string): PlatformSource {
  const root = path.resolve(dir);
  const isGit = (): boolean => existsSync(path.join(root, '.git'));
  // Aborted by close(): the git processes of this source are killed.
  const closing = new AbortController();
  return {
    display: root,
    async resolve(revision, callSignal) {
      const signal = eitherSignal(closing.signal, callSignal);
      if (signal.aborted) throw abortError(signal, `resolving ${JSON.stringify(revision || 'HEAD')} of ${root}`);
      if (!existsSync(root)) throw createError('GK_NOT_FOUND', `platform repo folder ${root} does not exist`);
      if (revision === '') return `worktree-${fingerprint(root).slice(0, 40)}`;
      if (!isGit())
        throw createError('GK_UNKNOWN_REVISION', `${root} is not a git work tree, so revision ${JSON.stringify(revision)} cannot be read`, {
          field: 'revision',
        });
      return resolveRevision(root, revision, { signal });
    },
    async open(commit, sub, options): Promise<RepoFiles> {
      const signal = eitherSignal(closing.signal, options?.signal);
      if (signal.aborted) throw abortError(signal, `reading ${root}`);
      if (commit.startsWith('worktree-')) {
        const repo = openLocalRepo(root);
        if (sub === '' || sub === '.') return repo;
        if (repo.kind(sub) !== 'dir') throw createError('GK_NOT_FOUND', `${root} has no folder ${sub}`, { field: 'path' });
        return subRepo(repo, sub);
      }
      return openGitCommit(root, commit, { path: sub, label: `${root}@${commit.slice(0, 12)}`, deferReads: true, signal });
    },
    invalidate() {},
    close() {
      closing.abort(closedError(root));
    },
  };
}
