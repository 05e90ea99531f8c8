import type { CreateClipRequest } from '@vodkit/api';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';

const params = {
  type: 'object',
  required: ['videoId'],
  properties: { videoId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/** The JSON shape only; the service checks the span against the video (400 validation_failed). */
const body = {
  type: 'object',
  required: ['start', 'end'],
  additionalProperties: false,
  properties: {
    start: { type: 'number' },
    end: { type: 'number' },
    title: { type: 'string', maxLength: 500 },
  },
} as const;

/** `POST /v1/videos/:videoId/clips`: a new video of a span of that one, cut from its source (services/clips.ts). */
export default async function clipsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Params: { videoId: string }; Body: CreateClipRequest }>(
    '/v1/videos/:videoId/clips',
    { schema: { params, body }, config: { permission: 'allow_encode' } },
    async (request, reply) => {
      // A cheap early refusal; the insert itself holds the limit against concurrent creates.
      await ctx.quotas.checkNewJob(request.principal.apiKey);
      return reply
        .status(201)
        .send(await ctx.clips.create(request.principal, request.params.videoId, request.body));
    },
  );
}
