/**
 * Directory sources: the YAML and JSON files of a folder, as Argo CD reads
 * them (`recurse`, `include` and `exclude` globs on the path inside the
 * folder). Bounded: a source holding a huge file or a million files is an
 * error, not an exhausted machine.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { createError } from '../core/errors.js';
import { parseManifests, type KubeObject } from './kube-object.js';
import { resolveInside } from './resolve-inside.js';

const MAX_FILES = 5_000;
const MAX_BYTES = 64 * 1024 * 1024;
const MANIFEST = /\.(ya?ml|json)$/i;

export interface DirectoryOptions {
  recurse?: boolean;
  include?: string;
  exclude?: string;
  jsonnet?: unknown;
}

/** Argo CD's include/exclude: one glob, or `{a,b}` for several. */
function matcherOf(glob: string | undefined): ((file: string) => boolean) | undefined {
  if (glob === undefined || glob === '') return undefined;
  return picomatch(glob, { dot: true });
}

/** The objects of the manifest files in `dir`. */
export function readDirectoryManifests(dir: string, options: DirectoryOptions, what: string): KubeObject[] {
  const include = matcherOf(options.include);
  const exclude = matcherOf(options.exclude);
  const objects: KubeObject[] = [];
  let files = 0;
  let bytes = 0;
  const walk = (rel: string): void => {
    const abs = rel === '' ? dir : path.join(dir, rel);
    for (const name of readdirSync(abs).sort()) {
      if (name.startsWith('.')) continue;
      const relFile = rel === '' ? name : `${rel}/${name}`;
      const file = resolveInside(dir, relFile, `${what}: file`);
      // resolveInside followed any symbolic link and found it inside: stat what it points at.
      const stat = statSync(file);
      if (stat.isDirectory()) {
        if (options.recurse) walk(relFile);
        continue;
      }
      if (!MANIFEST.test(name)) continue;
      if (include && !include(relFile) && !include(name)) continue;
      if (exclude && (exclude(relFile) || exclude(name))) continue;
      if (++files > MAX_FILES) throw createError('GK_REPO_TOO_LARGE', `${what}: more than ${MAX_FILES} manifest files`);
      const text = readFileSync(file, 'utf8');
      bytes += text.length;
      if (bytes > MAX_BYTES) throw createError('GK_REPO_TOO_LARGE', `${what}: more than ${MAX_BYTES} bytes of manifests`);
      objects.push(...parseManifests(text, `${what}: ${relFile}`));
    }
  };
  walk('');
  return objects;
}
