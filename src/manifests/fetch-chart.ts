/**
 * Helm charts pulled once per (repository, chart, version) into a cache
 * folder that outlives the run: a pinned chart version never changes, so a
 * warm cache costs no network at all.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runTool } from '../tools/external-tool.js';

export interface ChartRef {
  /** `https://…` chart repository or `oci://host/path` registry, as mapped (`--repo-map`). */
  repoURL: string;
  chart: string;
  version: string;
}

export interface FetchChartOptions {
  helm: string;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  /** Talk to OCI registries over plain HTTP (a loopback or in-cluster registry). */
  plainHttp: boolean;
  passCredentials: boolean;
  what: string;
  /** Pulls of this run by cache folder: Applications sharing a chart wait for one pull (and share its failure). */
  pulls: Map<string, Promise<string>>;
}

function chartDirName(ref: ChartRef): string {
  return createHash('sha256').update(`${ref.repoURL}\u0000${ref.chart}\u0000${ref.version}`).digest('hex').slice(0, 32);
}

/** The folder of the unpacked chart, pulled on first use. */
export function fetchChart(ref: ChartRef, options: FetchChartOptions): Promise<string> {
  const dir = path.join(options.cacheDir, 'charts', chartDirName(ref));
  let pull = options.pulls.get(dir);
  if (!pull) {
    pull = pullChart(ref, dir, options);
    options.pulls.set(dir, pull);
  }
  return pull;
}

async function pullChart(ref: ChartRef, dir: string, options: FetchChartOptions): Promise<string> {
  const chartDir = path.join(dir, ref.chart.split('/').pop()!);
  if (existsSync(chartDir)) return chartDir;
  mkdirSync(path.dirname(dir), { recursive: true });
  // Unpacked beside the cache entry, then renamed: a killed run never leaves half a chart that looks complete.
  const tmp = mkdtempSync(`${dir}.tmp-`);
  try {
    const oci = ref.repoURL.startsWith('oci://');
    const args = oci
      ? ['pull', `${ref.repoURL.replace(/\/+$/, '')}/${ref.chart}`, '--version', ref.version, '--untar', '--untardir', tmp]
      : ['pull', ref.chart, '--repo', ref.repoURL, '--version', ref.version, '--untar', '--untardir', tmp];
    if (oci && options.plainHttp) args.push('--plain-http');
    if (!oci && options.passCredentials) args.push('--pass-credentials');
    await runTool(options.helm, args, { env: options.env, what: options.what, timeoutMs: 300_000 });
    const [unpacked] = readdirSync(tmp);
    if (unpacked === undefined) throw new Error(`helm pull left ${tmp} empty`);
    mkdirSync(dir, { recursive: true });
    renameSync(path.join(tmp, unpacked), chartDir);
    return chartDir;
  } catch (error) {
    if (existsSync(chartDir)) return chartDir;
    throw error;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
