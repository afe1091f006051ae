import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { Dispatcher } from 'undici';
import { createError } from '../../core/errors.js';
import { createGithubClientFactory, readGithubSettings, type GithubClientFactory, type GithubSettings } from '../../integrations/github/github-client.js';
import { parsePullRequestEvent, parsePushEvent, postPullRequestPreview, previewMarker } from '../../integrations/github/pull-request-preview.js';
import type { PreviewQueue } from '../../integrations/github/preview-queue.js';
import { verifyWebhookSignature } from '../../integrations/github/webhook-signature.js';
import { GitlabClient, readGitlabSettings } from '../../integrations/gitlab/gitlab-client.js';
import { parseGitlabPushEvent, parseMergeRequestEvent } from '../../integrations/gitlab/gitlab-events.js';
import type { PreviewForge } from '../../integrations/previews/forge.js';
import { createGithubForge } from '../../integrations/previews/github-forge.js';
import { createGitlabForge } from '../../integrations/previews/gitlab-forge.js';
import { previewManifestsFrom, type PreviewRevision } from '../../manifests/preview-manifests.js';
import type { RenderedPlatform } from '../../core/render/render-platform.js';
import { redact, registerSecret } from '../../sources/redact.js';

/** Options of the webhook routes; everything defaults from the environment. */
export interface WebhookRouteOptions {
  /** Default `process.env`: GITOPS_K8S_WEBHOOK_SECRET, GITHUB_TOKEN or GITHUB_APP_*, GITHUB_API_URL, GITOPS_K8S_CHECK_RUNS, GITOPS_K8S_GITLAB_WEBHOOK_TOKEN, GITLAB_TOKEN, GITLAB_API_URL, GITOPS_K8S_APPSET_WEBHOOK_URL, GITOPS_K8S_PREVIEW_PATH, GITOPS_K8S_PREVIEW_MANIFESTS. */
  env?: NodeJS.ProcessEnv;
  /** The queue previews run in (the app's, so that it can be awaited idle). */
  queue: PreviewQueue;
  /** GitHub clients (tests); default from the environment. */
  github?: GithubClientFactory;
  /** undici dispatcher for forwarding pushes to Argo CD. */
  dispatcher?: Dispatcher;
}

/** GitHub caps webhook payloads at 25 MB (GitLab's default cap is lower). */
const BODY_LIMIT = 25 * 1024 * 1024;
const PREVIEW_ACTIONS = new Set(['opened', 'synchronize', 'reopened']);
/** GitLab's `object_attributes.action` for a merge request opened, pushed to (or edited) and reopened. */
const GITLAB_PREVIEW_ACTIONS = new Set(['open', 'update', 'reopen']);

/** Compares a GitLab webhook token in constant time (hashing first evens out the lengths). */
function tokenMatches(expected: string, given: string | undefined): boolean {
  if (expected === '' || given === undefined) return false;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(expected), digest(given));
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The JSON of a delivery: GitHub sends `application/json`, or a form with a `payload` field. */
function payloadOf(raw: Buffer, contentType: string | undefined): unknown {
  try {
    if (contentType?.startsWith('application/x-www-form-urlencoded')) {
      return JSON.parse(new URLSearchParams(raw.toString('utf8')).get('payload') ?? '');
    }
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw createError('GK_BAD_REQUEST', 'the webhook body is not JSON');
  }
}

/**
 * Previews render commits, so path sources inside the platform repo get the
 * commit as their targetRevision, which would differ between base and head
 * on every pull request. Once merged they track the base branch: show them so.
 */
export function retarget(platform: Pick<RenderedPlatform, 'projects' | 'apps'>, commit: string, revision: string): Pick<RenderedPlatform, 'projects' | 'apps'> {
  const swap = (source: unknown): unknown =>
    source !== null && typeof source === 'object' && (source as { targetRevision?: unknown }).targetRevision === commit
      ? { ...(source as object), targetRevision: revision }
      : source;
  return {
    projects: platform.projects,
    apps: platform.apps.map((r) => {
      const spec = r.application.spec as { source?: unknown; sources?: unknown[] };
      const touched = swap(spec.source) !== spec.source || (Array.isArray(spec.sources) && spec.sources.some((s) => swap(s) !== s));
      if (!touched) return r;
      const next = {
        ...spec,
        ...(spec.source ? { source: swap(spec.source) } : {}),
        ...(Array.isArray(spec.sources) ? { sources: spec.sources.map(swap) } : {}),
      };
      return { ...r, application: { ...r.application, spec: next } };
    }),
  };
}

