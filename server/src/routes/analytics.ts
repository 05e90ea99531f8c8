import type { FastifyError, FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { StatsQuery } from '../services/analytics.ts';
import { MAX_BEACON_BYTES, parseBeacon } from '../services/beacons.ts';

const statsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', maxLength: 64 },
    to: { type: 'string', maxLength: 64 },
    granularity: { type: 'string', enum: ['hour', 'day'] },
  },
} as const;

const videoParams = {
  type: 'object',
  required: ['videoId'],
  properties: { videoId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/**
 * Viewer analytics (issue 16): the public beacon endpoint and the stats API. Beacons need no key
 * and come from any origin (the global CORS answers every origin); `navigator.sendBeacon` sends its
 * string body as text/plain, which fastify's own parser hands over as a string.
 */
export default async function analyticsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  // Only this plugin's routes: a beacon over 16 KB is beacon_too_large, not the upload code.
  app.setErrorHandler((err: FastifyError, _request, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .status(413)
        .header('connection', 'close')
        .send(new ApiError('beacon_too_large', `a beacon is at most ${MAX_BEACON_BYTES} bytes`).toBody());
    }
    if (err instanceof ApiError && err.code === 'too_many_beacons') {
      const { retryAfterS } = err.details as { retryAfterS: number };
      return reply.status(429).header('retry-after', String(retryAfterS)).send(err.toBody());
    }
    throw err;
  });

  if (ctx.config.analytics.enabled) {
    app.post('/v1/beacons', { bodyLimit: MAX_BEACON_BYTES }, async (request, reply) => {
      const beacon = parseBeacon(request.body);
      await ctx.beacons.accept(beacon, { ip: request.ip, userAgent: request.headers['user-agent'] ?? '' });
      // The same answer whether the video exists or the beacon was dropped: nothing to probe ids with.
      return reply.status(202).header('cache-control', 'no-store').send();
    });
  }

  app.get<{ Params: { videoId: string }; Querystring: StatsQuery }>(
    '/v1/videos/:videoId/stats',
    { schema: { params: videoParams, querystring: statsQuery }, config: { permission: 'allow_read' } },
    async (request) => ctx.analytics.videoStats(request.principal, request.params.videoId, request.query),
  );

  app.get<{ Querystring: StatsQuery }>(
    '/v1/stats',
    { schema: { querystring: statsQuery }, config: { permission: 'allow_read' } },
    async (request) => ctx.analytics.keyStats(request.principal, request.query),
  );
}
