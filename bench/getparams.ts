/**
 * bench/getparams: the ApplicationSet plugin generator (`gitops-k8s serve`)
 * on the 2,000-app x 20-cluster repo, served from a `file://` git remote.
 * The server runs as its own process (the load generator does not share
 * its event loop); bench/drive-load.ts drives it with 10 keep-alive
 * connections (see there why not autocannon).
 *
 * Figures: warm p50/p99 of a one-cluster reply and of the full reply, the
 * /healthz floor of the same server as baseline, the time from a pushed
 * commit to the first reply that shows it (no webhook: the branch's
 * refresh interval, then fetch + build), and the server's resident memory.
 * Targets (issue 3): one-cluster warm p99 <= 20 ms, new commit <= 1.5 s,
 * RSS <= 250 MB.
 *
 *   npm run build && node dist/bench/getparams.js
 *
 * Environment: BENCH_APPS (2000), BENCH_CLUSTERS (20), BENCH_SECONDS (10), BENCH_COMMITS (5),
 * BENCH_REFRESH_MS (the server's --refresh-interval, default 1000), BENCH_NODE_FLAGS
 * (flags for the server's node, e.g. `--cpu-prof`).
 */
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchRoot, makeCommittedRepo, startBenchServer } from './bench-server.js';
import { driveLoad, type LoadResult } from './drive-load.js';

type RunResult = LoadResult;

const work = path.join(benchRoot, 'bench/.work/getparams');
const apps = Number(process.env.BENCH_APPS ?? 2000);
const clusters = Number(process.env.BENCH_CLUSTERS ?? 20);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const refreshMs = Number(process.env.BENCH_REFRESH_MS ?? 1000);
const commits = Number(process.env.BENCH_COMMITS ?? 5);
const webhookSecret = 'bench-webhook-secret';
const token = 'bench-token-0123456789abcdef';

function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

