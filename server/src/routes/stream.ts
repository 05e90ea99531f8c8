import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { isClipQuery } from '../services/instant-clips.ts';
import { sendFile, sendObject } from './send-file.ts';

/** Content types players insist on (hls.js is lenient; Safari's native HLS is not). */
const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.vtt': 'text/vtt; charset=utf-8',
};

/** Playlists change while the video encodes (EVENT playlists grow); everything else is written once. */
const PLAYLIST_CACHE = 'no-cache';
const FILE_CACHE = 'public, max-age=31536000, immutable';

/**
 * GET/HEAD /stream/:videoId/*: the encoder's output folder (playlists, fMP4 segments, poster), with
 * Range and ETag, for players on any origin. The stream gate (stream-gate.ts) has already admitted the
 * request — protection, origins, CORS — before this runs; it also rewrites playlists for a grant.
 */
export default async function streamRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.route<{ Params: { videoId: string; '*': string } }>({
    method: ['GET', 'HEAD'],
    url: '/stream/:videoId/*',
    handler: async (request, reply) => {
      const { videoId, '*': relative } = request.params;
      // An instant clip (`?start=&end=`): the playlists cut to the span; segments are served as ever.
      if (relative.endsWith('.m3u8') && isClipQuery(request.query)) {
        const clip = await ctx.instantClips.playlist(videoId, relative, request.query);
        if (clip === null) throw new ApiError('not_found', `no file ${relative} in video ${videoId}`);
        return reply.type(CONTENT_TYPES['.m3u8']!).header('cache-control', PLAYLIST_CACHE).send(clip);
      }
      // Caption tracks: the master gains its subtitle group, and track playlists/WebVTT are generated.
      // Playlists among them still pass the gate's onSend, which signs their URIs for a grant.
      const text = await ctx.tracks.streamText(videoId, relative);
      if (text) {
        const type = text.type === 'vtt' ? CONTENT_TYPES['.vtt']! : CONTENT_TYPES['.m3u8']!;
        reply
          .header('content-type', type)
          .header('cache-control', text.type === 'vtt' ? FILE_CACHE : PLAYLIST_CACHE);
        return reply.send(text.body);
      }
      if (ctx.outputs.kind !== 'local') return serveStored(request, reply, ctx, videoId, relative);
      const file = await ctx.storage.realVideoFile(videoId, relative);
      if (!file) throw new ApiError('not_found', `no file ${relative} in video ${videoId}`);
      const ext = path.extname(file).toLowerCase();
      const contentType = CONTENT_TYPES[ext] ?? 'application/octet-stream';
      if (ext === '.m3u8' && request.playbackGrant) {
        // The gate's onSend rewrites the text for this viewer; a few KB, read whole.
        const text = await fs.promises.readFile(file, 'utf8').catch(() => null);
        if (text === null) throw new ApiError('not_found', `no file ${relative} in video ${videoId}`);
        return reply.type(contentType).header('cache-control', PLAYLIST_CACHE).send(text);
      }
      return sendFile(request, reply, file, {
        contentType,
        cacheControl: ext === '.m3u8' ? PLAYLIST_CACHE : FILE_CACHE,
      });
    },
  });
}

/**
 * Scaled out: the current attempt's objects. Playlists are read and answered by the API (the gate
 * checks the token and signs their child URIs; `no-cache`); every other file is a 302 to a presigned
 * GET, or streamed through with `VOD_S3_PROXY=1`.
 */
async function serveStored(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: AppContext,
  videoId: string,
  relative: string,
): Promise<FastifyReply> {
  const missing = () => new ApiError('not_found', `no file ${relative} in video ${videoId}`);
  const ext = path.extname(relative).toLowerCase();
  const contentType = CONTENT_TYPES[ext] ?? 'application/octet-stream';
  if (ext === '.m3u8') {
    const text = await ctx.outputs.readText(videoId, relative);
    if (text === null) throw missing();
    return reply.type(contentType).header('cache-control', PLAYLIST_CACHE).send(text);
  }
  const located = await ctx.outputs.locate(videoId, relative);
  const store = ctx.outputs.store;
  if (!located || !('key' in located) || !store) throw missing();
  return sendObject(request, reply, { store, presign: (k) => ctx.outputs.presign(k) }, located.key, {
    contentType,
    cacheControl: FILE_CACHE,
    proxy: ctx.outputs.proxy,
  });
}
