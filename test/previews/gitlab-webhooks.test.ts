import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PREVIEW_MARKER } from '../../src/integrations/github/pull-request-preview.js';
import { buildApp } from '../../src/server/app.js';
import { startFakeGitlab } from '../fixtures/previews-support/fake-gitlab.js';
import { commitChanges, git, makePlatformRepo, loggerInto, startAppsetHook, waitFor } from '../fixtures/previews-support/support.js';

const HOOK_TOKEN = 'gitlab-hook-token-0123456789';
const GITLAB_TOKEN = 'glpat-testtoken0123456789abcd';
const SERVER_TOKEN = 'generator-token-0123456789';

const gitlab = await startFakeGitlab({ token: GITLAB_TOKEN, perPageCap: 2 });
t.teardown(() => gitlab.close());

const appsetHook = await startAppsetHook();
const forwarded = appsetHook.forwarded;
t.teardown(() => appsetHook.close());

delete process.env.GITOPS_K8S_WEBHOOK_SECRET;
delete process.env.GITHUB_TOKEN;
process.env.GITOPS_K8S_GITLAB_WEBHOOK_TOKEN = HOOK_TOKEN;
process.env.GITLAB_TOKEN = GITLAB_TOKEN;
process.env.GITLAB_API_URL = gitlab.url;
process.env.GITOPS_K8S_APPSET_WEBHOOK_URL = appsetHook.url;

const { dir, platform, first } = makePlatformRepo();
git(dir, 'checkout', '-q', '-b', 'feature');
const repoURL = pathToFileURL(dir).href;

const logs: string[] = [];
const app = await buildApp({
  repo: repoURL,
  token: SERVER_TOKEN,
  warm: false,
  refreshIntervalMs: 60_000,
  cacheDir: mkdtempSync(path.join(tmpdir(), 'gk-gitlab-cache-')),
  logger: loggerInto(logs),
});
t.teardown(() => app.close());

const PROJECT = 42;

/** A `Merge Request Hook` body as GitLab documents it (the fields that matter, and some that do not). */
function mrPayload(action: string, iid: number, head: string, gitHttpUrl = repoURL) {
  const project = {
    id: PROJECT,
    name: 'platform',
    web_url: 'https://gitlab.example.com/example/platform',
    git_ssh_url: 'git@gitlab.example.com:example/platform.git',
    git_http_url: gitHttpUrl,
    namespace: 'example',
    visibility_level: 0,
    path_with_namespace: 'example/platform',
    default_branch: 'main',
  };
  return {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: { id: 7, name: 'Dev', username: 'dev' },
    project,
    repository: { name: 'platform', url: project.git_ssh_url, homepage: project.web_url },
    object_attributes: {
      id: 500 + iid,
      iid,
      target_branch: 'main',
      source_branch: 'feature',
      source_project_id: PROJECT,
      target_project_id: PROJECT,
      state: action === 'close' ? 'closed' : 'opened',
      title: 'A change',
      url: `https://gitlab.example.com/example/platform/-/merge_requests/${iid}`,
      source: project,
      target: project,
      last_commit: {
        id: head,
        message: 'change',
        timestamp: '2026-01-01T00:00:00+00:00',
        url: `https://gitlab.example.com/example/platform/-/commit/${head}`,
        author: { name: 'Dev', email: 'dev@example.com' },
      },
      action,
    },
    labels: [],
    changes: {},
  };
}

/** `token` null sends no X-Gitlab-Token at all. */
async function deliver(event: string, payload: unknown, token: string | null = HOOK_TOKEN) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/webhooks/gitlab',
    headers: {
      'content-type': 'application/json',
      'x-gitlab-event': event,
      'x-gitlab-event-uuid': '13792a34-cac6-4fda-95a8-c58e00a3954e',
      'x-gitlab-instance': 'https://gitlab.example.com',
      'user-agent': 'GitLab/17.0.0',
      ...(token === null ? {} : { 'x-gitlab-token': token }),
    },
    payload: JSON.stringify(payload),
  });
}

