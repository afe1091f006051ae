/**
 * A Helm chart repository on loopback for the benchmarks: charts made with
 * `helm package`, an index from `helm repo index`, served over HTTP. The tests
 * serve theirs with {@link serveChartDir} too (bench/ is built; test/ is not).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';

/** A chart: its name, version, default values and templates by file name. */
export interface ChartSpec {
  name: string;
  version: string;
  values: string;
  templates: Record<string, string>;
}

function runHelm(helm: string, args: string[]): void {
  const r = spawnSync(helm, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`helm ${args.join(' ')} failed: ${r.stderr}${r.error ?? ''}`);
}

/** Packages `charts` into `dir` and serves them with an index; close the server when done. */
export async function startChartRepo(helm: string, dir: string, charts: readonly ChartSpec[]): Promise<{ url: string; server: Server }> {
  mkdirSync(dir, { recursive: true });
  for (const c of charts) {
    const src = path.join(dir, 'src', `${c.name}-${c.version}`);
    mkdirSync(path.join(src, 'templates'), { recursive: true });
    writeFileSync(path.join(src, 'Chart.yaml'), `apiVersion: v2\nname: ${c.name}\nversion: ${c.version}\n`);
    writeFileSync(path.join(src, 'values.yaml'), c.values);
    for (const [file, text] of Object.entries(c.templates)) writeFileSync(path.join(src, 'templates', file), text);
    runHelm(helm, ['package', src, '-d', dir]);
  }
  return serveChartDir(helm, dir);
}

/**
 * Serves the packaged charts in `dir` over HTTP on loopback, with the index
 * `helm repo index` writes for the served URL; `onRequest` sees every path
 * asked for and its Authorization header. With `auth`, every request without
 * that user name and password is answered 401 (HTTP basic auth, as a private
 * chart repository). The tests' chart repository (test/helpers/manifest-servers.ts) is this one.
 */
export async function serveChartDir(
  helm: string,
  dir: string,
  onRequest?: (url: string, authorization: string | undefined) => void,
  auth?: { username: string; password: string },
): Promise<{ url: string; server: Server }> {
  const expected = auth ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : undefined;
  const server = createServer((req, res) => {
    onRequest?.(req.url ?? '', req.headers.authorization);
    if (expected !== undefined && req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' }).end();
      return;
    }
    const file = path.join(dir, path.basename(decodeURIComponent((req.url ?? '/').split('?')[0]!)));
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': file.endsWith('.yaml') ? 'text/yaml' : 'application/gzip' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/charts`;
  runHelm(helm, ['repo', 'index', dir, '--url', url]);
  return { url, server };
}
