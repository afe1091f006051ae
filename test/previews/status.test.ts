import t from 'tap';
import { listArgoApplications, readArgoSettings, argoAppURL } from '../../src/integrations/argocd/argocd-client.js';
import { runCli } from '../../src/cli/cli.js';
import { openLocalRepo, renderPlatform } from '../../src/index.js';
import { buildApp } from '../../src/server/app.js';
import { buildStatusMatrix, classifyArgoApp, collectStatus } from '../../src/integrations/status/status-matrix.js';
import { argoItem, loggerInto, startFakeArgo } from '../fixtures/previews-support/support.js';
import {
  COMPARISON_ERROR,
  DEGRADED,
  DRIFTED,
  examplePlatform,
  exampleArgoItems,
  HOSTILE_MESSAGE,
  MISSING,
  ORPHAN,
  PROGRESSING,
} from '../fixtures/previews-support/example-argo.js';

const TOKEN = 'argocd-token-0123456789abcdef';
const argo = await startFakeArgo({ token: TOKEN, items: exampleArgoItems() });
t.teardown(() => argo.close());
const settings = { server: argo.url, token: TOKEN, insecure: false };
const platform = renderPlatform(openLocalRepo(examplePlatform));

t.test('Argo CD settings come from ARGOCD_SERVER and ARGOCD_AUTH_TOKEN; none means Git only', async (t) => {
  t.equal(readArgoSettings({}), undefined);
  t.same(readArgoSettings({ ARGOCD_SERVER: 'argocd.example.com', ARGOCD_AUTH_TOKEN: 'tok-123456' }), {
    server: 'https://argocd.example.com',
    token: 'tok-123456',
    insecure: false,
  });
  t.throws(() => readArgoSettings({ ARGOCD_SERVER: 'https://argocd.example.com' }), { code: 'GK_CONFIG' });
  t.equal(argoAppURL('https://argocd.example.com', 'argocd', 'a-b'), 'https://argocd.example.com/applications/argocd/a-b');
});

t.test('the Argo CD client lists Applications with a bearer token, the gitops-k8s selector and narrowed fields', async (t) => {
  const apps = await listArgoApplications(settings);
  const request = argo.requests.at(-1)!;
  t.equal(request.authorization, `Bearer ${TOKEN}`);
  const url = new URL(request.url, 'http://x');
  t.equal(url.pathname, '/api/v1/applications');
  t.equal(url.searchParams.get('selector'), 'app.kubernetes.io/managed-by=gitops-k8s');
  t.match(url.searchParams.get('fields'), /items\.status\.sync\.status/);
  t.notOk(
    apps.some((a) => a.name === 'someone-elses-app'),
    'the selector keeps other Applications out',
  );
  const drifted = apps.find((a) => a.name === DRIFTED)!;
  t.match(drifted, { namespace: 'argocd', sync: 'OutOfSync', health: 'Healthy' });
  t.same(await listArgoApplications(settings, { selector: 'nothing=matches' }), [], 'items: null is an empty list');
});

t.test('the Argo CD client takes an injected undici dispatcher', async (t) => {
  const { MockAgent } = await import('undici');
  const agent = new MockAgent();
  agent.disableNetConnect();
  agent
    .get('https://argocd.test')
    .intercept({ path: (p) => p.startsWith('/api/v1/applications?'), method: 'GET', headers: { authorization: 'Bearer mock-token-123' } })
    .reply(200, { metadata: {}, items: [argoItem('a-b-c', 'Synced', 'Healthy')] });
  const apps = await listArgoApplications({ server: 'https://argocd.test', token: 'mock-token-123', insecure: false }, { dispatcher: agent });
  t.same(
    apps.map((a) => [a.name, a.sync, a.health]),
    [['a-b-c', 'Synced', 'Healthy']],
  );
  await agent.close();
});

t.test('Argo CD failures are GK_ARGOCD errors that never hold the token', async (t) => {
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => ({ code: 'none', message: 'resolved' }),
      (e: unknown) => e as Error & { code: string },
    );
  const refused = await failure(listArgoApplications({ ...settings, token: 'wrong-token-123456' }));
  t.equal(refused.code, 'GK_ARGOCD');
  t.match(refused.message, /refused the token \(HTTP 401\)/);
  t.notMatch(refused.message, /wrong-token/);
  const down = await failure(listArgoApplications({ ...settings, server: 'http://127.0.0.1:9' }));
  t.equal(down.code, 'GK_ARGOCD');
  t.notMatch(down.message, TOKEN);
});

