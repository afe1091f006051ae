import type { FastifyReply, FastifyRequest } from 'fastify';
import { createError } from '../../core/errors.js';
import type { GithubClientFactory } from '../../integrations/github/github-client.js';
import { parsePullRequestEvent, parsePushEvent } from '../../integrations/github/pull-request-preview.js';
import { verifyWebhookSignature } from '../../integrations/github/webhook-signature.js';
import { createGithubForge } from '../../integrations/previews/github-forge.js';
import { acceptPush, header, payloadOf, rawBodyOf, type Delivery, type WebhookContext } from './webhook-delivery.js';

const PREVIEW_ACTIONS = new Set(['opened', 'synchronize', 'reopened']);

/** What the GitHub route needs beyond the shared context. */
export interface GithubWebhookOptions {
  /** GITOPS_K8S_WEBHOOK_SECRET: deliveries are signed with it. */
  secret: string;
  /** GitHub clients for previews; none when GitHub is not configured. */
  github?: GithubClientFactory;
  checkRuns?: boolean;
}

/** A push drops the caches of its repository, then goes on to Argo CD, so the refresh it starts reads the new commit. */
function onPush(context: WebhookContext, delivery: Delivery): FastifyReply {
  const push = parsePushEvent(delivery.payload);
  if (!push) throw createError('GK_BAD_REQUEST', 'the push event names no repository');
  const { headers } = delivery.request;
  return acceptPush(context, delivery, push, 'repository', {
    'x-github-event': delivery.event,
    'x-github-delivery': header(headers['x-github-delivery']),
    'x-hub-signature-256': header(headers['x-hub-signature-256']),
    'x-hub-signature': header(headers['x-hub-signature']),
  });
}

/** A pull request opened, pushed to or reopened queues its preview. */
function onPullRequest(context: WebhookContext, options: GithubWebhookOptions, { reply, payload }: Delivery): FastifyReply {
  const pr = parsePullRequestEvent(payload);
  if (!pr) throw createError('GK_BAD_REQUEST', 'the pull_request event lacks the repository, number or base and head commits');
  if (!PREVIEW_ACTIONS.has(pr.action)) return reply.code(200).send({ message: `ignored: action ${pr.action}` });
  const repoURL = pr.repoURLs.find((u) => context.app.gitops.isAllowed(u));
  if (!repoURL) throw createError('GK_REPO_NOT_ALLOWED', `repository ${pr.owner}/${pr.repo} is not on the allowlist of this server`);
  const github = options.github;
  if (!github) throw createError('GK_CONFIG', 'GITHUB_TOKEN or a GitHub App is not configured; pull-request previews are off', {}, { statusCode: 503 });
  const baseRef = pr.baseRef ?? pr.baseSha;
  context.preview(`${pr.owner}/${pr.repo}#${pr.number}`, repoURL, baseRef, async () => ({
    baseSha: pr.baseSha,
    headSha: pr.headSha,
    forge: createGithubForge(github, pr, { checkRuns: options.checkRuns }),
  }));
  return reply.code(202).send({ message: `preview of ${pr.owner}/${pr.repo}#${pr.number} queued` });
}

/** The handler of `POST /api/v1/webhooks/github`: checks the signature, then answers the event (ping, push, pull_request; others are ignored). */
export function handleGithubWebhook(context: WebhookContext, options: GithubWebhookOptions) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const raw = rawBodyOf(request.body);
    if (!options.secret) throw createError('GK_CONFIG', 'GITOPS_K8S_WEBHOOK_SECRET is not set on the server', {}, { statusCode: 503 });
    if (!(await verifyWebhookSignature(options.secret, raw, header(request.headers['x-hub-signature-256'])))) {
      throw createError('GK_BAD_SIGNATURE', 'X-Hub-Signature-256 is missing or does not match the body and the webhook secret');
    }
    const event = header(request.headers['x-github-event']);
    if (!event) throw createError('GK_BAD_REQUEST', 'X-GitHub-Event is missing');
    const delivery: Delivery = { request, reply, raw, event, payload: payloadOf(raw, header(request.headers['content-type'])) };
    if (event === 'ping') return reply.code(200).send({ message: 'pong' });
    if (event === 'push') return onPush(context, delivery);
    if (event === 'pull_request') return onPullRequest(context, options, delivery);
    return reply.code(200).send({ message: `ignored: event ${event}` });
  };
}
