/**
 * bench/check: `gitops-k8s check` of a generated repo of 200 apps on 5 clusters
 * (10 charts from a loopback chart repository, apps over 4 namespaces; half the
 * apps' values use {{cluster.name}}, so their renders differ per cluster, the
 * other half's renders are shared by all clusters). Times a cold run (empty
 * chart cache) and warm runs, and prints the helm runs made and renders shared.
 *
 *   npm run build && npm run bench:check
 *
 * Environment: BENCH_ROUNDS (warm runs, default 3).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChartRepo, type ChartSpec } from './chart-repo.js';
import { ensureHelm } from './helm.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// Runs from dist/bench/ (compiled) and finds the project root above it.
const root = path.resolve(here, existsSync(path.join(here, '../package.json')) ? '..' : '../..');
const work = path.join(root, 'bench/.work');
const dir = path.join(work, 'check');
const cli = path.join(root, 'dist/src/gitops-k8s.cjs');

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const APPS = 200;
const CLUSTERS = 5;
const CHARTS = 10;
const NAMESPACES = ['web', 'data', 'ops', 'edge'];

function makeChart(i: number): ChartSpec {
  const name = `chart${i}`;
  return {
    name,
    version: '1.0.0',
    values: 'replicas: 1\nregion: none\n',
    templates: {
      'deployment.yaml':
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-${name}\n  annotations: {region: "{{ .Values.region }}"}\n` +
        `spec:\n  replicas: {{ .Values.replicas }}\n  selector: {matchLabels: {app: {{ .Release.Name }}}}\n` +
        `  template:\n    metadata: {labels: {app: {{ .Release.Name }}}}\n    spec: {containers: [{name: app, image: "nginx:1.27"}]}\n`,
      'clusterrole.yaml':
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: {{ .Release.Name }}-${name}-reader}\n` +
        `rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]\n`,
    },
  };
}

/** The platform repo: apps spread over the namespaces and charts; even apps' values vary per cluster. */
function writePlatform(platform: string, chartRepo: string): void {
  rmSync(platform, { recursive: true, force: true });
  const write = (file: string, text: string): void => {
    mkdirSync(path.dirname(path.join(platform, file)), { recursive: true });
    writeFileSync(path.join(platform, file), text);
  };
  write('gitops.yaml', 'repoURL: https://git.example.com/platform.git\ntargetRevision: main\n');
  for (let c = 1; c <= CLUSTERS; c++) write(`clusters/c${c}.yaml`, `provider: generic\nserver: https://c${c}.example.com\n`);
  for (const ns of NAMESPACES) {
    write(`apps/${ns}/namespace.yaml`, 'project:\n  clusterResourceWhitelist: [{group: rbac.authorization.k8s.io, kind: ClusterRole}]\n');
  }
  for (let a = 0; a < APPS; a++) {
    const ns = NAMESPACES[a % NAMESPACES.length]!;
    const values = a % 2 === 0 ? `values:\n  replicas: ${1 + (a % 3)}\n  region: "{{cluster.name}}"\n` : `values:\n  replicas: ${1 + (a % 3)}\n`;
    // A fixed release name: the default one holds the cluster name, which would make every render differ.
    write(`apps/${ns}/app${a}.yaml`, `repoURL: ${chartRepo}\nchart: chart${a % CHARTS}\nversion: 1.0.0\nreleaseName: app${a}\n${values}`);
  }
}

interface CheckRun {
  ms: number;
  applications: number;
  runs: number;
  shared: number;
  findings: number;
}

/** `gitops-k8s check -o json` as a child process (async: the chart repository is served from this process). */
function runCheck(platform: string, cacheDir: string, helm: string): Promise<CheckRun> {
  const env = {
    ...process.env,
    GITOPS_K8S_HELM: helm,
    HELM_CACHE_HOME: path.join(dir, 'helm-cache'),
    HELM_CONFIG_HOME: path.join(dir, 'helm-config'),
    HELM_DATA_HOME: path.join(dir, 'helm-data'),
  };
  const start = performance.now();
  const child = spawn(process.execPath, [cli, 'check', platform, '-o', 'json', '--cache-dir', cacheDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - start;
      // 0: clean, 1: findings (a report on stdout); anything else is a failure of the bench.
      if ((code !== 0 && code !== 1) || stdout === '') return reject(new Error(`gitops-k8s check exited ${code}: ${stderr.slice(0, 2000)}`));
      const report = JSON.parse(stdout) as { findings: unknown[]; renders: { runs: number; shared: number }; applications: number };
      resolve({ ms, applications: report.applications, runs: report.renders.runs, shared: report.renders.shared, findings: report.findings.length });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function benchCheck(): Promise<void> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  const helm = ensureHelm(work);
  rmSync(dir, { recursive: true, force: true });
  const repo = await startChartRepo(
    helm,
    path.join(dir, 'charts'),
    Array.from({ length: CHARTS }, (_, i) => makeChart(i)),
  );
  try {
    const platform = path.join(dir, 'platform');
    writePlatform(platform, repo.url);
    const cacheDir = path.join(dir, 'cache');
    const cold = await runCheck(platform, cacheDir, helm);
    console.log(`cold (empty chart cache): ${cold.ms.toFixed(0)} ms`);
    const warm: CheckRun[] = [];
    for (let i = 0; i < rounds; i++) {
      warm.push(await runCheck(platform, cacheDir, helm));
      console.log(`warm ${i + 1}/${rounds}: ${warm[i]!.ms.toFixed(0)} ms`);
    }
    const last = warm.at(-1) ?? cold;
    console.log('');
    console.log(
      `gitops-k8s check of ${APPS} apps x ${CLUSTERS} clusters ` +
        `(${last.applications} Applications, ${CHARTS} charts, ${last.findings} findings), process start included`,
    );
    console.log(
      `  warm chart cache   ${
        warm.length
          ? median(warm.map((r) => r.ms))
              .toFixed(0)
              .padStart(6)
          : '   n/a'
      } ms (median of ${warm.length})`,
    );
    console.log(`  cold chart cache   ${cold.ms.toFixed(0).padStart(6)} ms (charts fetched from the loopback repository)`);
    console.log(`  helm runs          ${last.runs} (renders shared: ${last.shared}, of ${last.runs + last.shared} renders)`);
    console.log(
      `  load average       ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${availableParallelism()} CPUs`,
    );
  } finally {
    repo.server.close();
  }
}

console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
await benchCheck();
