import { closeSync, type Dirent, fstatSync, lstatSync, openSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { createError, GitopsError } from '../core/errors.js';

/** An entry of a folder of a platform repo. */
export interface RepoEntry {
  name: string;
  type: 'file' | 'dir';
}

/**
 * Read access to a platform repo, by repo-relative POSIX paths. The core reads
 * through this and nothing else, so a local folder, a git commit and a GitHub
 * tree are the same to it. Implementations never leave the repo: a symlink
 * whose target is outside is refused with GK_PATH_ESCAPE, never followed.
 */
export interface RepoFiles {
  /** Shown in messages (a folder, or `url@commit`). Never holds credentials. */
  readonly label: string;
  /** The entries of a folder, sorted by name; undefined when there is no such folder. */
  list(dir: string): RepoEntry[] | undefined;
  /**
   * The bytes of a file. Throws GK_NOT_FOUND when missing, and may throw
   * GK_FILE_TOO_LARGE without reading a file over `maxBytes`.
   */
  read(file: string, maxBytes?: number): Buffer;
  /** What is at a path, if anything. */
  kind(p: string): 'file' | 'dir' | undefined;
  /**
   * An id that changes whenever the file's content does (a git blob id), for
   * caches across commits; undefined where there is none (a local folder).
   */
  contentId?(file: string): string | undefined;
  /**
   * Reads, in one batch, the files whose reads failed because the source
   * defers them (a server never blocks on git): true when it read any, and the
   * caller loads again. Absent where every read is immediate.
   */
  readDeferred?(signal?: AbortSignal): Promise<boolean>;
}

/**
 * Normalizes a repo-relative path and refuses one that leaves the repo
 * (`..`, absolute paths, NUL bytes).
 */
export function normalizeRepoPath(p: string, where: { file?: string; field?: string; line?: number } = {}): string {
  if (p.includes('\0') || p.includes('\\')) {
    throw createError('GK_PATH_ESCAPE', `path ${JSON.stringify(p)} has a character paths may not hold`, where);
  }
  if (path.posix.isAbsolute(p)) {
    throw createError('GK_PATH_ESCAPE', `path ${JSON.stringify(p)} is absolute; give it relative to the repository root`, where);
  }
  const normal = path.posix.normalize(p === '' ? '.' : p).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../')) {
    throw createError('GK_PATH_ESCAPE', `path ${JSON.stringify(p)} leaves the repository`, where);
  }
  return normal === '' ? '.' : normal;
}

// A file or folder the operating system will not let us read (permissions, I/O).
function unreadable(file: string, error: unknown): GitopsError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return createError('GK_NOT_FOUND', `cannot be read (${code})`, { file: normalizeRepoPath(file) }, { cause: error });
}

/**
 * Refuses an entry of a folder the platform repo reads whose name no path may
 * hold (a backslash): it could not be read, and skipping it would drop what it
 * defines. Only listed folders are checked, so such a name elsewhere in the
 * Git repository (docs/) fails nothing.
 */
function checkEntryName(file: string): void {
  normalizeRepoPath(file, { file });
}

