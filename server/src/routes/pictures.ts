import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { StoredOutput } from '../storage/outputs.ts';
import { sendObject } from './send-file.ts';

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

/** Animated previews: types only, as thumbnails; the limits are the service's (400 with the bounds). */
const animatedQuery = {
  type: 'object',
  properties: {
    start: { type: 'number' },
    end: { type: 'number' },
    width: { type: 'integer' },
    fps: { type: 'integer' },
  },
} as const;

interface AnimatedQuery {
  start?: number;
  end?: number;
  width?: number;
  fps?: number;
}

/** A busy or over-budget render answers with when to come back (`Retry-After`). */
async function withRetryAfter<T>(reply: FastifyReply, render: () => Promise<T>): Promise<T> {
  try {
    return await render();
  } catch (err) {
    if (err instanceof ApiError && err.status === 503) reply.header('retry-after', '2');
    const wait = err instanceof ApiError && (err.details as { retryAfterS?: number })?.retryAfterS;
    if (wait) reply.header('retry-after', String(wait));
    throw err;
  }
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The poster switches from the encode's to the representative one, and a storyboard may appear. */
const REVALIDATE = 'no-cache';

/**
 * Pictures under /stream/:videoId/ (so the playback-token gate covers them like every stream URL):
 * - `thumbnail.jpg|webp?time=&width=`: one frame, rendered on demand and cached; the time and width
 *   it shows (after snapping) come back in `X-Vodkit-Time` / `X-Vodkit-Width`;
 * - `animated.webp|gif?start=&end=&width=&fps=`: a few seconds as an animation, cached and bounded
 *   like the thumbnails (`X-Vodkit-Start` / `-End` / `-Width` say what it shows);
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
  /** A picture of the video's outputs: a local file, or (scaled out) a 302 / proxied object. */
  const sendStored = (
    request: FastifyRequest,
    reply: FastifyReply,
    stored: StoredOutput,
    type: string,
    cache: string,
  ) => {
    if ('file' in stored) return send(reply, stored.file, type, cache);
    const source = { store: ctx.outputs.store!, presign: (k: string) => ctx.outputs.presign(k) };
    return sendObject(request, reply, source, stored.key, {
      contentType: type,
      cacheControl: cache,
      proxy: ctx.outputs.proxy,
    });
  };

  for (const format of ['jpg', 'webp'] as const) {
    app.get<{ Params: { videoId: string }; Querystring: { time?: number; width?: number } }>(
      `/stream/:videoId/thumbnail.${format}`,
      { schema: { params: videoParams, querystring: thumbnailQuery } },
      async (request, reply) => {
        const { time, width } = request.query;
        const result = await withRetryAfter(reply, () =>
          ctx.pictures.thumbnail(request.params.videoId, { time, width, format, client: request.ip }),
        );
        // What the picture shows, after snapping: a client can ask for exactly that next time.
        reply.header('x-vodkit-cache', result.cache);
        reply.header('x-vodkit-time', result.timeS.toFixed(3));
        reply.header('x-vodkit-width', String(result.width));
        // A neighbour served while busy must not stand in for the asked frame in any cache.
        const cache = result.cache === 'nearest' ? REVALIDATE : IMMUTABLE;
        return send(reply, result.file, format === 'jpg' ? 'image/jpeg' : 'image/webp', cache);
      },
    );
  }

  for (const format of ['webp', 'gif'] as const) {
    app.get<{ Params: { videoId: string }; Querystring: AnimatedQuery }>(
      `/stream/:videoId/animated.${format}`,
      { schema: { params: videoParams, querystring: animatedQuery } },
      async (request, reply) => {
        const preview = await withRetryAfter(reply, () =>
          ctx.pictures.animated(request.params.videoId, { ...request.query, format, client: request.ip }),
        );
        reply.header('x-vodkit-cache', preview.cache);
        reply.header('x-vodkit-start', preview.startS.toFixed(3));
        reply.header('x-vodkit-end', preview.endS.toFixed(3));
        reply.header('x-vodkit-width', String(preview.width));
        return send(reply, preview.file, format === 'gif' ? 'image/gif' : 'image/webp', IMMUTABLE);
      },
    );
  }

  app.get<{ Params: { videoId: string } }>(
    '/stream/:videoId/storyboard.vtt',
    { schema: { params: videoParams } },
    async (request, reply) => {
      const videoId = request.params.videoId;
      const stored = await ctx.pictures.storyboardFile(videoId);
      const missing = () => new ApiError('not_found', `no storyboard for video ${videoId} (yet)`);
      if (!stored) throw missing();
      if ('file' in stored) return send(reply, stored.file, 'text/vtt; charset=utf-8', REVALIDATE);
      // A text the API answers itself, like a playlist: its sheet is named relative to this URL.
      const text = await ctx.outputs.readText(videoId, 'storyboard.vtt');
      if (text === null) throw missing();
      reply.header('content-type', 'text/vtt; charset=utf-8').header('cache-control', REVALIDATE);
      return reply.send(text);
    },
  );

  app.get<{ Params: { videoId: string } }>(
    '/stream/:videoId/poster.jpg',
    { schema: { params: videoParams } },
    async (request, reply) => {
      const stored = await ctx.pictures.posterFile(request.params.videoId);
      if (!stored) throw new ApiError('not_found', `no poster for video ${request.params.videoId} (yet)`);
      return sendStored(request, reply, stored, 'image/jpeg', REVALIDATE);
    },
  );
}
