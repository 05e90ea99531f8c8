import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { isValidId } from '../ids.ts';
import { originAllowed, type PlaybackGrant } from '../services/playback.ts';
import { addPlaylistParams } from '../services/playlist-uris.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the stream gate when a protected video's file was admitted by a token or signature. */
    playbackGrant?: PlaybackGrant;
  }
}

export const STREAM_PREFIX = '/stream/';
/** Every route under /stream names its video here: the gate reads the id the router matched. */
const STREAM_ROUTE = /^\/stream\/:videoId(\/|$)/;

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * The one check in front of every file of a video: whatever route serves `/stream/:videoId/…`
 * (playlists, segments, poster, thumbnails, storyboard, captions, downloads, routes added later),
 * a protected video's file goes only to a playback token or playlist signature for that very video,
 * from an allowed origin. Public videos pass after one map lookup.
 *
 * The decision belongs to the ROUTE the router matched, never to the raw request line: the router
 * percent-decodes (`/%73tream/…`) and drops an absolute-form `http://host` prefix, so a check on
 * `request.url` let those spellings through (issue 19 #1). An `onRoute` hook, installed on the root
 * before any route plugin, prepends the gate to every route whose path is under /stream/ — ours and
 * any added later — and refuses at startup a /stream route that does not name `:videoId`. A request
 * that matches no route reaches only the JSON 404.
 *
 * It also owns what every /stream answer shares: CORS `*` without `Vary: Origin` (a CDN would split
 * its cache per origin for nothing), and playlist rewriting: an m3u8 answered to a grant carries the
 * grant's signature to its children, whichever route produced it.
 */
export function installStreamGate(app: FastifyInstance, ctx: AppContext): void {
  const self = [new URL(ctx.config.publicUrl).origin];

  const gate: Hook = async (request, reply) => {
    reply.header('access-control-allow-origin', '*');
    reply.header(
      'access-control-expose-headers',
      'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified',
    );
    reply.removeHeader('vary');
    // A CORS preflight never carries credentials; the request it clears is checked.
    if (request.method === 'OPTIONS') return;
    // As the router decoded it: the id of the video whose files the route is about to serve.
    const videoId = (request.params as { videoId?: unknown }).videoId;
    if (typeof videoId !== 'string' || !isValidId(videoId)) {
      throw new ApiError('not_found', 'no such video');
    }
    // A fresh cache entry answers without a database round trip (every segment of a viewer).
    const access = ctx.playback.cachedAccess(videoId) ?? (await ctx.playback.access(videoId));
    if (!access) throw new ApiError('not_found', `no video ${videoId}`);
    if (!access.protected) return;

    // This server is its configured public origin only, never `http://<Host header>`: with DNS
    // rebinding any site can make its own name point here and send a matching Host (issue 19 #8).
    if (!originAllowed(access.origins, request.headers.origin, request.headers.referer, self)) {
      throw new ApiError('origin_not_allowed', 'this video may not be played from this site');
    }
    const query = request.query as { token?: unknown; sig?: unknown };
    if (typeof query.sig === 'string') {
      request.playbackGrant = await ctx.playback.verifySig(query.sig, access);
      return;
    }
    const auth = request.headers.authorization;
    const token = typeof query.token === 'string' ? query.token : auth?.replace(/^Bearer\s+/i, '').trim();
    if (!token) {
      throw new ApiError('playback_token_missing', 'this video is protected: a playback token is required');
    }
    request.playbackGrant = await ctx.playback.verifyToken(token, access);
  };

  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    // Case-blind: a router made case-insensitive later must not open a second door.
    if (!url.toLowerCase().startsWith(STREAM_PREFIX)) return;
    if (!STREAM_ROUTE.test(url)) {
      throw new Error(`route ${url}: every /stream route must be /stream/:videoId/… (the gate reads it)`);
    }
    const own = route.onRequest;
    route.onRequest = [gate, ...(own === undefined ? [] : Array.isArray(own) ? own : [own])];
  });

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const grant = request.playbackGrant;
    if (!grant) return payload;
    // A protected answer is for this viewer only, and only while the grant lasts.
    if (reply.statusCode < 300) {
      const left = Math.max(0, grant.exp - Math.floor(Date.now() / 1000));
      const type = String(reply.getHeader('content-type') ?? '');
      const playlist = type.includes('mpegurl');
      reply.header('cache-control', playlist ? 'private, no-cache' : `private, max-age=${left}`);
      if (playlist && (typeof payload === 'string' || Buffer.isBuffer(payload))) {
        const text = addPlaylistParams(payload.toString(), { sig: grant.sig });
        reply.header('content-length', Buffer.byteLength(text));
        reply.removeHeader('etag');
        return text;
      }
    }
    return payload;
  });
}
