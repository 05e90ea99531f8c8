import { MAX_CHAPTERS, type SetChaptersRequest } from '@vodkit/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { CHAPTERS_FILE } from '../media/chapters.ts';
import { videoParams } from './schemas.ts';

/** The shape only; order, range and the cleaned title's length are the service's (`validChapters`). */
const chaptersBody = {
  type: 'object',
  required: ['chapters'],
  additionalProperties: false,
  properties: {
    chapters: {
      type: 'array',
      maxItems: MAX_CHAPTERS,
      items: {
        type: 'object',
        required: ['start', 'title'],
        additionalProperties: false,
        properties: {
          start: { type: 'number', minimum: 0 },
          // Raw text before cleaning (markup is dropped): bounded, the cleaned cap is the service's.
          title: { type: 'string', minLength: 1, maxLength: 1000 },
        },
      },
    },
  },
} as const;

/**
 * fastify's ajv strips unknown properties instead of failing: a field we do not implement (a chapter's
 * `end`, `href`…) is refused here, on the raw body, rather than silently dropped.
 */
async function exactFields(request: FastifyRequest): Promise<void> {
  const body = request.body as { chapters?: unknown } | null;
  const unknown = (value: unknown, allowed: string[]) =>
    value !== null && typeof value === 'object' && Object.keys(value).some((k) => !allowed.includes(k));
  const items = Array.isArray(body?.chapters) ? body.chapters : [];
  if (unknown(body, ['chapters']) || items.some((c) => unknown(c, ['start', 'title']))) {
    throw new ApiError('validation_failed', 'the body is {chapters: [{start, title}]}, with no other fields');
  }
}

/**
 * Chapters of a video:
 *   GET /v1/videos/:videoId/chapters     allow_read
 *   PUT /v1/videos/:videoId/chapters     allow_encode; `{chapters: [{start, title}]}` replaces them
 *   GET /stream/:videoId/chapters.vtt    public behind the stream gate; WebVTT chapters (empty when none)
 */
export default async function chaptersRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Params: { videoId: string } }>(
    '/v1/videos/:videoId/chapters',
    { schema: { params: videoParams }, config: { permission: 'allow_read' } },
    async (request) => ctx.chapters.get(request.principal, request.params.videoId),
  );

  app.put<{ Params: { videoId: string }; Body: SetChaptersRequest }>(
    '/v1/videos/:videoId/chapters',
    {
      schema: { params: videoParams, body: chaptersBody },
      preValidation: exactFields,
      config: { permission: 'allow_encode' },
    },
    async (request) => ctx.chapters.set(request.principal, request.params.videoId, request.body),
  );

  app.route<{ Params: { videoId: string } }>({
    method: ['GET', 'HEAD'],
    url: `/stream/:videoId/${CHAPTERS_FILE}`,
    handler: async (request, reply) => {
      const vtt = await ctx.chapters.vtt(request.params.videoId);
      if (vtt === null) throw new ApiError('not_found', `no video ${request.params.videoId}`);
      // Chapters change with a PUT: revalidate, as playlists do.
      return reply.type('text/vtt; charset=utf-8').header('cache-control', 'no-cache').send(vtt);
    },
  });
}
