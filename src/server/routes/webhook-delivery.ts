import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createError } from '../../core/errors.js';
import type { PreviewForge } from '../../integrations/previews/forge.js';

/** The commits a preview compares and the forge its note goes to, known once the preview runs. */
export interface PreviewTarget {
  baseSha: string;
  headSha: string;
  forge: PreviewForge;
}

/** What the forges' webhook routes share: the server, the preview queue and the forwarding of pushes. */
export interface WebhookContext {
  app: FastifyInstance;
  /** Queues the preview of one pull or merge request; `resolve` runs in the queue and says which commits to compare and where the note goes. */
  preview(key: string, repoURL: string, baseRef: string, resolve: () => Promise<PreviewTarget>): void;
  /** Passes a push on to Argo CD's ApplicationSet webhook, when one is set (GITOPS_K8S_APPSET_WEBHOOK_URL). */
  forward(raw: Buffer, headers: Record<string, string | undefined>): void;
  /** Whether pushes are passed on. */
  forwarding: boolean;
}

/** A delivery of one event, authenticated, its body parsed. */
export interface Delivery {
  request: FastifyRequest;
  reply: FastifyReply;
  /** The body as sent. */
  raw: Buffer;
  event: string;
  payload: unknown;
}

export function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The raw body of a delivery: the signature and the forwarded push cover the bytes as sent. */
export function rawBodyOf(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}

/** The JSON of a delivery: GitHub sends `application/json`, or a form with a `payload` field. */
export function payloadOf(raw: Buffer, contentType: string | undefined): unknown {
  try {
    if (contentType?.startsWith('application/x-www-form-urlencoded')) {
      return JSON.parse(new URLSearchParams(raw.toString('utf8')).get('payload') ?? '');
    }
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw createError('GK_BAD_REQUEST', 'the webhook body is not JSON');
  }
}

/** Drops the caches of the pushed repository's URLs on the allowlist; none on it is an error (`what`: repository or project). */
function invalidatePushed(app: FastifyInstance, repoURLs: readonly string[], what: string): void {
  const allowed = repoURLs.filter((u) => app.gitops.isAllowed(u));
  if (allowed.length === 0) throw createError('GK_REPO_NOT_ALLOWED', `the pushed ${what} is not on the allowlist of this server`);
  for (const url of allowed) app.gitops.invalidate(url);
}

/**
 * A push, whichever forge sent it: drops the caches of its repository, then passes it on to Argo CD
 * with the forge's own `headers` (its event name, signature or token), so the refresh it starts reads
 * the new commit.
 */
export function acceptPush(
  context: WebhookContext,
  { request, reply, raw }: Delivery,
  push: { ref: string; after: string; repoURLs: readonly string[] },
  what: 'repository' | 'project',
  headers: Record<string, string | undefined>,
): FastifyReply {
  invalidatePushed(context.app, push.repoURLs, what);
  context.forward(raw, { 'content-type': 'application/json', ...headers, 'user-agent': header(request.headers['user-agent']) });
  request.log.info({ ref: push.ref, after: push.after.slice(0, 12) }, 'push: caches dropped');
  return reply.code(202).send({ message: 'caches dropped', forwarded: context.forwarding });
}
