import type { FastifyPluginAsync } from 'fastify';
import { createError } from '../../core/errors.js';
import type { Generator } from '../generator/generator.js';
import { getParamsBodySchema, type GetParamsBody } from '../generator/request.js';

/** Options of the getparams route. */
export interface GetParamsRouteOptions {
  generator: Generator;
  /** The bearer check (constant time). */
  checkToken: (authorization: string | undefined) => boolean;
}

/**
 * `POST /api/v1/getparams.execute`: Argo CD's plugin generator contract. The
 * token is checked before the body is even parsed; any failure is a non-2xx
 * with `{message}`, never a short list.
 */
export const getParamsRoute: FastifyPluginAsync<GetParamsRouteOptions> = async (app, { generator, checkToken }) => {
  // Scoped to this plugin: routes registered elsewhere (webhooks, status) do their own auth.
  app.addHook('onRequest', async (request) => {
    if (!checkToken(request.headers.authorization)) {
      throw createError('GK_UNAUTHORIZED', 'missing or wrong bearer token');
    }
  });
  app.post<{ Body: GetParamsBody }>('/api/v1/getparams.execute', { schema: { body: getParamsBodySchema } }, async (request, reply) => {
    const result = await generator.getReply(request.body ?? {});
    request.log.info(
      { applicationSet: request.body?.applicationSetName, commit: result.commit, sets: result.count, jsonBytes: result.length },
      'getparams answered',
    );
    reply.type('application/json; charset=utf-8').header('vary', 'accept-encoding');
    if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
      return reply.header('content-encoding', 'gzip').send(await result.gzipped());
    }
    return reply.header('content-length', result.length).send(result.plain());
  });
};
