import type { FastifyPluginAsync } from 'fastify';
import type { Dispatcher } from 'undici';
import { createError } from '../../core/errors.js';
import { createGithubClientFactory, readGithubSettings, type GithubClientFactory, type GithubSettings } from '../../integrations/github/github-client.js';
import { postPullRequestPreview, previewMarker } from '../../integrations/github/pull-request-preview.js';
import type { PreviewQueue } from '../../integrations/github/preview-queue.js';
import { GitlabClient, readGitlabSettings } from '../../integrations/gitlab/gitlab-client.js';
import { previewManifestsFrom, type PreviewRevision } from '../../manifests/preview-manifests.js';
import type { RenderedPlatform } from '../../core/render/render-platform.js';
import { redact, registerSecret } from '../../sources/redact.js';
import { handleGithubWebhook } from './github-webhook.js';
import { handleGitlabWebhook } from './gitlab-webhook.js';
import type { WebhookContext } from './webhook-delivery.js';

/** Options of the webhook routes; everything defaults from the environment. */
export interface WebhookRouteOptions {
  /**
   * Default `process.env`: GITOPS_K8S_WEBHOOK_SECRET, GITHUB_TOKEN or GITHUB_APP_*, GITHUB_API_URL, GITOPS_K8S_CHECK_RUNS,
   * GITOPS_K8S_GITLAB_WEBHOOK_TOKEN, GITLAB_TOKEN, GITLAB_API_URL, GITOPS_K8S_APPSET_WEBHOOK_URL, GITOPS_K8S_PREVIEW_PATH, GITOPS_K8S_PREVIEW_MANIFESTS.
   */
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
  const preview: WebhookContext['preview'] = (key, repoURL, baseRef, resolve) => {
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

  const forward: WebhookContext['forward'] = (raw, headers) => {
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

  const context: WebhookContext = { app, preview, forward, forwarding: forwardTo !== undefined };
  app.post('/api/v1/webhooks/github', { bodyLimit: BODY_LIMIT }, handleGithubWebhook(context, { secret, github, checkRuns: settings?.checkRuns }));
  /**
   * `POST /api/v1/webhooks/gitlab`: GitLab deliveries, authenticated by
   * `X-Gitlab-Token` (GITOPS_K8S_GITLAB_WEBHOOK_TOKEN; 401 otherwise). A merge
   * request (open, update, reopen) gets one preview note, updated in place;
   * a push (or tag push) drops the caches of its project and is passed on to
   * Argo CD's ApplicationSet webhook, which reads GitLab events too.
   */
  app.post('/api/v1/webhooks/gitlab', { bodyLimit: BODY_LIMIT }, handleGitlabWebhook(context, { token: gitlabToken, gitlab }));
};
