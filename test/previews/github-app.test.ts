import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHECK_RUN_NAME } from '../../src/integrations/github/pull-request-preview.js';
import { buildApp } from '../../src/server/app.js';
import { commitChanges, git, makePlatformRepo, signWebhookBody, startFakeGithub, loggerInto, waitFor } from '../fixtures/previews-support/support.js';

const SECRET = 'webhook-secret-abcdef0123456789';
const INSTALLATION_TOKEN = 'ghs_installationtoken0123456789abcdefgh';
const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

const github = await startFakeGithub({
  token: 'unused-token-0123456789',
  app: { appId: '123456', publicKey, installationId: 42, installationToken: INSTALLATION_TOKEN },
});
t.teardown(() => github.close());

process.env.GITOPS_K8S_WEBHOOK_SECRET = SECRET;
process.env.GITHUB_API_URL = github.url;
process.env.GITHUB_APP_ID = '123456';
process.env.GITHUB_APP_PRIVATE_KEY = privateKey;
process.env.GITOPS_K8S_CHECK_RUNS = 'true';
delete process.env.GITHUB_TOKEN;
delete process.env.GITOPS_K8S_APPSET_WEBHOOK_URL;

const { dir, platform, first } = makePlatformRepo();
git(dir, 'checkout', '-q', '-b', 'feature');
const repoURL = pathToFileURL(dir).href;
const logs: string[] = [];
const app = await buildApp({
  repo: repoURL,
  token: 'generator-token-0123456789',
  warm: false,
  cacheDir: mkdtempSync(path.join(tmpdir(), 'gk-previews-cache-')),
  logger: loggerInto(logs),
});
t.teardown(() => app.close());

async function deliver(payload: unknown) {
  const body = JSON.stringify(payload);
  return app.inject({
    method: 'POST',
    url: '/api/v1/webhooks/github',
    headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-hub-signature-256': signWebhookBody(SECRET, body) },
    payload: body,
  });
}

const payload = (head: string) => ({
  action: 'opened',
  number: 3,
  pull_request: { number: 3, head: { sha: head, ref: 'feature' }, base: { sha: first, ref: 'main' } },
  repository: { name: 'platform', full_name: 'example/platform', owner: { login: 'example' }, clone_url: repoURL },
  installation: { id: 42, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI=' },
});

t.test('as a GitHub App, previews authenticate per installation and report a check run', async (t) => {
  const head = commitChanges(dir, platform, {
    'apps/kube-system/metrics-server.yaml':
      'repoURL: https://kubernetes-sigs.github.io/metrics-server/\nchart: metrics-server\nversion: 3.12.3\nvalues:\n  replicas: 1\n',
  });
  t.equal((await deliver(payload(head))).statusCode, 202);
  await waitFor(() => github.checkRuns.length === 1);
  const tokenRequest = github.requests.find((r) => r.url === '/app/installations/42/access_tokens');
  t.ok(tokenRequest, 'an installation token was requested with the app JWT');
  const comment = github.requests.find((r) => r.method === 'POST' && r.url === '/repos/example/platform/issues/3/comments');
  t.equal(comment?.authorization, `token ${INSTALLATION_TOKEN}`);
  t.match(github.checkRuns[0], {
    name: CHECK_RUN_NAME,
    head_sha: head,
    status: 'completed',
    conclusion: 'success',
    output: { title: '2 generated objects change' },
  });
  t.match((github.checkRuns[0] as { output: { summary: string } }).output.summary, /spec\.source\.targetRevision/);
});

t.test('a head that breaks the repo fails its check run', async (t) => {
  const broken = commitChanges(dir, platform, { 'apps/observe/kibana.yaml': 'repoURL: https://helm.elastic.co\nchart: kibana\n' });
  t.equal((await deliver(payload(broken))).statusCode, 202);
  await waitFor(() => github.checkRuns.length === 2);
  t.match(github.checkRuns[1], { head_sha: broken, conclusion: 'failure', output: { title: 'The platform repo does not render' } });
  t.match((github.checkRuns[1] as { output: { summary: string } }).output.summary, /apps\/observe\/kibana\.yaml/);
  t.equal(github.comments.get('example/platform#3')?.length, 1, 'the one comment was updated');
  t.notMatch(logs.join(''), INSTALLATION_TOKEN);
  t.notMatch(logs.join(''), 'PRIVATE KEY');
});
