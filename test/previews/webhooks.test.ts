import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { verifyWebhookSignature } from '../../src/integrations/github/webhook-signature.js';
import { PREVIEW_MARKER } from '../../src/integrations/github/pull-request-preview.js';
import { buildApp } from '../../src/server/app.js';
import {
  commitChanges,
  git,
  makePlatformRepo,
  pullRequestPayload,
  signWebhookBody,
  startFakeGithub,
  loggerInto,
  waitFor,
  startAppsetHook,
} from '../fixtures/previews-support/support.js';

const SECRET = 'webhook-secret-0123456789';
const GITHUB_TOKEN = 'ghp_testtoken0123456789abcdefghijklmnop';
const SERVER_TOKEN = 'generator-token-0123456789';

const github = await startFakeGithub({ token: GITHUB_TOKEN, perPageCap: 2 });
t.teardown(() => github.close());

const appsetHook = await startAppsetHook();
const forwarded = appsetHook.forwarded;
t.teardown(() => appsetHook.close());

process.env.GITOPS_K8S_WEBHOOK_SECRET = SECRET;
process.env.GITHUB_TOKEN = GITHUB_TOKEN;
process.env.GITHUB_API_URL = github.url;
process.env.GITOPS_K8S_APPSET_WEBHOOK_URL = appsetHook.url;
delete process.env.GITOPS_K8S_CHECK_RUNS;

const { dir, platform, first } = makePlatformRepo();
git(dir, 'checkout', '-q', '-b', 'feature');
const repoURL = pathToFileURL(dir).href;

const logs: string[] = [];
const app = await buildApp({
  repo: repoURL,
  token: SERVER_TOKEN,
  warm: false,
  // Four renders of the preview flow: forking a render worker for each takes seconds on a busy machine (test/server/render-worker.test.ts covers it).
  renderWorker: false,
  // Long enough that only the push webhook can make the server fetch again.
  refreshIntervalMs: 60_000,
  cacheDir: mkdtempSync(path.join(tmpdir(), 'gk-previews-cache-')),
  logger: loggerInto(logs),
});
t.teardown(() => app.close());

function prPayload(action: string, number: number, head: string, base = first, cloneUrl = repoURL) {
  return pullRequestPayload(action, number, head, base, cloneUrl);
}

async function deliver(event: string, payload: unknown, signature?: string) {
  const body = JSON.stringify(payload);
  return app.inject({
    method: 'POST',
    url: '/api/v1/webhooks/github',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'x-hub-signature-256': signature ?? signWebhookBody(SECRET, body),
    },
    payload: body,
  });
}

const commentsOf = (n: number) => github.comments.get(`example/platform#${n}`) ?? [];
const writes = (n: number) =>
  github.requests.filter((r) => r.method !== 'GET' && (r.url.includes(`/issues/${n}/comments`) || r.url.includes('/issues/comments/')));

t.test('signatures are checked with @octokit/webhooks over the raw body', async (t) => {
  const body = Buffer.from('{"zen":"Keep it logically awesome."}');
  const good = signWebhookBody(SECRET, body);
  t.match(good, /^sha256=[0-9a-f]{64}$/);
  t.equal(await verifyWebhookSignature(SECRET, body, good), true);
  t.equal(await verifyWebhookSignature(SECRET, Buffer.from('{"zen": "Keep it logically awesome."}'), good), false, 'reformatted JSON does not match');
  t.equal(await verifyWebhookSignature('other-secret', body, good), false);
  t.equal(await verifyWebhookSignature(SECRET, body, undefined), false);
  t.equal(await verifyWebhookSignature(SECRET, body, 'sha1=abc'), false);
});

t.test('a delivery with a bad or missing signature is refused with 401 and does nothing', async (t) => {
  const before = github.requests.length;
  const bad = await deliver('pull_request', prPayload('opened', 1, first), `sha256=${'0'.repeat(64)}`);
  t.equal(bad.statusCode, 401);
  t.equal(bad.json().code, 'GK_BAD_SIGNATURE');
  const body = JSON.stringify(prPayload('opened', 1, first));
  const missing = await app.inject({
    method: 'POST',
    url: '/api/v1/webhooks/github',
    headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request' },
    payload: body,
  });
  t.equal(missing.statusCode, 401);
  const signedOther = await deliver('pull_request', prPayload('opened', 1, first), signWebhookBody('not-the-secret', body));
  t.equal(signedOther.statusCode, 401);
  await app.previews.onIdle();
  t.equal(github.requests.length, before, 'GitHub was not called');
});

