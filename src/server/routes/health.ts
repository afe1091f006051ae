import type { FastifyPluginAsync } from 'fastify';
import { createError } from '../../core/errors.js';
import type { Generator } from '../generator/generator.js';
import type { ServerMetrics } from '../metrics.js';

/** `/healthz` (the process answers), `/readyz` (the default repo has loaded once), `/metrics` (Prometheus). */
export const healthRoutes: FastifyPluginAsync<{ generator: Generator; metrics: ServerMetrics }> = async (app, { generator, metrics }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => {
    if (generator.isReady()) return { status: 'ready' };
    void generator.warm();
    throw createError('GK_NOT_READY', 'the default platform repo has not been loaded yet');
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
};