async function post(base: string, parameters: Record<string, unknown>): Promise<{ status: number; body: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${base}/api/v1/getparams.execute`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-encoding': 'gzip' },
        body: JSON.stringify({ applicationSetName: 'bench', input: { parameters } }),
      });
      return { status: res.status, body: await res.text() };
    } catch (error) {
      // A keep-alive connection closed by the server between calls: retry once on a new one.
      if (attempt >= 2) throw error;
    }
  }
}

/** The process's CPU time so far (user + system), in ms. */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

let serverPid = 0;

/** A push delivery as GitHub sends it, signed with the webhook secret. */
async function pushWebhook(base: string, cloneURL: string, after: string): Promise<void> {
  const body = JSON.stringify({ ref: 'refs/heads/main', after, repository: { clone_url: cloneURL } });
  const signature = `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`;
  const res = await fetch(`${base}/api/v1/webhooks/github`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature },
    body,
  });
  if (res.status !== 202) throw new Error(`the push webhook answered ${res.status}: ${await res.text()}`);
}

async function load(url: string, body?: string): Promise<RunResult & { serverCpuMs: number }> {
  const before = cpuMsOf(serverPid);
  const result = await driveLoad({
    url,
    connections: 10,
    seconds,
    method: body ? 'POST' : 'GET',
    // Argo CD's Go HTTP client asks for gzip on its own.
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-encoding': 'gzip' },
    body,
  });
  return { ...result, serverCpuMs: (cpuMsOf(serverPid) - before) / Math.max(1, result.total) };
}

const fmt = (n: number): string => n.toFixed(n < 10 ? 2 : 0);

async function main(): Promise<void> {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const { repo, git } = makeCommittedRepo(path.join(work, 'platform'), { apps, clusters }, 'bench', 'large platform');
  console.log(
    `repo: ${repo.apps} apps x ${repo.clusters.length} clusters = ${repo.applications} Applications, served from file://${path.join(work, 'platform')}`,
  );

  const { server, base } = await startBenchServer({
    repoDir: path.join(work, 'platform'),
    cacheDir: path.join(work, 'cache'),
    env: { ...process.env, GITOPS_K8S_TOKEN: token, GITOPS_K8S_WEBHOOK_SECRET: webhookSecret },
    nodeFlags: (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
    serveArgs: ['--refresh-interval', String(refreshMs)],
  });
  serverPid = server.pid!;
  try {
    const one = { revision: 'main', cluster: repo.clusters[0] };
    const full = { revision: 'main' };
    let started = performance.now();
    const first = await post(base, one);
    const coldMs = performance.now() - started;
    if (first.status !== 200) throw new Error(`cold call answered ${first.status}: ${first.body.slice(0, 500)}`);
    const oneCount = (JSON.parse(first.body) as { output: { parameters: unknown[] } }).output.parameters.length;
    started = performance.now();
    const fullReply = await post(base, full);
    const fullFirstMs = performance.now() - started;
    const fullCount = (JSON.parse(fullReply.body) as { output: { parameters: unknown[] } }).output.parameters.length;
    console.log(
      `cold: first one-cluster reply (fetch + build ${repo.applications} Applications) ${fmt(coldMs)} ms; ` +
        `first full reply ${fmt(fullFirstMs)} ms (${(fullReply.body.length / 1048576).toFixed(1)} MiB, ${fullCount} sets)`,
    );

    const memCold = memoryOf(server.pid!);
    const floor = await load(`${base}/healthz`);
    const oneRun = await load(`${base}/api/v1/getparams.execute`, JSON.stringify({ applicationSetName: 'bench', input: { parameters: one } }));
    const memOne = memoryOf(server.pid!);
    const fullRun = await load(`${base}/api/v1/getparams.execute`, JSON.stringify({ applicationSetName: 'bench', input: { parameters: full } }));
    const memWarm = memoryOf(server.pid!);

    // New commits, each changing one app, pushed at a random point of the
    // refresh cycle; the one-cluster reply is polled until it shows the commit.
    // Without a webhook the server finds a commit by its refresh interval; with
    // GitHub's push webhook (signed, as GitHub sends it) at once.
    const changed = repo.appIds[0]!.split('/');
    const target = path.join(work, 'platform', 'apps', changed[0]!, `${changed[1]}.yaml`);
    const file = existsSync(target) ? target : path.join(work, 'platform', 'apps', changed[0]!, changed[1]!, 'app.yaml');
    const original = readFileSync(file, 'utf8');
    let lastBody = first.body;
    let wave = 0;
    const commitAndWait = async (webhook: boolean): Promise<number> => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * refreshMs));
      writeFileSync(file, `${original}syncWave: ${++wave}\n`);
      git('commit', '-q', '-am', `change one app (${wave})`);
      const started = performance.now();
      if (webhook) await pushWebhook(base, `file://${path.join(work, 'platform')}`, git('rev-parse', 'HEAD'));
      for (;;) {
        const r = await post(base, one);
        if (r.status !== 200) throw new Error(`after the commit: ${r.status} ${r.body.slice(0, 300)}`);
        if (r.body !== lastBody) {
          lastBody = r.body;
          return performance.now() - started;
        }
        if (performance.now() - started > 60_000) throw new Error('the new commit was not served within 60 s');
      }
    };
    const polled: number[] = [];
    for (let i = 0; i < commits; i++) polled.push(await commitAndWait(false));
    const hooked: number[] = [];
    for (let i = 0; i < commits; i++) hooked.push(await commitAndWait(true));
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
    const newCommitMs = median(polled);
    const memAfter = memoryOf(server.pid!);

    const rows: [string, RunResult & { serverCpuMs: number }, number][] = [
      ['/healthz (baseline)', floor, 1],
      [`one cluster (${oneCount} sets)`, oneRun, oneRun.latency.p99 / Math.max(floor.latency.p99, 0.01)],
      [`full (${fullCount} sets)`, fullRun, fullRun.latency.p99 / Math.max(floor.latency.p99, 0.01)],
    ];
    console.log(`\nwarm, 10 keep-alive connections, ${seconds} s each (closed loop, bench/drive-load.ts):`);
    console.log('request                     p50 ms   p99 ms   req/s    non-2xx  CPU ms/req server, client  p99 vs baseline');
    for (const [name, r, ratio] of rows) {
      console.log(
        `${name.padEnd(26)}  ${fmt(r.latency.p50).padStart(6)}   ${fmt(r.latency.p99).padStart(6)}   ${fmt(r.requestsPerSecond).padStart(6)}   ` +
          `${String(r.non2xx + r.errors).padStart(7)}  ${r.serverCpuMs.toFixed(3).padStart(6)}, ${r.clientCpuMs.toFixed(3).padStart(6)}           ` +
          `x${ratio.toFixed(1)}`,
      );
    }
    console.log(`\nnew commit served after (${commits} commits each, one-cluster reply polled):`);
    console.log(`  no webhook (refresh interval ${refreshMs} ms, fetch, build): median ${fmt(newCommitMs)} ms, ${polled.map(fmt).join(', ')}`);
    console.log(`  GitHub push webhook (fetch, build): median ${fmt(median(hooked))} ms, ${hooked.map(fmt).join(', ')}`);
    console.log(
      `server memory: RSS ${fmt(memCold.rssMiB)} MiB after the cold calls, ${fmt(memOne.rssMiB)} MiB after the one-cluster run, ` +
        `${fmt(memWarm.rssMiB)} MiB after the full run, ${fmt(memAfter.rssMiB)} MiB after the new commit; peak ${fmt(memAfter.peakMiB)} MiB`,
    );
    const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
    console.log(
      `\ntargets: one-cluster warm p99 ${fmt(oneRun.latency.p99)} ms <= 20 ms: ${verdict(oneRun.latency.p99 <= 20)}; ` +
        `new commit (median, no webhook) ${fmt(newCommitMs)} ms <= 1500 ms: ${verdict(newCommitMs <= 1500)}; ` +
        `peak RSS ${fmt(memAfter.peakMiB)} MiB <= 250 MB (238 MiB): ${verdict(memAfter.peakMiB <= 238.4)}`,
    );
  } finally {
    server.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
