import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { projectRoot as root } from '../helpers/project-root.js';

const bin = path.join(root, 'dist/src/gitops-k8s.cjs');

/** The render worker processes among a process's children (they carry GITOPS_K8S_RENDER_WORKER in their environment). */
function renderWorkersOf(pid: number): number[] {
  const children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
  return children.filter((child) => {
    try {
      return readFileSync(`/proc/${child}/environ`, 'utf8').split('\0').includes('GITOPS_K8S_RENDER_WORKER=1');
    } catch {
      return false;
    }
  });
}

// 99^3 + 99^2 + 99 block bodies, just under the ceiling of limits.maxTemplateSteps: within the limits, and slow.
const slow = `${'{{#each @root.vars.l}}'.repeat(3)}.${'{{/each}}'.repeat(3)}`;

t.test(
  'a slow render runs in a worker process: /healthz answers, the 504 kills it, SIGTERM stops the server',
  { skip: !existsSync('/proc/self/task') && 'needs /proc' },
  async (t) => {
    const values = Array.from({ length: 40 }, (_, i) => `  k${i}: ${JSON.stringify(slow)}\n`).join('');
    const dir = t.testdir({
      'gitops.yaml': [
        'repoURL: https://git.example.com/platform.git',
        'limits: { maxTemplateSteps: 1000000, maxTemplateOutput: 16777216 }',
        `vars: { l: [${Array.from({ length: 99 }, (_, i) => i).join(', ')}] }`,
        '',
      ].join('\n'),
      clusters: { 'prod.yaml': 'provider: generic\nserver: https://prod.example.com\n' },
      apps: {
        web: {
          'site.yaml': `repoURL: https://charts.example.com\nchart: site\nversion: 1.0.0\nvalues:\n${values}`,
        },
      },
    });
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'gk-render-worker-'));
    const server = spawn(process.execPath, [bin, 'serve', '--dev', '--port', '0', '--request-timeout', '3000', '--cache-dir', cacheDir, dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.teardown(() => {
      server.kill('SIGKILL');
      rmSync(cacheDir, { recursive: true, force: true });
    });
    let out = '';
    server.stdout.on('data', (chunk) => (out += String(chunk)));
    server.stderr.resume();
    const [, url, token] = await new Promise<RegExpExecArray>((resolve, reject) => {
      const check = (): void => {
        const m = /curl -sS -X POST (\S+) -H 'Authorization: Bearer (\S+)'/.exec(out);
        if (m) resolve(m);
      };
      server.stdout.on('data', check);
      server.once('exit', () => reject(new Error(`serve exited: ${out}`)));
    });
    const base = new URL(url!).origin;

    const started = Date.now();
    const answer = fetch(url!, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"applicationSetName":"slow","input":{"parameters":{}}}',
    });
    // While the commit renders, the server answers: the render is not on its event loop.
    let workerSeen = false;
    let slowest = 0;
    while (Date.now() - started < 2500) {
      const asked = Date.now();
      const health = await fetch(`${base}/healthz`);
      t.equal(health.status, 200);
      slowest = Math.max(slowest, Date.now() - asked);
      workerSeen ||= renderWorkersOf(server.pid!).length > 0;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.ok(slowest < 1000, `/healthz answered within ${slowest} ms at worst while the render ran`);
    t.ok(workerSeen, 'a render worker process ran');

    const res = await answer;
    t.equal(res.status, 504);
    // The server began loading the commit at start (warm-up); the request shares that load, and its timeout.
    t.match(await res.json(), { code: 'GK_TIMEOUT', message: /took longer than 3000 ms/ });
    t.ok(Date.now() - started < 6000, 'answered at the timeout');
    await new Promise((resolve) => setTimeout(resolve, 300));
    t.same(renderWorkersOf(server.pid!), [], 'the render worker is gone once the request timed out');

    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    const stopping = Date.now();
    server.kill('SIGTERM');
    t.equal(await exited, 0, 'SIGTERM stops the server');
    t.ok(Date.now() - stopping < 5000, `within ${Date.now() - stopping} ms`);
  },
);
