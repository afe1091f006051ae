import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout's root: the folder of the package.json named gitops-k8s above
 * the module that asks. Tests run from test/ through the TypeScript loader and
 * from tsc's output in dist/test/ (`npm test`), one level deeper, so a fixed
 * `../..` from import.meta.url would point into dist/ in one of the two.
 */
export function findProjectRoot(from: string): string {
  let dir = path.dirname(fileURLToPath(from));
  for (;;) {
    if (isPackageRoot(dir)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json of gitops-k8s not found above ${fileURLToPath(from)}`);
    dir = parent;
  }
}

function isPackageRoot(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === 'gitops-k8s';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export const projectRoot = findProjectRoot(import.meta.url);
