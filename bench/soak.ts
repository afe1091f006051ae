/**
 * bench/soak: the generator's memory under the request patterns that once
 * grew it for good (issue 10): waves of 100 concurrent clients without gzip
 * asking for the full reply of a 5,175-set repo (each once held its own
 * unzipped copy: RSS 128 MiB to 1.06 GiB, and it stayed), then 2,000 distinct
 * padded selections under distinct ApplicationSet names (uncounted cache
 * keys: +60 MiB). The server runs as its own process on loopback; its RSS
 * is printed every second against the baseline taken after the first full
 * reply, and again after an idle pause at the end. Runs for a bounded time.
 *
 *   npm run build && npm run bench:soak
 *
 * Environment: SOAK_SECONDS (60: half for each pattern), SOAK_APPS (345), SOAK_CLUSTERS (15),
 * SOAK_CLIENTS (100), SOAK_SELECTIONS (2000).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { benchRoot, makeCommittedRepo, startBenchServer } from './bench-server.js';

const work = path.join(benchRoot, 'bench/.work/soak');
const seconds = Number(process.env.SOAK_SECONDS ?? 60);
const apps = Number(process.env.SOAK_APPS ?? 345);
const clusterCount = Number(process.env.SOAK_CLUSTERS ?? 15);
const clients = Number(process.env.SOAK_CLIENTS ?? 100);
const selections = Number(process.env.SOAK_SELECTIONS ?? 2000);
const token = 'soak-token-0123456789abcdef';

function rssMiBOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024;
}

/** One getparams call, its body read to the end and dropped: the client must not be what holds memory. */
async function call(base: string, parameters: Record<string, unknown>, options: { gzip: boolean; applicationSet: string }): Promise<number> {
  const res = await fetch(`${base}/api/v1/getparams.execute`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-encoding': options.gzip ? 'gzip' : 'identity' },
    body: JSON.stringify({ applicationSetName: options.applicationSet, input: { parameters } }),
  });
  for await (const chunk of res.body ?? []) void chunk;
  return res.status;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const { repo } = makeCommittedRepo(path.join(work, 'platform'), { apps, clusters: clusterCount }, 'soak', 'soak platform');
  console.log(
    `repo: ${repo.apps} apps x ${repo.clusters.length} clusters = ${repo.applications} sets; ` +
      `${seconds} s, ${clients} clients without gzip, then ${selections} distinct padded selections`,
  );

  const { server, base } = await startBenchServer({
    repoDir: path.join(work, 'platform'),
    cacheDir: path.join(work, 'cache'),
    env: { ...process.env, GITOPS_K8S_TOKEN: token },
  });
  const pid = server.pid!;
  let phase = 'warm-up';
  let requests = 0;
  let failures = 0;
  const started = performance.now();
  let peak = 0;
  let baseline = 0;
  const sample = (): void => {
    const rss = rssMiBOf(pid);
    peak = Math.max(peak, rss);
    const t = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
    console.log(
      `t=${t}s  ${phase.padEnd(10)}  rss ${rss.toFixed(0).padStart(5)} MiB  ` +
        `(baseline ${baseline.toFixed(0)}, ${rss - baseline >= 0 ? '+' : ''}${(rss - baseline).toFixed(0)})  requests ${requests}  non-200 ${failures}`,
    );
  };
  try {
    const first = await call(base, { revision: 'main' }, { gzip: true, applicationSet: 'soak' });
    if (first !== 200) throw new Error(`the first full reply answered ${first}`);
    await sleep(1000);
    baseline = rssMiBOf(pid);
    const timer = setInterval(sample, 1000);
    const count = (status: number): void => {
      requests++;
      if (status !== 200) failures++;
    };

    phase = 'plain';
    const plainUntil = performance.now() + (seconds * 1000) / 2;
    while (performance.now() < plainUntil) {
      const wave = Array.from({ length: clients }, (_, i) => call(base, { revision: 'main' }, { gzip: false, applicationSet: `plain-${i}` }).then(count));
      await Promise.all(wave);
    }

    phase = 'selections';
    const selectUntil = performance.now() + (seconds * 1000) / 2;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < selections && performance.now() < selectUntil) {
        const i = next++;
        // Each a different spelling (padding, order, repeats) of a selection, under its own ApplicationSet name.
        const a = repo.clusters[i % repo.clusters.length]!;
        const b = repo.clusters[(i * 7 + 3) % repo.clusters.length]!;
        const pad = ' '.repeat(i % 200);
        const parameters = {
          revision: 'main',
          clusters: `${pad}${a},${b}${pad}`,
          ...(i % 3 === 0 ? { namespaces: [repo.namespaces[i % repo.namespaces.length]!] } : {}),
        };
        count(await call(base, parameters, { gzip: true, applicationSet: `soak-${i}-${'n'.repeat(i % 200)}` }));
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));

    phase = 'idle';
    await sleep(5000);
    clearInterval(timer);
    sample();
    const final = rssMiBOf(pid);
    console.log(
      `\nbaseline ${baseline.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB (+${(peak - baseline).toFixed(0)}), ` +
        `after 5 s idle ${final.toFixed(0)} MiB (+${(final - baseline).toFixed(0)}); ${requests} requests, ${failures} not 200`,
    );
  } finally {
    server.kill('SIGTERM');
  }
}

await main();