function byName(a: RepoEntry, b: RepoEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** A platform repo in a local folder. */
export function openLocalRepo(root: string): RepoFiles {
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch (error) {
    throw createError('GK_NOT_FOUND', `platform repo folder ${root} does not exist`, {}, { cause: error });
  }
  if (!statSync(realRoot).isDirectory()) {
    throw createError('GK_NOT_FOUND', `platform repo ${root} is not a folder`);
  }

  // Resolves a repo path to an absolute path inside the root, refusing symlinks out.
  const resolve = (rel: string): string | undefined => {
    const normal = normalizeRepoPath(rel, { file: rel });
    const abs = normal === '.' ? realRoot : path.join(realRoot, normal);
    let real: string;
    try {
      // The native realpath: the JS one lstat()s every component of every path, a tenth of a large render.
      real = realpathSync.native(abs);
    } catch {
      try {
        lstatSync(abs);
      } catch {
        return undefined;
      }
      throw createError('GK_PATH_ESCAPE', 'is a broken symlink', { file: normal });
    }
    if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
      throw createError('GK_PATH_ESCAPE', 'is a symlink to a place outside the repository; it is not followed', { file: normal });
    }
    return real;
  };

  return {
    label: root,
    list(dir) {
      const abs = resolve(dir);
      if (abs === undefined) return undefined;
      if (!statSync(abs).isDirectory()) return undefined;
      const prefix = dir === '.' || dir === '' ? '' : `${normalizeRepoPath(dir)}/`;
      const entries: RepoEntry[] = [];
      let dirents: Dirent[];
      try {
        dirents = readdirSync(abs, { withFileTypes: true });
      } catch (error) {
        throw unreadable(dir, error);
      }
      // Git keeps no empty folder: in a checkout one is a submodule that was not checked out, which
      // the git and GitHub sources refuse too; reading it as empty would drop what it holds.
      if (dirents.length === 0 && prefix !== '') {
        throw createError(
          'GK_SUBMODULE',
          'is an empty folder, as a git submodule that is not checked out is (git submodule update --init); check it out, or remove the folder',
          { file: normalizeRepoPath(dir) },
        );
      }
      for (const dirent of dirents) {
        checkEntryName(prefix + dirent.name);
        let type: 'file' | 'dir' | undefined;
        if (dirent.isSymbolicLink()) {
          const target = resolve(prefix + dirent.name);
          if (target === undefined) continue;
          const st = statSync(target);
          type = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
        } else if (dirent.isDirectory()) type = 'dir';
        else if (dirent.isFile()) type = 'file';
        if (type) entries.push({ name: dirent.name, type });
      }
      return entries.sort(byName);
    },
    read(file, maxBytes) {
      const abs = resolve(file);
      if (abs === undefined) throw createError('GK_NOT_FOUND', 'no such file', { file });
      // The size is checked on the opened file, before reading: a huge file never reaches memory.
      let fd: number;
      try {
        fd = openSync(abs, 'r');
      } catch (error) {
        throw unreadable(file, error);
      }
      try {
        const { size } = fstatSync(fd);
        if (maxBytes !== undefined && size > maxBytes) {
          throw createError('GK_FILE_TOO_LARGE', `file is ${size} bytes, over the limit of ${maxBytes}`, { file: normalizeRepoPath(file) });
        }
        return readFileSync(fd);
      } catch (error) {
        throw error instanceof GitopsError ? error : unreadable(file, error);
      } finally {
        closeSync(fd);
      }
    },
    kind(p) {
      const abs = resolve(p);
      if (abs === undefined) return undefined;
      const st = statSync(abs);
      return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
    },
  };
}

/** One entry of an in-memory tree, as a git tree lists it. */
export interface MemoryEntry {
  /** Repo-relative POSIX path, as the tree names it (it may hold characters paths may not: only a read of it fails). */
  path: string;
  /** A submodule is a gitlink (a `commit` entry): its files are in another repository. */
  type: 'file' | 'symlink' | 'submodule';
  /** File bytes, or the symlink's target as git stores it (empty for a submodule). Loaded lazily when a function. */
  content: Buffer | (() => Buffer);
  /** The file's size when known before loading (`git ls-tree -l`): a file over the limit is then never loaded. */
  size?: number;
  /** The content's id (git blob id; the submodule's commit), for {@link RepoFiles.contentId}. */
  id?: string;
}

// The components git itself refuses in a tree (fsck): a tree holding one is not a repository we read.
const IMPOSSIBLE_COMPONENT = /(^|\/)(\.{0,2})(\/|$)/;

/** The error for reading into a submodule, which no source reads. */
function submoduleError(file: string, entry: MemoryEntry): GitopsError {
  const commit = entry.id ? ` at commit ${entry.id.slice(0, 12)}` : '';
  return createError(
    'GK_SUBMODULE',
    `is a git submodule${commit}; the generator does not fetch submodules (their URLs come from the repository), ` +
      'so what it holds cannot be read: move these files into the platform repo',
    { file },
  );
}

/**
 * A platform repo held in memory: a git commit or a GitHub tree. Symlinks are
 * resolved inside the tree; one that points outside it, or at nothing, is
 * refused, as the local source refuses it. A submodule is a folder whose
 * contents are refused: a `path:` key may name it (Argo CD checks it out),
 * but listing or reading inside it fails rather than finding nothing.
 */
