import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.ts';
import { ApiError } from '../errors.ts';

/** Content types players insist on (hls.js is lenient; Safari's native HLS is not). */
const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
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
 * Range and ETag from @fastify/static, for players on any origin.
 */
export default async function streamRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(fastifyStatic, {
    root: ctx.storage.videosDir,
    serve: false,
    // Set per file type below; only for files that exist, so a 404 is never cached as immutable.
    cacheControl: false,
    setHeaders(reply, filePath) {
      const ext = path.extname(filePath).toLowerCase();
      reply.header('content-type', CONTENT_TYPES[ext] ?? 'application/octet-stream');
      reply.header('cache-control', ext === '.m3u8' ? PLAYLIST_CACHE : FILE_CACHE);
    },
  });

  app.get<{ Params: { videoId: string; '*': string } }>('/stream/:videoId/*', async (request, reply) => {
    const { videoId, '*': relative } = request.params;
    // Players and embeds on any site fetch these; nothing here depends on cookies.
    reply.header('access-control-allow-origin', '*');
    reply.header('access-control-expose-headers', 'Content-Length, Content-Range, Accept-Ranges, ETag');
    // Seam for protected videos (a later issue): a playback token for this very video is checked
    // here, before a byte is served, and playlists are rewritten to carry it.
    // Caption tracks: the master gains its subtitle group, and track playlists/WebVTT are generated.
    const text = await ctx.tracks.streamText(videoId, relative);
    if (text) {
      const type = text.type === 'vtt' ? CONTENT_TYPES['.vtt']! : CONTENT_TYPES['.m3u8']!;
      reply
        .header('content-type', type)
        .header('cache-control', text.type === 'vtt' ? FILE_CACHE : PLAYLIST_CACHE);
      return reply.send(text.body);
    }
    const file = ctx.storage.resolveVideoFile(videoId, relative);
    if (!file) throw new ApiError('not_found', `no file ${relative} in video ${videoId}`);
    return reply.sendFile(path.relative(ctx.storage.videosDir, file), ctx.storage.videosDir);
  });
}