t.test('sync and health are classified into the states the matrix highlights', async (t) => {
  const c = (sync: string, health: string, extra = {}) =>
    classifyArgoApp({ name: 'x', namespace: 'argocd', labels: {}, sync, health, conditions: [], ...extra }).state;
  t.equal(c('Synced', 'Healthy'), 'ok');
  t.equal(c('OutOfSync', 'Healthy'), 'drift');
  t.equal(c('Synced', 'Missing'), 'drift');
  t.equal(c('Synced', 'Degraded'), 'error');
  t.equal(c('Synced', 'Healthy', { conditions: [{ type: 'SyncError', message: 'x' }] }), 'error');
  t.equal(c('Synced', 'Healthy', { conditions: [{ type: 'OrphanedResourceWarning', message: 'x' }] }), 'ok', 'warnings are not errors');
  t.equal(c('Synced', 'Healthy', { operationPhase: 'Failed' }), 'error');
  t.equal(c('OutOfSync', 'Progressing'), 'progressing');
  t.equal(c('', ''), 'unknown');
});

t.test('the matrix joins every generated Application with Argo CD, and lists orphans', async (t) => {
  const matrix = await collectStatus(platform, { settings });
  t.same(
    matrix.clusters.map((c) => `${c.name}:${c.provider}`),
    ['do-ams3:digitalocean', 'eks-eu-west-1:eks', 'gke-europe-west4:gke'],
  );
  const cell = (name: string) => matrix.rows.flatMap((r) => Object.values(r.cells)).find((x) => x.application === name)!;
  t.equal(cell(DRIFTED).state, 'drift');
  t.equal(cell(DEGRADED).state, 'error');
  t.equal(cell(COMPARISON_ERROR).state, 'error');
  t.equal(cell(COMPARISON_ERROR).message, `ComparisonError: ${HOSTILE_MESSAGE}`);
  t.equal(cell(MISSING).state, 'missing');
  t.equal(cell(PROGRESSING).state, 'progressing');
  t.equal(cell('guestbook-guestbook-do-ams3').url, `${argo.url}/applications/argocd/guestbook-guestbook-do-ams3`);
  t.same(
    matrix.orphans.map((o) => o.name),
    [ORPHAN],
  );
  const guestbook = matrix.rows.find((r) => r.namespace === 'guestbook')!;
  t.same(Object.keys(guestbook.cells), ['do-ams3'], 'no cell where the app does not run');
  t.equal(matrix.counts.ok + matrix.counts.drift + matrix.counts.error + matrix.counts.missing + matrix.counts.progressing, platform.apps.length);
});

t.test('without Argo CD the matrix still shows what would be deployed where; with Argo CD down it says why', async (t) => {
  const off = buildStatusMatrix(platform);
  t.same(off.argocd, { state: 'off' });
  t.equal(off.counts.planned, platform.apps.length);
  const down = await collectStatus(platform, { settings: { ...settings, server: 'http://127.0.0.1:9' } });
  t.equal(down.argocd.state, 'error');
  t.equal(down.counts.unknown, platform.apps.length);
});

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env, cwd: process.cwd() });
  return { code, stdout, stderr };
}

t.test('gitops-k8s status prints the table, with and without Argo CD', async (t) => {
  const plain = await cli(['status', examplePlatform], {});
  t.equal(plain.code, 0);
  t.match(plain.stdout, /Argo CD: not configured/);
  t.match(plain.stdout, /^APP\s+do-ams3 \(digitalocean\)\s+eks-eu-west-1 \(eks\)\s+gke-europe-west4 \(gke\)$/m);
  t.match(plain.stdout, /^guestbook\/guestbook\s+deploy\s+-\s+-$/m);
  const joined = await cli(['status', examplePlatform], { ARGOCD_SERVER: argo.url, ARGOCD_AUTH_TOKEN: TOKEN });
  t.equal(joined.code, 0);
  t.match(joined.stdout, /^observe\/logging\s+Synced\/Healthy\s+Synced\/Healthy\s+OutOfSync\/Healthy$/m);
  t.match(joined.stdout, new RegExp(`^drift: ${DRIFTED}: OutOfSync`, 'm'));
  t.match(joined.stdout, new RegExp(`^missing: ${MISSING}:`, 'm'));
  t.match(joined.stdout, new RegExp(`^orphan: ${ORPHAN}:`, 'm'));
  t.notMatch(joined.stdout + joined.stderr, TOKEN);
  const json = await cli(['status', examplePlatform, '-o', 'json'], { ARGOCD_SERVER: argo.url, ARGOCD_AUTH_TOKEN: TOKEN });
  t.equal(JSON.parse(json.stdout).orphans[0].name, ORPHAN);
  const refused = await cli(['status', examplePlatform], { ARGOCD_SERVER: argo.url, ARGOCD_AUTH_TOKEN: 'wrong-token-123456' });
  t.equal(refused.code, 0, 'Argo CD trouble does not hide the matrix');
  t.match(refused.stderr, /warning: Argo CD refused the token/);
});

