import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createError } from '../../core/errors.js';
import type { GitlabClient } from '../../integrations/gitlab/gitlab-client.js';
import { parseGitlabPushEvent, parseMergeRequestEvent } from '../../integrations/gitlab/gitlab-events.js';
import { createGitlabForge } from '../../integrations/previews/gitlab-forge.js';
import { acceptPush, header, payloadOf, rawBodyOf, type Delivery, type WebhookContext } from './webhook-delivery.js';

/** GitLab's `object_attributes.action` for a merge request opened, pushed to (or edited) and reopened. */
const GITLAB_PREVIEW_ACTIONS = new Set(['open', 'update', 'reopen']);

/** What the GitLab route needs beyond the shared context. */
export interface GitlabWebhookOptions {
  /** GITOPS_K8S_GITLAB_WEBHOOK_TOKEN: deliveries carry it in X-Gitlab-Token. */
  token: string;
  /** The GitLab client for previews; none when GitLab is not configured. */
  gitlab?: GitlabClient;
}

/** Compares a GitLab webhook token in constant time (hashing first evens out the lengths). */
function tokenMatches(expected: string, given: string | undefined): boolean {
  if (expected === '' || given === undefined) return false;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(expected), digest(given));
}

/** A push or tag push drops the caches of its project, then goes on to Argo CD (which reads GitLab events too). */
function onPush(context: WebhookContext, delivery: Delivery): FastifyReply {
  const push = parseGitlabPushEvent(delivery.payload);
  if (!push) throw createError('GK_BAD_REQUEST', 'the push event names no project');
  const { headers } = delivery.request;
  return acceptPush(context, delivery, push, 'project', {
    'x-gitlab-event': delivery.event,
    'x-gitlab-token': header(headers['x-gitlab-token']),
    'x-gitlab-event-uuid': header(headers['x-gitlab-event-uuid']),
    'x-gitlab-webhook-uuid': header(headers['x-gitlab-webhook-uuid']),
    'x-gitlab-instance': header(headers['x-gitlab-instance']),
  });
}

/** A merge request opened, updated or reopened queues its preview. */
function onMergeRequest(context: WebhookContext, options: GitlabWebhookOptions, { reply, payload }: Delivery): FastifyReply {
  const mr = parseMergeRequestEvent(payload);
  if (!mr) throw createError('GK_BAD_REQUEST', 'the merge request event lacks the project, iid, action, target branch or last commit');
  if (!GITLAB_PREVIEW_ACTIONS.has(mr.action)) return reply.code(200).send({ message: `ignored: action ${mr.action}` });
  const repoURL = mr.repoURLs.find((u) => context.app.gitops.isAllowed(u));
  if (!repoURL) throw createError('GK_REPO_NOT_ALLOWED', `project ${mr.project} is not on the allowlist of this server`);
  const gitlab = options.gitlab;
  if (!gitlab) throw createError('GK_CONFIG', 'GITLAB_TOKEN is not configured; merge-request previews are off', {}, { statusCode: 503 });
  context.preview(`gitlab:${mr.projectId}!${mr.iid}`, repoURL, mr.targetBranch, async () => {
    // The hook names the head but not the base: the merge request's diff_refs do (null while GitLab is still computing the diff).
    const refs = (await gitlab.getMergeRequest(mr.projectId, mr.iid)).diff_refs;
    return { baseSha: refs?.base_sha || mr.targetBranch, headSha: mr.headSha, forge: createGitlabForge(gitlab, mr) };
  });
  return reply.code(202).send({ message: `preview of ${mr.project}!${mr.iid} queued` });
}

/** The handler of `POST /api/v1/webhooks/gitlab`: checks the token, then answers the event (push, tag push, merge request; others are ignored). */
export function handleGitlabWebhook(context: WebhookContext, options: GitlabWebhookOptions) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const raw = rawBodyOf(request.body);
    if (!options.token) throw createError('GK_CONFIG', 'GITOPS_K8S_GITLAB_WEBHOOK_TOKEN is not set on the server', {}, { statusCode: 503 });
    if (!tokenMatches(options.token, header(request.headers['x-gitlab-token']))) {
      throw createError('GK_BAD_SIGNATURE', 'X-Gitlab-Token is missing or does not match GITOPS_K8S_GITLAB_WEBHOOK_TOKEN');
    }
    const event = header(request.headers['x-gitlab-event']);
    if (!event) throw createError('GK_BAD_REQUEST', 'X-Gitlab-Event is missing');
    const delivery: Delivery = { request, reply, raw, event, payload: payloadOf(raw, 'application/json') };
    if (event === 'Push Hook' || event === 'Tag Push Hook') return onPush(context, delivery);
    if (event === 'Merge Request Hook') return onMergeRequest(context, options, delivery);
    return reply.code(200).send({ message: `ignored: event ${event}` });
  };
}
