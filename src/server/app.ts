import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { createError, GitopsError, isGitopsError, type ErrorCode } from '../core/errors.js';
import { PreviewQueue } from '../integrations/github/preview-queue.js';
import { useGitSpawner } from '../sources/git/git-spawner.js';
import { redact } from '../sources/redact.js';
import { createTokenCheck, type TokenOptions } from './auth.js';
import './context.js';
import { createGenerator, type GeneratorOptions } from './generator/generator.js';
import { createMetrics } from './metrics.js';
import { getParamsRoute } from './routes/getparams.js';
import { healthRoutes } from './routes/health.js';

/** Options of {@link buildApp}. */
export interface AppOptions extends GeneratorOptions, TokenOptions {
  /** Largest accepted request body in bytes (413 above). Default 64 KiB. */
  bodyLimit?: number;
  /** fastify/pino logger options, or false. The Authorization header is always redacted. */
  logger?: FastifyServerOptions['logger'];
  /** Load the default repo at start (readiness). Default true. */
  warm?: boolean;
}

/** Header paths pino must never print. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-gitlab-token"]',
  'req.headers.cookie',
];

function loggerOptions(logger: AppOptions['logger']): FastifyServerOptions['logger'] {
  if (logger === false || logger === undefined) return false;
  const base = logger === true ? {} : (logger as object);
  return { level: 'info', ...base, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } } as FastifyServerOptions['logger'];
}

/** A fastify error code mapped to ours. */
function codeOfFastifyError(error: { code?: string; statusCode?: number; validation?: unknown }): ErrorCode {
  if (error.validation) return 'GK_BAD_REQUEST';
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) return 'GK_PAYLOAD_TOO_LARGE';
  if (error.statusCode === 403) return 'GK_UNAUTHORIZED';
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return 'GK_BAD_REQUEST';
  return 'GK_CONFIG';
}

/** Names the offending key of a schema failure (ajv's own message leaves it out). */
function validationMessage(validation: unknown): string {
  const errors = validation as { instancePath?: string; message?: string; params?: { additionalProperty?: string } }[];
  return errors
    .map((v) => {
      const where = `body${(v.instancePath ?? '').replace(/\//g, '.')}`;
      const extra = v.params?.additionalProperty;
      return extra ? `${where}: unknown parameter ${JSON.stringify(extra)}` : `${where}: ${v.message ?? 'is invalid'}`;
    })
    .filter((line, i, all) => all.indexOf(line) === i)
    .join('; ');
}

/**
 * The HTTP app: the plugin generator route, health and metrics, and the
 * `gitops` decorator for other route plugins. It never listens; `serve` does.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const checkToken = createTokenCheck(options).check;
  // Start git from a small helper process: forking this one, once it holds a
  // large rendered repo, would stall every request for each git call.
  useGitSpawner(true);
  const metrics = createMetrics();
  const generator = createGenerator(options, metrics);
  const app = Fastify({
    logger: loggerOptions(options.logger),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    // Strict: unknown keys fail instead of being dropped, no type coercion.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true } },
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  });

  // Pull-request previews run after their webhook is answered, a few at a time.
  const previews = new PreviewQueue({
    concurrency: 2,
    onError: (key, error) => {
      const e = error as { code?: string; status?: number; message?: string };
      app.log.error({ pr: key, code: e.code, status: e.status, message: redact(String(e.message ?? error)) }, 'pull-request preview failed');
    },
  });
  app.decorate('previews', previews);
  app.addHook('onClose', async () => previews.close());

  app.decorate('gitops', {
    getPlatform: generator.getPlatform,
    invalidate: generator.invalidate,
    isAllowed: generator.isAllowed,
    defaultRepo: generator.defaultRepo,
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    const labels = { route, method: request.method, status: String(reply.statusCode) };
    metrics.requests.inc(labels);
    metrics.requestDuration.observe(labels, reply.elapsedTime / 1000);
  });

  // Every error is a JSON body with `message` (Argo CD shows it in the
  // ApplicationSet's conditions): never a secret, never a 2xx.
  app.setErrorHandler((error, request, reply) => {
    let gitops: GitopsError;
    if (isGitopsError(error)) gitops = error;
    else {
      const e = error as { code?: string; statusCode?: number; validation?: unknown; message?: string };
      const code = codeOfFastifyError(e);
      const message =
        code === 'GK_CONFIG' ? 'internal error; see the generator log' : e.validation ? validationMessage(e.validation) : (e.message ?? 'bad request');
      gitops = new GitopsError({ code, message }, { statusCode: code === 'GK_CONFIG' ? 500 : undefined, cause: error });
    }
    metrics.errors.inc({ code: gitops.code });
    const body = gitops.toReply();
    body.message = redact(body.message);
    if (body.statusCode >= 500) {
      const foreign = isGitopsError(error) ? (error.cause as Error | undefined) : (error as Error);
      request.log.error({ code: body.code, message: body.message, cause: redact(String(foreign?.stack ?? foreign ?? '')) }, 'request failed');
    } else request.log.warn({ code: body.code, message: body.message }, 'request refused');
    return reply.code(body.statusCode).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler(async (request) => {
    throw createError('GK_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
  });
  // Fastify's own 503 while closing (return503OnClosing) has a body of its
  // own: this one goes through the error handler like every other reply.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close');
    throw createError('GK_NOT_READY', 'the generator is shutting down; retry');
  });

  await app.register(healthRoutes, { generator, metrics });
  await app.register(getParamsRoute, { generator, checkToken });
  // Route plugins of other features register here, one line each (they do their own auth):
  await app.register(
    import('./routes/webhooks.js').then((m) => ({ default: m.webhookRoutes })),
    { queue: previews },
  );
  await app.register(
    import('./routes/status.js').then((m) => ({ default: m.statusRoutes })),
    { checkToken },
  );

  app.addHook('onClose', async () => generator.close());
  if (options.warm !== false) void generator.warm();
  return app;
}
