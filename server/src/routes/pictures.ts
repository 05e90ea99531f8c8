import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';

const videoParams = {
  type: 'object',
  required: ['videoId'],
  properties: { videoId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/** Types only: ranges depend on the video and are checked by the service (400 with the bounds). */
const thumbnailQuery = {
  type: 'object',
  properties: {
    time: { type: 'number' },
    width: { type: 'integer' },
  },
} as const;

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The poster switches from the encode's to the representative one, and a storyboard may appear. */
const REVALIDATE = 'no-cache';

/**
 * Pictures under /stream/:videoId/ (so the playback-token gate covers them like every stream URL):
 * - `thumbnail.jpg|webp?time=&width=`: one frame, rendered on demand and cached;
 * - `storyboard.vtt`: the seek-preview storyboard (its sheet is a plain file beside it);
 * - `poster.jpg`: the representative poster, else the encode's.
 * More specific than the stream's `/*` route, which serves every other file.
 */
export default async function picturesRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const root = ctx.storage.videosDir;
  await app.register(fastifyStatic, { root, serve: false, cacheControl: false });

  const send = (reply: FastifyReply, file: string, type: string, cache: string) => {
    reply.header('access-control-allow-origin', '*');
    reply.header('access-control-expose-headers', 'Content-Length, Content-Range, Accept-Ranges, ETag');
    reply.header('content-type', type);
    reply.header('cache-control', cache);
    return reply.sendFile(path.relative(root, file), root);
  };

  for (const format of ['jpg', 'webp'] as const) {
    app.get<{ Params: { videoId: string }; Querystring: { time?: number; width?: number } }>(
      `/stream/:videoId/thumbnail.${format}`,
      { schema: { params: videoParams, querystring: thumbnailQuery } },
      async (request, reply) => {
        const { time, width } = request.query;
        let result: { file: string; cached: boolean };
        try {
          result = await ctx.pictures.thumbnail(request.params.videoId, { time, width, format });
        } catch (err) {
          if (err instanceof ApiError && err.status === 503) reply.header('retry-after', '2');
          throw err;
        }
        reply.header('x-vodkit-cache', result.cached ? 'hit' : 'miss');
        return send(reply, result.file, format === 'jpg' ? 'image/jpeg' : 'image/webp', IMMUTABLE);
      },
    );
  }

  app.get<{ Params: { videoId: string } }>(
    '/stream/:videoId/storyboard.vtt',
    { schema: { params: videoParams } },
    async (request, reply) => {
      const file = await ctx.pictures.storyboardFile(request.params.videoId);
      if (!file) throw new ApiError('not_found', `no storyboard for video ${request.params.videoId} (yet)`);
      return send(reply, file, 'text/vtt; charset=utf-8', REVALIDATE);
    },
  );

  app.get<{ Params: { videoId: string } }>(
    '/stream/:videoId/poster.jpg',
    { schema: { params: videoParams } },
    async (request, reply) => {
      const file = await ctx.pictures.posterFile(request.params.videoId);
      if (!file) throw new ApiError('not_found', `no poster for video ${request.params.videoId} (yet)`);
      return send(reply, file, 'image/jpeg', REVALIDATE);
    },
  );
}
