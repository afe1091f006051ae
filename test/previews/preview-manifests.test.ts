/**
 * GITOPS_K8S_PREVIEW_MANIFESTS end to end: signed GitHub pull_request
 * webhooks against the server, a loopback GitHub API capturing the comment,
 * a loopback Helm chart repository and the real helm; the platform repo is a
 * local git repository read through a file:// URL, so the server checks out
 * the base and head commits of the pull request to render what they deploy.
 */
import t, { type Test } from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildApp } from '../../src/server/app.js';
import { commitChanges, git, loggerInto, pullRequestPayload, signWebhookBody, startFakeGithub, waitFor } from '../fixtures/previews-support/support.js';
import { helmEnv, packageCharts, startChartRepo, writeTree } from '../helpers/manifest-servers.js';

const SECRET = 'webhook-secret-0123456789';
const GITHUB_TOKEN = 'ghp_testtoken0123456789abcdefghijklmnop';
// The chart's Secret holds `<greeting>-s3cret-suffix`: its value changes with the greeting, and is in no Application.
const SECRET_BASE = 'hello-s3cret-suffix';
const SECRET_HEAD = 'bonjour-s3cret-suffix';

const work = mkdtempSync(path.join(tmpdir(), 'gk-preview-manifests-'));
const charts = path.join(work, 'charts');
packageCharts(charts, [
  {
    name: 'web',
    version: '1.0.0',
    values: 'greeting: hello\n',
    templates: {
      'configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  greeting: {{ .Values.greeting | quote }}\n',
      'secret.yaml':
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-secret\ndata:\n  password: {{ printf "%s-s3cret-suffix" .Values.greeting | b64enc | quote }}\n',
    },
  },
]);
const chartRepo = await startChartRepo(charts);
t.teardown(() => new Promise<void>((r) => chartRepo.server.close(() => r())));

const github = await startFakeGithub({ token: GITHUB_TOKEN });
t.teardown(() => github.close());

// The server reads these when it starts (each scenario builds its own); helm keeps its config and cache under `work`.
Object.assign(process.env, helmEnv(work), {
  GITOPS_K8S_WEBHOOK_SECRET: SECRET,
  GITHUB_TOKEN,
  GITHUB_API_URL: github.url,
  GITOPS_K8S_CACHE_DIR: path.join(work, 'manifest-cache'),
});
delete process.env.GITOPS_K8S_CHECK_RUNS;
delete process.env.GITOPS_K8S_APPSET_WEBHOOK_URL;

const configMap = (greeting: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: site-config\ndata:\n  greeting: ${greeting}\n`;

/** A platform repo under `sub` of a new Git repository: a chart app and a path app (plain YAML in the repo). */
function makeRepo(sub: string, gitopsYaml: string): { dir: string; platform: string; base: string; repoURL: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'gk-preview-manifests-repo-'));
  const platform = path.join(dir, sub);
  writeTree(platform, {
    'gitops.yaml': gitopsYaml,
    'clusters/dev.yaml': 'provider: kind\nserver: https://kubernetes.default.svc\n',
    'apps/web/web.yaml': `repoURL: ${chartRepo.url}\nchart: web\nversion: 1.0.0\nvalues:\n  greeting: hello\n`,
    'apps/web/site.yaml': 'path: manifests/v1\n',
    'manifests/v1/configmap.yaml': configMap('v1'),
    'manifests/v2/configmap.yaml': configMap('v2'),
  });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'platform');
  const base = git(dir, 'rev-parse', 'HEAD');
  git(dir, 'checkout', '-q', '-b', 'feature');
  return { dir, platform, base, repoURL: pathToFileURL(dir).href };
}

/** The head of the pull request: a chart value changes (and with it a Secret value), and the path app reads another folder. */
function commitHead(repo: { dir: string; platform: string }): string {
  return commitChanges(repo.dir, repo.platform, {
    'apps/web/web.yaml': `repoURL: ${chartRepo.url}\nchart: web\nversion: 1.0.0\nvalues:\n  greeting: bonjour\n`,
    'apps/web/site.yaml': 'path: manifests/v2\n',
  });
}

/** A server for `repoURL`, started with these settings (undefined: unset). */
async function startServer(repoURL: string, env: Record<string, string | undefined>) {
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const app = await buildApp({
    repo: repoURL,
    token: 'generator-token-0123456789',
    warm: false,
    renderWorker: false,
    refreshIntervalMs: 60_000,
    cacheDir: mkdtempSync(path.join(tmpdir(), 'gk-preview-manifests-cache-')),
    logger: loggerInto([]),
  });
  t.teardown(() => app.close());
  return app;
}

/** Delivers a signed pull_request `opened` for base..head and waits for the preview comment; returns its body. */
async function previewComment(app: Awaited<ReturnType<typeof startServer>>, repoURL: string, number: number, base: string, head: string): Promise<string> {
  const body = JSON.stringify(pullRequestPayload('opened', number, head, base, repoURL));

  const reply = await app.inject({
    method: 'POST',
    url: '/api/v1/webhooks/github',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'pull_request',
      'x-github-delivery': `delivery-${number}`,
      'x-hub-signature-256': signWebhookBody(SECRET, body),
    },
    payload: body,
  });
  if (reply.statusCode !== 202) throw new Error(`webhook answered ${reply.statusCode}: ${reply.body}`);
  const comments = () => github.comments.get(`example/platform#${number}`) ?? [];
  await waitFor(() => comments().length === 1, 60_000);
  return comments()[0]!.body;
}