const notesOf = (iid: number) => gitlab.notes.get(`${PROJECT}!${iid}`) ?? [];
const writes = (iid: number) =>
  gitlab.requests.filter((r) => r.method !== 'GET' && r.url.startsWith(`/api/v4/projects/${PROJECT}/merge_requests/${iid}/notes`));

t.test('a delivery without the webhook token, or with another one of any length, is refused with 401 and does nothing', async (t) => {
  const before = gitlab.requests.length;
  for (const token of [null, '', 'x', `${HOOK_TOKEN.slice(0, -1)}X`, `${HOOK_TOKEN}-and-more`]) {
    const res = await deliver('Merge Request Hook', mrPayload('open', 1, first), token);
    t.equal(res.statusCode, 401, `token ${JSON.stringify(token)}`);
    t.equal(res.json().code, 'GK_BAD_SIGNATURE');
  }
  await app.previews.onIdle();
  t.equal(gitlab.requests.length, before, 'GitLab was not called');
});

t.test('an opened merge request gets one preview note against its diff base, updated in place on the next push', async (t) => {
  const head1 = commitChanges(dir, platform, {
    'apps/observe/grafana.yaml': 'repoURL: https://grafana.github.io/helm-charts\nchart: grafana\nversion: 8.5.1\n',
    'apps/kube-system/metrics-server.yaml':
      'repoURL: https://kubernetes-sigs.github.io/metrics-server/\nchart: metrics-server\nversion: 3.12.3\nvalues:\n  replicas: 1\n',
  });
  gitlab.setDiffRefs(`${PROJECT}!7`, { base_sha: first, head_sha: head1 });
  const opened = await deliver('Merge Request Hook', mrPayload('open', 7, head1));
  t.equal(opened.statusCode, 202, 'replies at once; the work runs after');
  await waitFor(() => notesOf(7).length === 1);
  const [note] = notesOf(7);
  t.match(note!.body, PREVIEW_MARKER);
  t.match(note!.body, /\| added \| 0 \| 2 \|/, 'two grafana Applications (one per cluster)');
  t.match(note!.body, /\| changed \| 1 \| 2 \|/);
  t.match(
    note!.body,
    new RegExp(`base <code>${first.slice(0, 7)}</code> · head <code>${head1.slice(0, 7)}</code>`),
    "the base is the merge request's diff_refs.base_sha",
  );
  t.equal(writes(7).length, 1);
  t.equal(writes(7)[0]!.method, 'POST');
  t.equal(gitlab.requests.at(-1)!.authorization, GITLAB_TOKEN, 'PRIVATE-TOKEN is GITLAB_TOKEN');

  const head2 = commitChanges(dir, platform, { 'apps/observe/grafana.yaml': null });
  gitlab.setDiffRefs(`${PROJECT}!7`, { base_sha: first, head_sha: head2 });
  t.equal((await deliver('Merge Request Hook', mrPayload('update', 7, head2))).statusCode, 202);
  await waitFor(() => writes(7).length === 2);
  t.equal(notesOf(7).length, 1, 'still one note: updated, not duplicated');
  t.equal(writes(7)[1]!.method, 'PUT');
  t.equal(writes(7)[1]!.url, `/api/v4/projects/${PROJECT}/merge_requests/7/notes/${note!.id}`);
  t.match(notesOf(7)[0]!.body, new RegExp(`head <code>${head2.slice(0, 7)}</code>`));
  t.notMatch(notesOf(7)[0]!.body, /grafana/);

  t.equal((await deliver('Merge Request Hook', mrPayload('reopen', 7, head2))).statusCode, 202);
  await app.previews.onIdle();
  t.equal(writes(7).length, 2, 'the same preview again writes nothing');
});

