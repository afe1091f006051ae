import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * This package's version, read from its package.json, the one place it is
 * written. Found from this module: src/ in tests, dist/src/ (tsc's output or
 * the CLI bundle) once built or installed, so it is the nearest
 * package.json named gitops-k8s above it.
 */
export function readPackageVersion(from: string = import.meta.url): string {
  let dir = path.dirname(fileURLToPath(from));
  for (let i = 0; i < 4; i++) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'gitops-k8s' && typeof manifest.version === 'string') return manifest.version;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    dir = path.dirname(dir);
  }
  throw new Error(`package.json of gitops-k8s not found above ${fileURLToPath(from)}`);
}
