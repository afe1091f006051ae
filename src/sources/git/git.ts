import { execFileSync } from 'node:child_process';
import { createError, GitopsError } from '../../core/errors.js';
import { normalizeRepoPath, openMemoryRepo, subRepo, type MemoryEntry, type RepoFiles } from '../repo-files.js';
import type { ParseCache } from '../../core/yaml/parse-cache.js';
import { redact } from '../redact.js';
import { gitEnvironment, runGit } from './run-git.js';

/** A revision as users write it: a branch, tag, `HEAD` or a commit id. Refuses what could be read as an option or a range. */
const REVISION = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/@^~{}+-]{1,250}$/;

/** Resolves a branch, tag or commit to a full commit id in a local git dir or work tree. GK_UNKNOWN_REVISION if none. */
export async function resolveRevision(gitDir: string, revision: string, options: { lowPriority?: boolean; signal?: AbortSignal } = {}): Promise<string> {
  const rev = revision === '' ? 'HEAD' : revision;
  if (!REVISION.test(rev)) {
    throw createError('GK_UNKNOWN_REVISION', `revision ${JSON.stringify(redact(rev))} is not a branch, tag or commit name`, { field: 'revision' });
  }
  // Branches first, then tags, then anything git understands: a bare clone
  // kept by the server holds refs/heads/* and refs/tags/* of the remote.
  const candidates = /^[0-9a-f]{40}$/i.test(rev) || rev === 'HEAD' || rev.startsWith('refs/') ? [rev] : [`refs/heads/${rev}`, `refs/tags/${rev}`, rev];
  for (const candidate of candidates) {
    const result = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${candidate}^{commit}`], {
      cwd: gitDir,
      allowCodes: [1, 128],
      timeoutMs: 30_000,
      lowPriority: options.lowPriority,
      signal: options.signal,
    });
    if (result.code === 0) {
      const commit = result.stdout.toString('utf8').trim();
      if (/^[0-9a-f]{40,64}$/.test(commit)) return commit;
    }
    if (result.code === 128) {
      const detail = redact(result.stderr.trim().split('\n').pop() ?? '');
      throw createError('GK_GIT', `git rev-parse failed in ${redact(gitDir)}: ${detail}`);
    }
  }
  throw createError('GK_UNKNOWN_REVISION', `revision ${JSON.stringify(rev)} names no branch, tag or commit of the repository`, { field: 'revision' });
}

interface TreeEntry {
  mode: string;
  type: string;
  object: string;
  size: number;
  path: string;
}

/** Parses `git ls-tree -r -z -l` output: `<mode> SP <type> SP <object> SP <size>\t<path>\0`. */
function parseLsTree(out: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  const text = out.toString('utf8');
  for (const record of text.split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const [mode, type, object, size] = record.slice(0, tab).split(/ +/);
    entries.push({ mode: mode!, type: type!, object: object!, size: size === '-' ? 0 : Number(size), path: record.slice(tab + 1) });
  }
  return entries;
}

/** Reads many blobs in one `git cat-file --batch` call. */
async function readBlobs(gitDir: string, objects: readonly string[], signal?: AbortSignal): Promise<Map<string, Buffer>> {
  const blobs = new Map<string, Buffer>();
  if (objects.length === 0) return blobs;
  const { stdout } = await runGit(['cat-file', '--batch'], { cwd: gitDir, input: `${objects.join('\n')}\n`, timeoutMs: 60_000, signal });
  let at = 0;
  while (at < stdout.length) {
    const eol = stdout.indexOf(0x0a, at);
    if (eol < 0) break;
    const header = stdout.subarray(at, eol).toString('utf8').split(' ');
    if (header[1] === 'missing' || header.length < 3) {
      throw createError('GK_GIT', `object ${header[0]} is missing from the repository`);
    }
    const size = Number(header[2]);
    blobs.set(header[0]!, Buffer.from(stdout.subarray(eol + 1, eol + 1 + size)));
    at = eol + 1 + size + 1;
  }
  return blobs;
}

/** Reads one blob synchronously, for files the core asks for that were not read ahead (one-shot commands only). */
function readBlobSync(gitDir: string, object: string, file: string): Buffer {
  try {
    return execFileSync('git', ['-C', gitDir, 'cat-file', 'blob', object], {
      env: gitEnvironment(),
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
  } catch (error) {
    throw createError('GK_GIT', `could not read ${file} (object ${object}) from git`, { file }, { cause: error });
  }
}

/** Files read ahead in one batch: YAML where the platform layout puts definitions (at most four levels deep, at most 1 MiB). */
const READ_AHEAD_MAX_BYTES = 1024 * 1024;
function readAhead(relative: string, size: number): boolean {
  return size <= READ_AHEAD_MAX_BYTES && /\.ya?ml$/.test(relative) && relative.split('/').length <= 4;
}

/** Options of {@link openGitCommit}. */
export interface OpenCommitOptions {
  /** Sub-folder the RepoFiles is narrowed to. */
  path?: string;
  /** Shown in messages. */
  label?: string;
  /** Files whose parse this cache holds are not read ahead (they are still read if asked for: see `deferReads`). */
  parseCache?: ParseCache;
  /**
   * A file that was not read ahead is not read at once (a blocking git call,
   * which a server must never make): reading it fails, and
   * {@link RepoFiles.readDeferred} then reads every such file in one
   * batch, for the caller to load again. Without it (one-shot commands) it is
   * read synchronously.
   */
  deferReads?: boolean;
  /** Stops the git calls (and later deferred reads) when aborted. */
  signal?: AbortSignal;
}

/**
 * The tree of one commit as RepoFiles (via `git ls-tree -r -z -l` +
 * `git cat-file --batch`), optionally narrowed to a sub-folder. The YAML
 * files the platform layout can hold are read ahead in one batch; any other
 * blob is read only when asked for. Symlinks are symlink entries (resolved,
 * and refused when leaving the tree or pointing at nothing, by the memory
 * repo); submodules are kept as such, and reading inside one is refused.
 */
export async function openGitCommit(gitDir: string, commit: string, options: OpenCommitOptions = {}): Promise<RepoFiles> {
  if (!/^[0-9a-f]{40,64}$/i.test(commit)) {
    throw createError('GK_UNKNOWN_REVISION', `${JSON.stringify(commit)} is not a full commit id; resolve it first`, { field: 'revision' });
  }
  const base = normalizeRepoPath(options.path ?? '.', { field: 'path' });
  // ls-tree of the whole commit: symlinks inside the sub-folder may point to
  // siblings elsewhere in the repository, which stay readable through them.
  let listing: Buffer;
  try {
    listing = (await runGit(['ls-tree', '-r', '-z', '-l', '--full-tree', commit], { cwd: gitDir, timeoutMs: 60_000, signal: options.signal })).stdout;
  } catch (error) {
    if (error instanceof GitopsError && /not a tree object|bad object|Not a valid object/i.test(error.message)) {
      throw createError('GK_UNKNOWN_REVISION', `commit ${commit} is not in the repository`, { field: 'revision' }, { cause: error });
    }
    throw error;
  }
  // A submodule (a `commit` entry) is kept: leaving it out would drop what it holds without a word.
  const tree = parseLsTree(listing).filter((e) => e.type === 'blob' || e.type === 'commit');
  const prefix = base === '.' ? '' : `${base}/`;
  const wanted = tree
    .filter((e) => e.type === 'blob')
    .filter((e) => e.mode === '120000' || (e.path.startsWith(prefix) && readAhead(e.path.slice(prefix.length), e.size)));
  const cache = options.parseCache;
  const ahead = cache?.canHold(wanted.reduce((n, e) => n + e.size, 0))
    ? wanted.filter((e) => e.mode === '120000' || !cache.has(e.object, e.path.slice(prefix.length)))
    : wanted;
  const blobs = await readBlobs(gitDir, [...new Set(ahead.map((e) => e.object))], options.signal);

  // Blobs asked for that were not read ahead, by id: the next readDeferred() reads them.
  const deferred = new Map<string, string>();
  const readLater = (object: string, file: string): Buffer => {
    const read = blobs.get(object);
    if (read) return read;
    if (!options.deferReads) return readBlobSync(gitDir, object, file);
    deferred.set(object, file);
    throw createError('GK_GIT', 'was not read ahead from git; it is read before the repository is loaded again', { file });
  };
  const entries: MemoryEntry[] = tree.map((e) => ({
    path: e.path,
    type: e.type === 'commit' ? 'submodule' : e.mode === '120000' ? 'symlink' : 'file',
    content: e.type === 'commit' ? Buffer.alloc(0) : (blobs.get(e.object) ?? (() => readLater(e.object, e.path))),
    size: e.size,
    id: e.object,
  }));
  const label = options.label ?? `${gitDir}@${commit.slice(0, 12)}`;
  const whole = openMemoryRepo(label, entries);
  if (base !== '.' && whole.kind(base) !== 'dir') {
    throw createError('GK_NOT_FOUND', `commit ${commit.slice(0, 12)} has no folder ${base}`, { field: 'path' });
  }
  const repo = base === '.' ? whole : subRepo(whole, base);
  return {
    ...repo,
    async readDeferred(signal?: AbortSignal) {
      if (deferred.size === 0) return false;
      const objects = [...deferred.keys()];
      deferred.clear();
      for (const [object, content] of await readBlobs(gitDir, objects, signal ?? options.signal)) blobs.set(object, content);
      return true;
    },
  };
}