export function openMemoryRepo(label: string, entries: Iterable<MemoryEntry>): RepoFiles {
  const files = new Map<string, MemoryEntry>();
  const dirs = new Map<string, Map<string, 'file' | 'dir' | 'symlink' | 'submodule'>>();
  const addChild = (dir: string, name: string, type: 'file' | 'dir' | 'symlink' | 'submodule'): void => {
    let children = dirs.get(dir);
    if (!children) dirs.set(dir, (children = new Map()));
    if (!children.has(name) || type !== 'dir') children.set(name, type);
  };
  dirs.set('.', new Map());
  for (const entry of entries) {
    // Not normalizeRepoPath: a strange name outside the folders the platform repo reads must fail nothing.
    if (entry.path.includes('\0') || path.posix.isAbsolute(entry.path) || IMPOSSIBLE_COMPONENT.test(entry.path)) {
      throw createError('GK_PATH_ESCAPE', `the tree holds an entry named ${JSON.stringify(entry.path)}, which git does not allow`);
    }
    files.set(entry.path, entry);
    const parts = entry.path.split('/');
    for (let i = 0; i < parts.length; i++) {
      const dir = i === 0 ? '.' : parts.slice(0, i).join('/');
      addChild(dir, parts[i]!, i === parts.length - 1 ? entry.type : 'dir');
    }
  }
  const contentOf = (entry: MemoryEntry): Buffer => {
    if (typeof entry.content === 'function') entry.content = entry.content();
    return entry.content;
  };

  // `asked` is the path the caller asked for: a broken symlink is reported under it, as the local source does.
  const resolve = (p: string, depth = 0, asked?: string): string | undefined => {
    const normal = normalizeRepoPath(p, { file: p });
    const shown = asked ?? normal;
    if (depth > 16) throw createError('GK_PATH_ESCAPE', 'symlinks nest too deeply', { file: shown });
    if (normal === '.') return '.';
    const parts = normal.split('/');
    let current = '.';
    for (let i = 0; i < parts.length; i++) {
      const next = current === '.' ? parts[i]! : `${current}/${parts[i]}`;
      const entry = files.get(next);
      const last = i === parts.length - 1;
      if (entry?.type === 'submodule' && !last) throw submoduleError(next, entry);
      if (entry?.type === 'symlink') {
        const target = contentOf(entry).toString('utf8');
        const joined = path.posix.join(path.posix.dirname(next), target);
        if (path.posix.isAbsolute(target) || joined === '..' || joined.startsWith('../')) {
          throw createError('GK_PATH_ESCAPE', 'is a symlink to a place outside the repository; it is not followed', { file: next });
        }
        if (!last) return resolve(`${joined}/${parts.slice(i + 1).join('/')}`, depth + 1, shown);
        const real = resolve(joined, depth + 1, shown);
        if (real === undefined) throw createError('GK_PATH_ESCAPE', 'is a broken symlink', { file: shown });
        return real;
      }
      if (!entry && !dirs.has(next)) return undefined;
      current = next;
    }
    return current;
  };

  const kindOf = (p: string): 'file' | 'dir' | undefined => {
    const real = resolve(p);
    if (real === undefined) return undefined;
    if (dirs.has(real)) return 'dir';
    const type = files.get(real)?.type;
    return type === 'file' ? 'file' : type === 'submodule' ? 'dir' : undefined;
  };

  return {
    label,
    list(dir) {
      const real = resolve(dir);
      if (real === undefined) return undefined;
      const submodule = files.get(real);
      if (submodule?.type === 'submodule') throw submoduleError(real, submodule);
      const children = dirs.get(real);
      if (!children) return undefined;
      const prefix = real === '.' ? '' : `${real}/`;
      const entries: RepoEntry[] = [];
      for (const [name, type] of children) {
        checkEntryName(prefix + name);
        const resolved = type === 'symlink' ? kindOf(prefix + name) : type === 'submodule' ? 'dir' : type;
        if (resolved) entries.push({ name, type: resolved });
      }
      return entries.sort(byName);
    },
    read(file, maxBytes) {
      const real = resolve(file);
      const entry = real === undefined ? undefined : files.get(real);
      if (entry?.type !== 'file') throw createError('GK_NOT_FOUND', 'no such file', { file });
      const size = typeof entry.content === 'function' ? entry.size : entry.content.length;
      if (maxBytes !== undefined && size !== undefined && size > maxBytes) {
        throw createError('GK_FILE_TOO_LARGE', `file is ${size} bytes, over the limit of ${maxBytes}`, { file: normalizeRepoPath(file) });
      }
      return contentOf(entry);
    },
    kind: kindOf,
    contentId(file) {
      const real = resolve(file);
      const entry = real === undefined ? undefined : files.get(real);
      return entry?.type === 'file' ? entry.id : undefined;
    },
  };
}

/** Narrows a repo to a sub-folder (where the platform repo sits in a Git repo). */
export function subRepo(repo: RepoFiles, dir: string): RepoFiles {
  const base = normalizeRepoPath(dir, { field: 'path' });
  if (base === '.') return repo;
  const join = (p: string): string => (p === '.' || p === '' ? base : `${base}/${normalizeRepoPath(p)}`);
  return {
    label: `${repo.label}/${base}`,
    list: (p) => repo.list(join(p)),
    read: (p, maxBytes) => repo.read(join(p), maxBytes),
    kind: (p) => repo.kind(join(p)),
    contentId: (p) => repo.contentId?.(join(p)),
    readDeferred: repo.readDeferred,
  };
}
