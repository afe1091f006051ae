import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The server's Prometheus metrics, on a registry of its own (several servers may share a process in tests). */
export interface ServerMetrics {
  registry: Registry;
  requests: Counter<'route' | 'method' | 'status'>;
  requestDuration: Histogram<'route' | 'method' | 'status'>;
  cache: Counter<'cache' | 'result'>;
  fetchDuration: Histogram<'source' | 'outcome'>;
  buildDuration: Histogram<never>;
  errors: Counter<'code'>;
}

export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gitops_k8s_' });
  return {
    registry,
    requests: new Counter({
      name: 'gitops_k8s_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'gitops_k8s_http_request_duration_seconds',
      help: 'HTTP request durations by route and status',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    cache: new Counter({
      name: 'gitops_k8s_cache_requests_total',
      help: 'Cache lookups by cache (model, reply, platform, parse) and result (hit, miss, shared)',
      labelNames: ['cache', 'result'],
      registers: [registry],
    }),
    fetchDuration: new Histogram({
      name: 'gitops_k8s_source_fetch_duration_seconds',
      help: 'git fetches and GitHub API calls by source kind and outcome',
      labelNames: ['source', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    buildDuration: new Histogram({
      name: 'gitops_k8s_build_duration_seconds',
      help: 'Time to read and validate one platform repo commit (replies render what they select)',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    errors: new Counter({ name: 'gitops_k8s_errors_total', help: 'Error replies by code', labelNames: ['code'], registers: [registry] }),
  };
}
