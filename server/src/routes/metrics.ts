import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';

/**
 * Operations (issue 16): every reply is timed into `vodkit_http_request_duration_seconds` by its
 * route pattern (bounded labels: never the raw URL), and `GET /metrics` answers the Prometheus text
 * to `Authorization: Bearer $VOD_METRICS_TOKEN`. Without the variable there is no such route (404).
 * Installed on the root instance (like the auth hook) so the hook covers every route.
 */
export function installMetrics(app: FastifyInstance, ctx: AppContext): void {
  const { metrics } = ctx;
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      {
        route: request.routeOptions.url ?? 'unmatched',
        method: request.method,
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  const token = ctx.config.analytics.metricsToken;
  if (!token) return;
  app.get('/metrics', async (request, reply) => {
    const text = await metrics.scrape(request.headers.authorization, token);
    if (text === null)
      throw new ApiError(
        'metrics_token_invalid',
        'GET /metrics needs Authorization: Bearer $VOD_METRICS_TOKEN',
      );
    return reply
      .header('content-type', metrics.registry.contentType)
      .header('cache-control', 'no-store')
      .send(text);
  });
}