t.test('a signed pull_request leads to one preview comment, updated in place on the next push', async (t) => {
  const head1 = commitChanges(dir, platform, {
    'apps/observe/grafana.yaml': 'repoURL: https://grafana.github.io/helm-charts\nchart: grafana\nversion: 8.5.1\n',
    'apps/kube-system/metrics-server.yaml':
      'repoURL: https://kubernetes-sigs.github.io/metrics-server/\nchart: metrics-server\nversion: 3.12.3\nvalues:\n  replicas: 1\n',
  });
  const opened = await deliver('pull_request', prPayload('opened', 7, head1));
  t.equal(opened.statusCode, 202, 'replies at once; the work runs after');
  await waitFor(() => commentsOf(7).length === 1);
  const [comment] = commentsOf(7);
  t.match(comment!.body, PREVIEW_MARKER);
  t.match(comment!.body, /\| added \| 0 \| 2 \|/, 'two grafana Applications (one per cluster)');
  t.match(comment!.body, /\| changed \| 1 \| 2 \|/);
  t.match(comment!.body, /\+ spec\.source\.targetRevision: "3\.12\.3"/);
  t.match(comment!.body, new RegExp(`head <code>${head1.slice(0, 7)}</code>`));
  const posts = writes(7);
  t.equal(posts.length, 1);
  t.equal(posts[0]!.method, 'POST');
  t.equal(posts[0]!.authorization, `token ${GITHUB_TOKEN}`, 'octokit authenticates with GITHUB_TOKEN');

  const head2 = commitChanges(dir, platform, { 'apps/observe/grafana.yaml': null });
  const sync = await deliver('pull_request', prPayload('synchronize', 7, head2));
  t.equal(sync.statusCode, 202);
  await waitFor(() => writes(7).length === 2);
  t.equal(commentsOf(7).length, 1, 'still one comment: updated, not duplicated');
  t.equal(writes(7)[1]!.method, 'PATCH');
  t.match(writes(7)[1]!.url, new RegExp(`/repos/example/platform/issues/comments/${comment!.id}$`));
  t.match(commentsOf(7)[0]!.body, new RegExp(`head <code>${head2.slice(0, 7)}</code>`));
  t.notMatch(commentsOf(7)[0]!.body, /grafana/);
});

t.test("the comment is found across pages and a spoofed marker in someone else's comment is not edited", async (t) => {
  github.addComment('example/platform#8', 'first');
  github.addComment('example/platform#8', `I pasted ${PREVIEW_MARKER} here`, 'mallory');
  github.addComment('example/platform#8', 'third');
  const head = git(dir, 'rev-parse', 'HEAD');
  t.equal((await deliver('pull_request', prPayload('opened', 8, head))).statusCode, 202);
  await waitFor(() => commentsOf(8).length === 4);
  const mine = commentsOf(8).filter((c) => c.user.login === 'gitops-k8s[bot]');
  t.equal(mine.length, 1);
  t.match(commentsOf(8)[1]!.body, /^I pasted/, "mallory's comment is unchanged");
  t.equal((await deliver('pull_request', prPayload('reopened', 8, head))).statusCode, 202);
  const listings = () => github.requests.filter((r) => r.method === 'GET' && r.url.startsWith('/repos/example/platform/issues/8/comments')).length;
  t.equal(listings(), 2, 'two pages of two comments (with a Link header) were listed');
  await waitFor(() => listings() === 4);
  await app.previews.onIdle();
  t.equal(commentsOf(8).length, 4, 'the preview comment found on page 2 is reused, not duplicated');
  t.equal(writes(8).filter((w) => w.method === 'POST').length, 1);
});

