// The status page in a real browser: Debian's chromium (apt package
// `chromium`) driven by playwright-core. It fails, never skips, when the
// browser is missing: CI installs it (scripts/ensure-test-tools).
import t from 'tap';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApp } from '../../src/server/app.js';
import { COMPARISON_ERROR, DEGRADED, DRIFTED, examplePlatform, exampleArgoItems, MISSING, ORPHAN } from '../fixtures/previews-support/example-argo.js';
import { startFakeArgo } from '../fixtures/previews-support/support.js';
import { projectRoot as root } from '../helpers/project-root.js';

const artifacts = path.join(root, 'test-results');
const TOKEN = 'argocd-token-0123456789abcdef';

const argo = await startFakeArgo({ token: TOKEN, items: exampleArgoItems() });
t.teardown(() => argo.close());
process.env.ARGOCD_SERVER = argo.url;
process.env.ARGOCD_AUTH_TOKEN = TOKEN;
const app = await buildApp({ repo: examplePlatform, token: 'generator-token-0123456789', warm: false, logger: false });
t.teardown(() => app.close());
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

const browser: Browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
t.teardown(() => browser.close());

async function open(query = ''): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  const res = await page.goto(`${base}/${query}`);
  if (res?.status() !== 200) throw new Error(`status page answered ${res?.status()}`);
  return { page, problems };
}

const visibleRows = (page: Page) =>
  page.$$eval('#matrix tbody tr', (rows) => rows.filter((r) => !(r as HTMLElement).hidden).map((r) => (r as HTMLElement).dataset.app));
const visibleClusters = (page: Page) =>
  page.$$eval('#matrix thead th[data-cluster]', (ths) => ths.filter((h) => !(h as HTMLElement).hidden).map((h) => (h as HTMLElement).dataset.cluster));
const background = (page: Page, application: string) => page.$eval(`td[data-application="${application}"]`, (td) => getComputedStyle(td).backgroundColor);

t.test('the page renders the app x cluster matrix of the example platform with Argo CD status', async (t) => {
  const { page, problems } = await open();
  t.teardown(() => page.close());
  t.same(await visibleClusters(page), ['do-ams3', 'eks-eu-west-1', 'gke-europe-west4']);
  const rows = await visibleRows(page);
  t.equal(rows.length, 10, 'every app of examples/platform has a row');
  t.ok(rows.includes('observe/logging'));
  t.equal(await page.textContent(`td[data-application="${DRIFTED}"] a`), 'OutOfSync / Healthy');
  t.equal(await background(page, DRIFTED), 'rgb(255, 226, 179)', 'drift is highlighted');
  t.equal(await background(page, DEGRADED), 'rgb(255, 193, 192)', 'errors are highlighted');
  t.equal(await background(page, COMPARISON_ERROR), 'rgb(255, 193, 192)');
  t.equal(await page.getAttribute(`td[data-application="${MISSING}"]`, 'data-state'), 'missing');
  t.equal(
    await page.getAttribute(`td[data-application="${DRIFTED}"] a`, 'href'),
    `${argo.url}/applications/argocd/${DRIFTED}`,
    'cells link into the Argo CD UI',
  );
  t.match(await page.textContent('#orphans'), ORPHAN);
  t.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined, 'markup in Argo CD messages stays text');
  t.match(await page.textContent(`td[data-application="${COMPARISON_ERROR}"] .msg`), '<script>window.pwned=1</script>');
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'status-page.png'), fullPage: true });
  t.same(problems, [], 'no script errors or CSP violations');
});

t.test('filters by namespace, cluster and provider, and to drift and errors only', async (t) => {
  const { page, problems } = await open();
  t.teardown(() => page.close());
  await page.selectOption('#filter-namespace', 'observe');
  const observe = await visibleRows(page);
  t.same(observe, ['observe/eck-operator', 'observe/fluent-bit', 'observe/kube-prometheus-stack', 'observe/logging']);
  t.equal(await page.textContent('#shown'), '4');
  t.match(page.url(), /\?namespace=observe$/);

  await page.selectOption('#filter-namespace', '');
  await page.selectOption('#filter-cluster', 'gke-europe-west4');
  t.same(await visibleClusters(page), ['gke-europe-west4']);
  const onGke = await visibleRows(page);
  t.notOk(onGke.includes('guestbook/guestbook'), 'apps that do not run on the cluster are hidden');
  t.ok(onGke.includes('observe/logging'));

  await page.selectOption('#filter-cluster', '');
  await page.selectOption('#filter-provider', 'eks');
  t.same(await visibleClusters(page), ['eks-eu-west-1']);
  t.ok((await visibleRows(page)).includes('kube-system/aws-load-balancer-controller'));

  await page.selectOption('#filter-provider', '');
  await page.check('#filter-problems');
  const bad = await visibleRows(page);
  t.same(
    bad.sort(),
    ['ingress/traefik', 'kube-system/headlamp', 'observe/eck-operator', 'observe/logging'],
    'only rows with drift, errors or missing Applications',
  );
  await page.screenshot({ path: path.join(artifacts, 'status-page-problems.png'), fullPage: true });
  t.same(problems, []);
});

t.test('filters given in the URL apply on load', async (t) => {
  const { page } = await open('?cluster=do-ams3&namespace=guestbook');
  t.teardown(() => page.close());
  t.equal(await page.inputValue('#filter-cluster'), 'do-ams3');
  t.same(await visibleRows(page), ['guestbook/guestbook']);
  t.same(await visibleClusters(page), ['do-ams3']);
});
