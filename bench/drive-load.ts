/**
 * A closed-loop HTTP load driver for the benchmarks: `connections` keep-alive
 * connections (an undici Pool), each sending the next request as soon as the
 * previous reply has been read to its end, for `seconds`. Latency is from
 * sending a request to the last byte of its reply.
 *
 * Why not autocannon: autocannon 9 appends every response body to a string
 * (`pipelinedRequestsQueue.addBody`), so a gzipped reply is decoded as UTF-8
 * on each response. For the 100 KiB one-cluster reply that cost the client
 * 1.4 ms of CPU per request against the server's 0.5 ms, and on a 2-core
 * machine the client's CPU became the latency being measured.
 */
import { Pool } from 'undici';

/** What one load run measured. */
export interface LoadResult {
  latency: { p50: number; p90: number; p99: number; max: number };
  requestsPerSecond: number;
  total: number;
  non2xx: number;
  errors: number;
  /** CPU the driver itself used per request, in ms (user + system). */
  clientCpuMs: number;
}

/** Options of {@link driveLoad}. */
export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
  seconds?: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function driveLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const connections = options.connections ?? 10;
  const pool = new Pool(url.origin, { connections, pipelining: 1 });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const until = started + (options.seconds ?? 10) * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        const res = await pool.request({ path: url.pathname + url.search, method: options.method ?? 'GET', headers: options.headers, body: options.body });
        for await (const chunk of res.body) void chunk;
        if (res.statusCode < 200 || res.statusCode >= 300) non2xx++;
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await pool.close();
  const sorted = Float64Array.from(latencies).sort();
  return {
    latency: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN },
    requestsPerSecond: latencies.length / elapsed,
    total: latencies.length,
    non2xx,
    errors,
    clientCpuMs: (used.user + used.system) / 1000 / Math.max(1, latencies.length + errors),
  };
}