t.test("the note is found across pages; a spoofed marker in someone else's note and a system note are not edited", async (t) => {
  const key = `${PROJECT}!8`;
  gitlab.addNote(key, 'first');
  gitlab.addNote(key, `I pasted ${PREVIEW_MARKER} here`, 'mallory');
  gitlab.addNote(key, `changed the description ${PREVIEW_MARKER}`, 'dev', true);
  const head = git(dir, 'rev-parse', 'HEAD');
  gitlab.setDiffRefs(key, { base_sha: first, head_sha: head });
  t.equal((await deliver('Merge Request Hook', mrPayload('open', 8, head))).statusCode, 202);
  await waitFor(() => notesOf(8).length === 4);
  await app.previews.onIdle();
  t.match(notesOf(8)[1]!.body, /^I pasted/, "mallory's note is unchanged");
  t.match(notesOf(8)[2]!.body, /^changed the description/, 'the system note is unchanged');
  t.same(
    writes(8).map((w) => w.method),
    ['PUT', 'POST'],
    "mallory's note was refused (403), the system note never tried",
  );
  const listings = () => gitlab.requests.filter((r) => r.method === 'GET' && r.url.startsWith(`/api/v4/projects/${PROJECT}/merge_requests/8/notes`)).length;
  t.equal(listings(), 2, 'two pages of two notes were listed, following X-Next-Page');
  const edited = commitChanges(dir, platform, {
    'apps/observe/grafana.yaml': 'repoURL: https://grafana.github.io/helm-charts\nchart: grafana\nversion: 8.5.2\n',
  });
  gitlab.setDiffRefs(key, { base_sha: first, head_sha: edited });
  t.equal((await deliver('Merge Request Hook', mrPayload('update', 8, edited))).statusCode, 202);
  await waitFor(() => writes(8).length === 4);
  await app.previews.onIdle();
  t.equal(notesOf(8).length, 4, 'the preview note found on page 2 is reused, not duplicated');
  t.same(
    writes(8)
      .slice(2)
      .map((w) => [w.method, w.url.split('/').at(-1)]),
    [
      ['PUT', String(notesOf(8)[1]!.id)],
      ['PUT', String(notesOf(8)[3]!.id)],
    ],
  );
  t.match(notesOf(8)[3]!.body, /8\.5\.2/);
  commitChanges(dir, platform, { 'apps/observe/grafana.yaml': null });
});

t.test('a merge request whose head breaks the repo gets a note naming the broken file and line', async (t) => {
  const broken = commitChanges(dir, platform, {
    'apps/guestbook/guestbook.yaml': 'repoURL: https://github.com/argoproj/argocd-example-apps.git\npath: guestbook\ntargetRevison: main\n',
  });
  // While GitLab still computes the diff, diff_refs is null: the target branch is the base.
  t.equal((await deliver('Merge Request Hook', mrPayload('update', 9, broken))).statusCode, 202);
  await waitFor(() => gitlab.requests.some((r) => r.url === `/api/v4/projects/${PROJECT}/merge_requests/9`));
  await app.previews.onIdle();
  t.equal(notesOf(9).length, 0, 'a merge request GitLab does not know (404) gets no note');
  gitlab.setDiffRefs(`${PROJECT}!9`, { base_sha: first, head_sha: broken });
  t.equal((await deliver('Merge Request Hook', mrPayload('update', 9, broken))).statusCode, 202);
  await waitFor(() => notesOf(9).length === 1);
  const body = notesOf(9)[0]!.body;
  t.match(body, /This merge request breaks the platform repo/);
  t.match(body, /apps\/guestbook\/guestbook\.yaml:3: /);
  t.notMatch(body, /\| added \|/, 'no diff is shown for a broken head');
  commitChanges(dir, platform, {
    'apps/guestbook/guestbook.yaml':
      'repoURL: https://github.com/argoproj/argocd-example-apps.git\npath: guestbook\ntargetRevision: 0d521c6e049889134f3122eb32d7ed342f43ca0d\n',
  });
});