t.test('the page at / is HTML with every value escaped, a strict CSP and links into Argo CD', async (t) => {
  process.env.ARGOCD_SERVER = argo.url;
  process.env.ARGOCD_AUTH_TOKEN = TOKEN;
  const app = await buildApp({ repo: examplePlatform, token: 'generator-token-0123456789', warm: false, logger: false });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/html/);
  const csp = String(res.headers['content-security-policy']);
  const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
  t.match(csp, /default-src 'none'/);
  t.equal((res.body.match(/<script/g) ?? []).length, 1, 'one script: the filters');
  t.match(res.body, `<script nonce="${nonce}">`);
  t.notMatch(res.body, HOSTILE_MESSAGE);
  t.match(res.body, '&lt;script&gt;window.pwned=1&lt;/script&gt;');
  t.match(res.body, `href="${argo.url}/applications/argocd/${DRIFTED}"`);
  t.notMatch(res.body, TOKEN);
  const api = await app.inject({ method: 'GET', url: '/api/v1/status' });
  t.equal(api.statusCode, 200);
  t.equal(api.json().argocd.state, 'ok');
  delete process.env.ARGOCD_SERVER;
  delete process.env.ARGOCD_AUTH_TOKEN;
});

t.test('the page shows the problems of a repo that does not render, escaped', async (t) => {
  const { mkdtempSync, cpSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/gk-status-`);
  cpSync(examplePlatform, dir, { recursive: true });
  writeFileSync(`${dir}/apps/guestbook/guestbook.yaml`, 'repoURL: https://x.example/<b>.git\npath: x\ntargetRevison: main\n');
  const app = await buildApp({ repo: dir, token: 'generator-token-0123456789', warm: false, logger: false });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/' });
  t.equal(res.statusCode, 422);
  t.match(res.body, /apps\/guestbook\/guestbook\.yaml:3: /);
  t.notMatch(res.body, /<b>/);
});

t.test('on a broken commit the pages without the token name files, lines and codes but never a message that quotes a value', async (t) => {
  const { mkdtempSync, cpSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const SECRET = 's3cr3t-db-password-XYZ';
  const GENERATOR_TOKEN = 'generator-token-0123456789';
  const dir = mkdtempSync(`${tmpdir()}/gk-status-secret-`);
  cpSync(examplePlatform, dir, { recursive: true });
  writeFileSync(
    `${dir}/apps/guestbook/guestbook.yaml`,
    `repoURL: https://github.com/argoproj/argocd-example-apps.git\npath: guestbook\ntargetRevision: main\nsyncPolicy:\n  automated:\n    enabled: ${SECRET}\n`,
  );
  const logs: string[] = [];
  const app = await buildApp({
    repo: dir,
    token: GENERATOR_TOKEN,
    warm: false,
    logger: loggerInto(logs, 'info'),
  });
  t.teardown(() => app.close());

  const page = await app.inject({ method: 'GET', url: '/' });
  t.equal(page.statusCode, 422);
  t.notMatch(page.body, SECRET);
  t.match(page.body, /apps\/guestbook\/guestbook\.yaml:6: Invalid value \(GK_INVALID_VALUE\)/);
  t.match(page.body, /id="withheld"/);
  const api = await app.inject({ method: 'GET', url: '/api/v1/status' });
  t.equal(api.statusCode, 422);
  t.notMatch(api.body, SECRET);
  t.match(api.json(), { statusCode: 422, code: 'GK_INVALID_VALUE', error: 'Invalid value', message: /^apps\/guestbook\/guestbook\.yaml:6: / });

  const wrong = await app.inject({ method: 'GET', url: '/api/v1/status', headers: { authorization: 'Bearer not-the-generator-token' } });
  t.notMatch(wrong.body, SECRET, 'a wrong token is no token');
  const authorization = `Bearer ${GENERATOR_TOKEN}`;
  const fullPage = await app.inject({ method: 'GET', url: '/', headers: { authorization } });
  t.equal(fullPage.statusCode, 422);
  t.match(fullPage.body, `syncPolicy.automated.enabled: must be true or false or null (got &quot;${SECRET}&quot;)`);
  const fullApi = await app.inject({ method: 'GET', url: '/api/v1/status', headers: { authorization } });
  t.match(fullApi.json().message, `(got "${SECRET}")`);
  t.match(logs.join(''), SECRET, 'the server log has the full message for operators');
});
