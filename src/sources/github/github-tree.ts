import { createError } from '../../core/errors.js';
import type { MemoryEntry } from '../repo-files.js';

/** An item of a recursive tree, as GitHub's git/trees API lists it. */
export interface TreeItem {
  path: string;
  mode: string;
  type: string;
  sha: string;
  size?: number;
}

const READ_AHEAD_MAX_BYTES = 1024 * 1024;

/** The items the platform layout reads: files and submodules (a `commit` item; leaving it out would drop what it holds without a word). */
export function filesOfTree(tree: readonly TreeItem[]): TreeItem[] {
  return tree.filter((i) => i.type === 'blob' || i.type === 'commit');
}

/** The blobs to download: symlinks, and the YAML files under `prefix` the platform layout can hold (at most four levels deep, at most 1 MiB). */
export function blobsToRead(items: readonly TreeItem[], prefix: string): TreeItem[] {
  return items.filter(
    (i) =>
      i.type === 'blob' &&
      (i.mode === '120000' ||
        (i.path.startsWith(prefix) && /\.ya?ml$/.test(i.path) && (i.size ?? 0) <= READ_AHEAD_MAX_BYTES && i.path.slice(prefix.length).split('/').length <= 4)),
  );
}

/** The tree's items as in-memory entries; reading a file that was not downloaded fails, naming it. */
export function memoryEntriesOf(items: readonly TreeItem[], contents: ReadonlyMap<string, Buffer>): MemoryEntry[] {
  return items.map((i) => ({
    path: i.path,
    type: i.type === 'commit' ? 'submodule' : i.mode === '120000' ? 'symlink' : 'file',
    content:
      (i.type === 'commit' ? Buffer.alloc(0) : contents.get(i.sha)) ??
      (() => {
        throw createError('GK_GITHUB', 'is not where the platform layout reads files, so it was not downloaded from GitHub', { file: i.path });
      }),
    id: i.sha,
  }));
}
