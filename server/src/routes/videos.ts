import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { VideoEvent } from '../services/events.ts';
import type { VideoState } from '../services/videos.ts';

const videoParams = {
  type: 'object',
  required: ['videoId'],
  properties: { videoId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const eventsQuery = {
  type: 'object',
  properties: { token: { type: 'string', maxLength: 4096 } },
} as const;

/** Comment lines keep proxies and the browser from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
/** How often open streams re-check their key (revoked?) and token (expired?). */
const SSE_RECHECK_MS = 1000;
/** Events held while the first state is read (a few progress ticks at most). */
const MAX_HELD_EVENTS = 100;

/** The first SSE event: named after where the video stands, carrying the whole state. */
function stateEvent(state: VideoState): { event: string; data: Record<string, unknown> } {
  const { video } = state;
  const event =
    video.status === 'completed'
      ? 'completed'
      : video.status === 'failed' || video.status === 'cancelled'
        ? 'failed'
        : video.playback
          ? 'playable'
          : 'progress';
  return {
    event,
    data: {
      jobId: video.jobId,
      status: video.status,
      progress: state.progress,
      playback: video.playback,
      renditions: video.renditions,
      error: state.error,
      video,
    },
  };
}

const frame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** Videos: playback info, and live encoding events over Server-Sent Events. */
export default async function videosRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Params: { videoId: string } }>(
    '/v1/videos/:videoId',
    { schema: { params: videoParams }, config: { permission: 'allow_read' } },
    async (request) => ({
      ...(await ctx.videos.get(request.principal, request.params.videoId)),
      allowedOrigins: await ctx.playback.videoOrigins(request.principal, request.params.videoId),
    }),
  );

  // Streams never end by themselves: close them before the server waits for its connections.
  const open = new Map<ServerResponse, { apiKey: string; expiresAt: number }>();
  const perKey = new Map<string, number>();
  app.addHook('preClose', async () => {
    for (const res of open.keys()) res.end();
  });
  // A stream outlives the check made when it opened: the key may be revoked and the token expire
  // meanwhile. Both end the stream with a last `closed` event naming why.
  let rechecking = false;
  const recheckOnce = async () => {
    const usable = new Map<string, boolean>();
    for (const { apiKey } of open.values()) {
      if (!usable.has(apiKey)) usable.set(apiKey, await ctx.auth.keyUsable(apiKey));
    }
    const now = Date.now();
    for (const [res, { apiKey, expiresAt }] of open) {
      const ok = usable.get(apiKey) ?? true; // opened while we looked: the next pass checks it
      const code = !ok ? 'auth_revoked_key' : expiresAt <= now ? 'auth_expired' : null;
      if (code) res.end(frame('closed', { code }));
    }
  };
  const recheck = setInterval(() => {
    if (rechecking) return;
    rechecking = true;
    recheckOnce()
      .catch((err: unknown) => app.log.error({ err }, 'event streams: recheck failed'))
      .finally(() => {
        rechecking = false;
      });
  }, SSE_RECHECK_MS).unref();
  app.addHook('onClose', async () => clearInterval(recheck));

  app.get<{ Params: { videoId: string }; Querystring: { token?: string } }>(
    '/v1/videos/:videoId/events',
    // EventSource cannot set headers: the API token may come as ?token= instead.
    {
      schema: { params: videoParams, querystring: eventsQuery },
      config: { permission: 'allow_read', tokenInQuery: true },
    },
    async (request, reply: FastifyReply) => {
      const { videoId } = request.params;
      const { apiKey, expiresAt = Number.POSITIVE_INFINITY } = request.principal;
      if (open.size >= ctx.config.sseMax) {
        throw new ApiError('too_many_streams', 'the server has as many open event streams as it allows');
      }
      if ((perKey.get(apiKey) ?? 0) >= ctx.config.sseMaxPerKey) {
        throw new ApiError(
          'too_many_streams',
          `this API key has ${ctx.config.sseMaxPerKey} open event streams already: close one first`,
        );
      }
      // Listening before the state is read: an event emitted while the database answers is held and
      // sent after the state (at worst a repeat of what the state says), never lost.
      const held: VideoEvent[] = [];
      let send: ((event: VideoEvent) => void) | null = null;
      const unsubscribe = ctx.events.on(videoId, (event: VideoEvent) => {
        if (send) send(event);
        else if (held.length < MAX_HELD_EVENTS) held.push(event);
      });
      let first: ReturnType<typeof stateEvent>;
      try {
        // Throws 404 before any byte of the stream is sent.
        first = stateEvent(await ctx.videos.state(request.principal, videoId));
      } catch (err) {
        unsubscribe();
        throw err;
      }

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        // Keeps the CORS headers @fastify/cors put on the reply.
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx would otherwise buffer the stream.
        'x-accel-buffering': 'no',
      });
      res.write(`retry: 3000\n${frame(first.event, first.data)}`);
      send = (event) => res.write(frame(event.type, { videoId, ...event.data }));
      for (const event of held.splice(0)) send(event);
      const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      // The heartbeat keeps it alive: the idle-connection timeout is for request bodies.
      request.raw.socket.setTimeout(0);
      open.set(res, { apiKey, expiresAt });
      perKey.set(apiKey, (perKey.get(apiKey) ?? 0) + 1);
      // The response's close (not the request's, which fires once the GET is read) means the client left.
      res.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        if (open.delete(res)) {
          const n = (perKey.get(apiKey) ?? 1) - 1;
          if (n > 0) perKey.set(apiKey, n);
          else perKey.delete(apiKey);
        }
      });
    },
  );
}
