/**
 * A path a repository names (a value file, a directory source), resolved
 * inside the folder it belongs to, symbolic links followed: untrusted
 * content must not read the machine's other files.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { createError } from '../core/errors.js';

function realOrSelf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** Whether `file` is `dir` or under it (both absolute, compared as given). */
export function isPathInside(dir: string, file: string): boolean {
  return file === dir || file.startsWith(dir + path.sep);
}

export function resolveInside(root: string, relative: string, what: string): string {
  const resolved = path.resolve(root, relative);
  const real = realOrSelf(resolved);
  const realRoot = realOrSelf(root);
  for (const [file, base] of [
    [resolved, root],
    [real, realRoot],
  ] as const) {
    if (!isPathInside(base, file)) {
      throw createError('GK_PATH_ESCAPE', `${what} ${JSON.stringify(relative)} leaves its source folder`);
    }
  }
  return resolved;
}