t.test('a pull request whose head breaks the repo gets a comment naming the broken file and line', async (t) => {
  const broken = commitChanges(dir, platform, {
    'apps/guestbook/guestbook.yaml': 'repoURL: https://github.com/argoproj/argocd-example-apps.git\npath: guestbook\ntargetRevison: main\n',
  });
  t.equal((await deliver('pull_request', prPayload('synchronize', 9, broken))).statusCode, 202);
  await waitFor(() => commentsOf(9).length === 1);
  const body = commentsOf(9)[0]!.body;
  t.match(body, /breaks the platform repo/);
  t.match(body, /apps\/guestbook\/guestbook\.yaml:3: /);
  t.notMatch(body, /\| added \|/, 'no diff is shown for a broken head');
  commitChanges(dir, platform, {
    'apps/guestbook/guestbook.yaml':
      'repoURL: https://github.com/argoproj/argocd-example-apps.git\npath: guestbook\ntargetRevision: 0d521c6e049889134f3122eb32d7ed342f43ca0d\n',
  });
});

t.test('a form-encoded delivery is verified over its raw body too', async (t) => {
  const body = `payload=${encodeURIComponent(JSON.stringify({ zen: 'Approachable is better than simple.', hook_id: 2 }))}`;
  const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'ping' };
  const good = await app.inject({
    method: 'POST',
    url: '/api/v1/webhooks/github',
    headers: { ...headers, 'x-hub-signature-256': signWebhookBody(SECRET, body) },
    payload: body,
  });
  t.equal(good.statusCode, 200);
  const bad = await app.inject({
    method: 'POST',
    url: '/api/v1/webhooks/github',
    headers: { ...headers, 'x-hub-signature-256': signWebhookBody(SECRET, `${body}x`) },
    payload: body,
  });
  t.equal(bad.statusCode, 401);
});

t.test('ignored actions, other events, ping, and repositories off the allowlist', async (t) => {
  const head = git(dir, 'rev-parse', 'HEAD');
  const closed = await deliver('pull_request', prPayload('closed', 10, head));
  t.equal(closed.statusCode, 200);
  t.match(closed.json().message, /ignored/);
  t.equal((await deliver('ping', { zen: 'Design for failure.', hook_id: 1 })).statusCode, 200);
  t.equal((await deliver('issues', { action: 'opened' })).statusCode, 200);
  const foreign = await deliver('pull_request', prPayload('opened', 11, head, first, 'https://github.com/evil/other.git'));
  t.equal(foreign.statusCode, 403);
  t.equal(foreign.json().code, 'GK_REPO_NOT_ALLOWED');
  const garbage = await deliver('pull_request', { action: 'opened' });
  t.equal(garbage.statusCode, 400);
});

t.test('a push drops the caches of its repository and is forwarded, signed as received, to the ApplicationSet controller', async (t) => {
  git(dir, 'checkout', '-q', 'main');
  const before = await app.gitops.getPlatform({ revision: 'main' });
  t.equal(before.platform.apps.length, 5);
  const commit = commitChanges(dir, dir, { 'apps/observe/grafana.yaml': 'repoURL: https://grafana.github.io/helm-charts\nchart: grafana\nversion: 8.5.1\n' });
  const payload = {
    ref: 'refs/heads/main',
    before: first,
    after: commit,
    repository: {
      name: 'platform',
      full_name: 'example/platform',
      owner: { login: 'example' },
      clone_url: repoURL,
      html_url: 'https://github.com/example/platform',
      default_branch: 'main',
    },
  };
  const res = await deliver('push', payload);
  t.equal(res.statusCode, 202);
  const after = await app.gitops.getPlatform({ revision: 'main' });
  t.equal(after.commit, commit, 'the next call reads the pushed commit');
  t.equal(after.platform.apps.length, 7);
  await waitFor(() => forwarded.length === 1);
  t.equal(forwarded[0]!.headers['x-github-event'], 'push');
  t.equal(forwarded[0]!.body, JSON.stringify(payload), 'the body is passed on byte for byte');
  t.equal(forwarded[0]!.headers['x-hub-signature-256'], signWebhookBody(SECRET, JSON.stringify(payload)));
});

t.test('neither the GitHub token nor the webhook secret reaches a comment or a log line', async (t) => {
  await app.inject({ method: 'GET', url: '/healthz' });
  const everything =
    [...github.comments.values()]
      .flat()
      .map((c) => c.body)
      .join('\n') + logs.join('');
  t.ok(logs.length > 0, 'there are log lines to check');
  t.notMatch(everything, GITHUB_TOKEN);
  t.notMatch(everything, SECRET);
});
