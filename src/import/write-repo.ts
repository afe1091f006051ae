/** Writes a planned platform repo; a non-empty folder only with --force, so that an import never overwrites work. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { emitYaml } from '../core/yaml/emit-yaml.js';
import { createError } from '../core/errors.js';

export function writeRepo(dir: string, files: ReadonlyMap<string, unknown>, options: { force?: boolean; label?: string } = {}): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw createError('GK_USAGE', `--out ${options.label ?? dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (entries.length > 0) {
    if (!options.force)
      throw createError(
        'GK_USAGE',
        `--out ${options.label ?? dir} is not empty; pass --force to replace what import writes there (gitops.yaml, clusters/, apps/)`,
      );
    // Only what an import writes: a stale app file left behind would become an Application.
    for (const owned of ['gitops.yaml', 'clusters', 'apps']) rmSync(path.join(dir, owned), { recursive: true, force: true });
  }
  for (const [file, data] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const target = path.join(dir, ...file.split('/'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, emitYaml(data));
  }
}