/** What every scenario's head deploys differently, as the comment must say it. */
function checkResources(t: Test, comment: string): void {
  t.match(comment, /#### Resources deployed/);
  t.match(comment, /~ ConfigMap\b[^\n]*web-config/, 'the chart ConfigMap changed');
  t.match(comment, /~ data\.greeting: "hello" -> "bonjour"/, 'with the changed value');
  t.match(comment, /~ Secret\b[^\n]*web-secret/, 'the chart Secret changed');
  t.match(comment, /~ data\["password"\]: \(secret value changed, not shown\)/, 'its key is named');
  for (const value of [SECRET_BASE, SECRET_HEAD]) {
    t.notMatch(comment, value, 'the Secret value is not shown');
    t.notMatch(comment, Buffer.from(value).toString('base64'), 'not even base64-encoded');
  }
  t.match(comment, /~ ConfigMap\b[^\n]*site-config/, 'the path app ConfigMap, read from the checked-out commits');
  t.match(comment, /~ data\.greeting: "v1" -> "v2"/);
  t.notMatch(comment, /could not be rendered/);
}

t.test('with GITOPS_K8S_PREVIEW_MANIFESTS=true the comment shows the resources the changed Applications deploy', async (t) => {
  const repo = makeRepo('.', 'targetRevision: main\n');
  const head = commitHead(repo);
  const app = await startServer(repo.repoURL, { GITOPS_K8S_PREVIEW_MANIFESTS: 'true', GITOPS_K8S_PREVIEW_PATH: undefined });
  const comment = await previewComment(app, repo.repoURL, 1, repo.base, head);
  checkResources(t, comment);
  t.ok(
    chartRepo.requests.some((r) => r.includes('web-1.0.0.tgz')),
    'the chart was pulled from the chart repository',
  );
});

t.test('without GITOPS_K8S_PREVIEW_MANIFESTS the comment has no resources section', async (t) => {
  const repo = makeRepo('.', 'targetRevision: main\n');
  const head = commitHead(repo);
  const app = await startServer(repo.repoURL, { GITOPS_K8S_PREVIEW_MANIFESTS: undefined, GITOPS_K8S_PREVIEW_PATH: undefined });
  const comment = await previewComment(app, repo.repoURL, 2, repo.base, head);
  t.match(comment, /### gitops-k8s preview/);
  t.match(comment, /\+ spec\.source\.helm\.valuesObject\.greeting: "bonjour"/, 'the Application diff is there');
  t.notMatch(comment, /Resources deployed/);
  t.notMatch(comment, /web-config|site-config/);
});

t.test('a platform repo in a sub-folder (GITOPS_K8S_PREVIEW_PATH) reads its path apps from that folder of the checkout', async (t) => {
  const repo = makeRepo('platform', 'targetRevision: main\n');
  const head = commitHead(repo);
  const app = await startServer(repo.repoURL, { GITOPS_K8S_PREVIEW_MANIFESTS: 'true', GITOPS_K8S_PREVIEW_PATH: 'platform' });
  const comment = await previewComment(app, repo.repoURL, 3, repo.base, head);
  t.match(comment, /\+ spec\.source\.path: "platform\/manifests\/v2"/, 'the Application reads the folder with the prefix');
  checkResources(t, comment);
});

t.test('gitops.yaml `path` is the prefix path apps are rendered with, so it is the one taken off again', async (t) => {
  // Previewed where it sits at the root (GITOPS_K8S_PREVIEW_PATH unset), while the repository Argo CD reads holds it in `platform/`.
  const repo = makeRepo('.', 'repoURL: https://git.example.com/acme/deploy.git\ntargetRevision: main\npath: platform\n');
  const head = commitHead(repo);
  const app = await startServer(repo.repoURL, { GITOPS_K8S_PREVIEW_MANIFESTS: 'true', GITOPS_K8S_PREVIEW_PATH: undefined });
  const comment = await previewComment(app, repo.repoURL, 4, repo.base, head);
  t.match(comment, /\+ spec\.source\.path: "platform\/manifests\/v2"/, 'the Application carries gitops.yaml `path`');
  checkResources(t, comment);
});