t.test('ignored actions and events, projects off the allowlist, and payloads without a merge request', async (t) => {
  const head = git(dir, 'rev-parse', 'HEAD');
  for (const action of ['close', 'merge', 'approved']) {
    const res = await deliver('Merge Request Hook', mrPayload(action, 10, head));
    t.equal(res.statusCode, 200);
    t.match(res.json().message, /ignored/);
  }
  t.equal((await deliver('Note Hook', { object_kind: 'note' })).statusCode, 200);
  const foreign = await deliver('Merge Request Hook', mrPayload('open', 11, head, 'https://gitlab.com/evil/other.git'));
  t.equal(foreign.statusCode, 403);
  t.equal(foreign.json().code, 'GK_REPO_NOT_ALLOWED');
  t.equal((await deliver('Merge Request Hook', { object_kind: 'merge_request', object_attributes: { action: 'open' } })).statusCode, 400);
  const noEvent = await app.inject({
    method: 'POST',
    url: '/api/v1/webhooks/gitlab',
    headers: { 'content-type': 'application/json', 'x-gitlab-token': HOOK_TOKEN },
    payload: '{}',
  });
  t.equal(noEvent.statusCode, 400);
  await app.previews.onIdle();
  t.equal(notesOf(10).length + notesOf(11).length, 0);
});

t.test('a Push Hook drops the caches of its project and is forwarded, token and all, to the ApplicationSet controller', async (t) => {
  git(dir, 'checkout', '-q', 'main');
  const before = await app.gitops.getPlatform({ revision: 'main' });
  t.equal(before.platform.apps.length, 5);
  const commit = commitChanges(dir, dir, { 'apps/observe/grafana.yaml': 'repoURL: https://grafana.github.io/helm-charts\nchart: grafana\nversion: 8.5.1\n' });
  const payload = {
    object_kind: 'push',
    event_name: 'push',
    before: first,
    after: commit,
    ref: 'refs/heads/main',
    checkout_sha: commit,
    project_id: PROJECT,
    project: {
      id: PROJECT,
      name: 'platform',
      web_url: 'https://gitlab.example.com/example/platform',
      git_ssh_url: 'git@gitlab.example.com:example/platform.git',
      git_http_url: repoURL,
      path_with_namespace: 'example/platform',
      default_branch: 'main',
    },
    repository: {
      name: 'platform',
      url: 'git@gitlab.example.com:example/platform.git',
      homepage: 'https://gitlab.example.com/example/platform',
      git_http_url: repoURL,
    },
    commits: [],
    total_commits_count: 1,
  };
  const res = await deliver('Push Hook', payload);
  t.equal(res.statusCode, 202);
  t.same(res.json(), { message: 'caches dropped', forwarded: true });
  const after = await app.gitops.getPlatform({ revision: 'main' });
  t.equal(after.commit, commit, 'the next call reads the pushed commit');
  t.equal(after.platform.apps.length, 7);
  await waitFor(() => forwarded.length === 1);
  t.equal(forwarded[0]!.headers['x-gitlab-event'], 'Push Hook');
  t.equal(forwarded[0]!.headers['x-gitlab-token'], HOOK_TOKEN, 'Argo CD checks its own webhook.gitlab.secret against it');
  t.equal(forwarded[0]!.body, JSON.stringify(payload), 'the body is passed on byte for byte');
  const foreign = await deliver('Push Hook', {
    ...payload,
    project: { ...payload.project, git_http_url: 'https://gitlab.com/evil/other.git' },
    repository: { name: 'other', url: 'git@gitlab.com:evil/other.git' },
  });
  t.equal(foreign.statusCode, 403);
});

t.test('neither GITLAB_TOKEN nor the webhook token reaches a note or a log line', async (t) => {
  const everything =
    [...gitlab.notes.values()]
      .flat()
      .map((n) => n.body)
      .join('\n') + logs.join('');
  t.ok(logs.length > 0, 'there are log lines to check');
  t.notMatch(everything, GITLAB_TOKEN);
  t.notMatch(everything, HOOK_TOKEN);
});