/**
 * `POST /api/v1/webhooks/github`: GitHub deliveries, signed with
 * GITOPS_K8S_WEBHOOK_SECRET (401 otherwise). A pull request (opened,
 * synchronize, reopened) gets one preview comment, updated in place on later
 * pushes; a push drops the caches of its repository and, when
 * GITOPS_K8S_APPSET_WEBHOOK_URL is set, is passed on to Argo CD's
 * ApplicationSet controller so plugin ApplicationSets refresh against the new
 * commit. The reply comes at once; previews run after it, a few at a time,
 * the latest head of each pull request winning.
 */
export const webhookRoutes: FastifyPluginAsync<WebhookRouteOptions> = async (app, options) => {
  const env = options.env ?? process.env;
  const secret = env.GITOPS_K8S_WEBHOOK_SECRET ?? '';
  registerSecret(secret);
  let settings: GithubSettings | undefined;
  try {
    settings = readGithubSettings(env);
  } catch (error) {
    app.log.error(
      { code: (error as { code?: string }).code, message: redact(String((error as Error).message)) },
      'GitHub settings are invalid; pull-request previews are off',
    );
  }
  registerSecret(settings?.token);
  const github = options.github ?? (settings ? createGithubClientFactory(settings) : undefined);
  const gitlabToken = env.GITOPS_K8S_GITLAB_WEBHOOK_TOKEN ?? '';
  registerSecret(gitlabToken);
  const gitlabSettings = readGitlabSettings(env);
  registerSecret(gitlabSettings?.token);
  const gitlab = gitlabSettings ? new GitlabClient(gitlabSettings) : undefined;
  const previewPath = env.GITOPS_K8S_PREVIEW_PATH || '.';
  const previewManifests = previewManifestsFrom(env, previewPath);
  const forwardTo = env.GITOPS_K8S_APPSET_WEBHOOK_URL || undefined;
  if (!secret) app.log.warn('GITOPS_K8S_WEBHOOK_SECRET is not set; /api/v1/webhooks/github refuses every delivery');
  if (gitlabSettings && !gitlabToken)
    app.log.warn('GITLAB_TOKEN is set but GITOPS_K8S_GITLAB_WEBHOOK_TOKEN is not; /api/v1/webhooks/gitlab refuses every delivery');

  const { queue } = options;

  // Only inside this plugin: the signature covers the bytes as sent.
  app.addContentTypeParser(['application/json', 'application/x-www-form-urlencoded'], { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_request, body, done) =>
    done(null, body),
  );

  /** Queues the preview of one pull or merge request; `resolve` runs in the queue and says which commits to compare and where the note goes. */
  const preview = (key: string, repoURL: string, baseRef: string, resolve: () => Promise<{ baseSha: string; headSha: string; forge: PreviewForge }>): void => {
    const accepted = queue.enqueue(key, async () => {
      const { forge, ...event } = await resolve();
      const rendered = new Map<string, PreviewRevision>();
      const render = async (commit: string) => {
        // A commit pushed a moment ago is fetched by the source itself: a full commit id the clone lacks is always fetched before it is called unknown.
        const result = await app.gitops.getPlatform({ repoURL, revision: commit, path: previewPath });
        rendered.set(commit, { commit, platform: result.platform });
        return retarget(result.platform, commit, baseRef);
      };
      const manifests =
        previewManifests &&
        ((diff: Parameters<ReturnType<typeof previewManifests>>[0]) =>
          previewManifests(repoURL, rendered.get(event.baseSha)!, rendered.get(event.headSha)!)(diff));
      const outcome = await postPullRequestPreview(event, {
        render,
        forge,
        marker: previewMarker(previewPath),
        secrets: [secret, gitlabToken, settings?.token, gitlabSettings?.token],
        ...(manifests ? { manifests } : {}),
      });
      app.log.info({ pr: key, head: event.headSha.slice(0, 12), comment: outcome.action, headBroken: outcome.headBroken }, `${forge.noun} preview posted`);
    });
    if (!accepted) throw createError('GK_NOT_READY', 'the preview queue is full; the forge will show this delivery as failed and it can be redelivered');
  };

  const forward = (raw: Buffer, headers: Record<string, string | undefined>): void => {
    if (!forwardTo) return;
    const sent = Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined));
    // undici loads with the first forwarded push, not with every server.
    import('undici')
      .then(({ request }) =>
        request(forwardTo, { method: 'POST', body: raw, headers: sent, dispatcher: options.dispatcher, headersTimeout: 10_000, bodyTimeout: 10_000 }),
      )
      .then(async (res) => {
        await res.body.dump();
        if (res.statusCode >= 300) app.log.warn({ status: res.statusCode }, 'Argo CD ApplicationSet webhook refused the forwarded push');
      })
      .catch((error: unknown) => app.log.warn({ message: redact(String((error as Error).message)) }, 'forwarding the push to Argo CD failed'));
  };

  app.post('/api/v1/webhooks/github', { bodyLimit: BODY_LIMIT }, async (request, reply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (!secret) throw createError('GK_CONFIG', 'GITOPS_K8S_WEBHOOK_SECRET is not set on the server', {}, { statusCode: 503 });
    if (!(await verifyWebhookSignature(secret, raw, header(request.headers['x-hub-signature-256'])))) {
      throw createError('GK_BAD_SIGNATURE', 'X-Hub-Signature-256 is missing or does not match the body and the webhook secret');
    }
    const event = header(request.headers['x-github-event']);
    if (!event) throw createError('GK_BAD_REQUEST', 'X-GitHub-Event is missing');
    const payload = payloadOf(raw, header(request.headers['content-type']));

    if (event === 'ping') return reply.code(200).send({ message: 'pong' });

    if (event === 'push') {
      const push = parsePushEvent(payload);
      if (!push) throw createError('GK_BAD_REQUEST', 'the push event names no repository');
      const allowed = push.repoURLs.filter((u) => app.gitops.isAllowed(u));
      if (allowed.length === 0) throw createError('GK_REPO_NOT_ALLOWED', 'the pushed repository is not on the allowlist of this server');
      for (const url of allowed) app.gitops.invalidate(url);
      // After the invalidation, so the refresh Argo CD starts reads the new commit.
      forward(raw, {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': header(request.headers['x-github-delivery']),
        'x-hub-signature-256': header(request.headers['x-hub-signature-256']),
        'x-hub-signature': header(request.headers['x-hub-signature']),
        'user-agent': header(request.headers['user-agent']),
      });
      request.log.info({ ref: push.ref, after: push.after.slice(0, 12) }, 'push: caches dropped');
      return reply.code(202).send({ message: 'caches dropped', forwarded: forwardTo !== undefined });
    }

    if (event === 'pull_request') {
      const pr = parsePullRequestEvent(payload);
      if (!pr) throw createError('GK_BAD_REQUEST', 'the pull_request event lacks the repository, number or base and head commits');
      if (!PREVIEW_ACTIONS.has(pr.action)) return reply.code(200).send({ message: `ignored: action ${pr.action}` });
      const repoURL = pr.repoURLs.find((u) => app.gitops.isAllowed(u));
      if (!repoURL) throw createError('GK_REPO_NOT_ALLOWED', `repository ${pr.owner}/${pr.repo} is not on the allowlist of this server`);
      if (!github) throw createError('GK_CONFIG', 'GITHUB_TOKEN or a GitHub App is not configured; pull-request previews are off', {}, { statusCode: 503 });
      const baseRef =
        typeof (payload as { pull_request?: { base?: { ref?: unknown } } }).pull_request?.base?.ref === 'string'
          ? (payload as { pull_request: { base: { ref: string } } }).pull_request.base.ref
          : pr.baseSha;
      preview(`${pr.owner}/${pr.repo}#${pr.number}`, repoURL, baseRef, async () => ({
        baseSha: pr.baseSha,
        headSha: pr.headSha,
        forge: createGithubForge(github, pr, { checkRuns: settings?.checkRuns }),
      }));
      return reply.code(202).send({ message: `preview of ${pr.owner}/${pr.repo}#${pr.number} queued` });
    }

    return reply.code(200).send({ message: `ignored: event ${event}` });
  });

  /**
   * `POST /api/v1/webhooks/gitlab`: GitLab deliveries, authenticated by
   * `X-Gitlab-Token` (GITOPS_K8S_GITLAB_WEBHOOK_TOKEN; 401 otherwise). A merge
   * request (open, update, reopen) gets one preview note, updated in place;
   * a push (or tag push) drops the caches of its project and is passed on to
   * Argo CD's ApplicationSet webhook, which reads GitLab events too.
   */
  app.post('/api/v1/webhooks/gitlab', { bodyLimit: BODY_LIMIT }, async (request, reply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (!gitlabToken) throw createError('GK_CONFIG', 'GITOPS_K8S_GITLAB_WEBHOOK_TOKEN is not set on the server', {}, { statusCode: 503 });
    if (!tokenMatches(gitlabToken, header(request.headers['x-gitlab-token']))) {
      throw createError('GK_BAD_SIGNATURE', 'X-Gitlab-Token is missing or does not match GITOPS_K8S_GITLAB_WEBHOOK_TOKEN');
    }
    const event = header(request.headers['x-gitlab-event']);
    if (!event) throw createError('GK_BAD_REQUEST', 'X-Gitlab-Event is missing');
    const payload = payloadOf(raw, 'application/json');

    if (event === 'Push Hook' || event === 'Tag Push Hook') {
      const push = parseGitlabPushEvent(payload);
      if (!push) throw createError('GK_BAD_REQUEST', 'the push event names no project');
      const allowed = push.repoURLs.filter((u) => app.gitops.isAllowed(u));
      if (allowed.length === 0) throw createError('GK_REPO_NOT_ALLOWED', 'the pushed project is not on the allowlist of this server');
      for (const url of allowed) app.gitops.invalidate(url);
      // After the invalidation, so the refresh Argo CD starts reads the new commit.
      forward(raw, {
        'content-type': 'application/json',
        'x-gitlab-event': event,
        'x-gitlab-token': header(request.headers['x-gitlab-token']),
        'x-gitlab-event-uuid': header(request.headers['x-gitlab-event-uuid']),
        'x-gitlab-webhook-uuid': header(request.headers['x-gitlab-webhook-uuid']),
        'x-gitlab-instance': header(request.headers['x-gitlab-instance']),
        'user-agent': header(request.headers['user-agent']),
      });
      request.log.info({ ref: push.ref, after: push.after.slice(0, 12) }, 'push: caches dropped');
      return reply.code(202).send({ message: 'caches dropped', forwarded: forwardTo !== undefined });
    }

    if (event === 'Merge Request Hook') {
      const mr = parseMergeRequestEvent(payload);
      if (!mr) throw createError('GK_BAD_REQUEST', 'the merge request event lacks the project, iid, action, target branch or last commit');
      if (!GITLAB_PREVIEW_ACTIONS.has(mr.action)) return reply.code(200).send({ message: `ignored: action ${mr.action}` });
      const repoURL = mr.repoURLs.find((u) => app.gitops.isAllowed(u));
      if (!repoURL) throw createError('GK_REPO_NOT_ALLOWED', `project ${mr.project} is not on the allowlist of this server`);
      if (!gitlab) throw createError('GK_CONFIG', 'GITLAB_TOKEN is not configured; merge-request previews are off', {}, { statusCode: 503 });
      preview(`gitlab:${mr.projectId}!${mr.iid}`, repoURL, mr.targetBranch, async () => {
        // The hook names the head but not the base: the merge request's diff_refs do (null while GitLab is still computing the diff).
        const refs = (await gitlab.getMergeRequest(mr.projectId, mr.iid)).diff_refs;
        return { baseSha: refs?.base_sha || mr.targetBranch, headSha: mr.headSha, forge: createGitlabForge(gitlab, mr) };
      });
      return reply.code(202).send({ message: `preview of ${mr.project}!${mr.iid} queued` });
    }

    return reply.code(200).send({ message: `ignored: event ${event}` });
  });
};
