import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app.ts';
import type { VideoEvent } from '../services/events.ts';
import type { VideoState } from '../services/videos.ts';
import { authorize } from './auth.ts';

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
    { schema: { params: videoParams }, preHandler: authorize(ctx.auth, 'allow_read') },
    async (request) => ctx.videos.get(request.principal, request.params.videoId),
  );

  // Streams never end by themselves: close them before the server waits for its connections.
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  // EventSource cannot set headers: the API token may come as ?token= instead.
  const authorizeEvents = async (request: FastifyRequest<{ Querystring: { token?: string } }>) => {
    const header = request.headers.authorization ?? (request.query.token ? request.query.token : undefined);
    const principal = await ctx.auth.authenticate(header);
    ctx.auth.require(principal, 'allow_read');
    request.principal = principal;
  };

  app.get<{ Params: { videoId: string }; Querystring: { token?: string } }>(
    '/v1/videos/:videoId/events',
    { schema: { params: videoParams, querystring: eventsQuery }, preHandler: authorizeEvents },
    async (request, reply: FastifyReply) => {
      const { videoId } = request.params;
      // Throws 404 before any byte of the stream is sent.
      const first = stateEvent(ctx.videos.state(request.principal, videoId));

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

      const unsubscribe = ctx.events.on(videoId, (event: VideoEvent) => {
        res.write(frame(event.type, { videoId, ...event.data }));
      });
      const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      open.add(res);
      // The response's close (not the request's, which fires once the GET is read) means the client left.
      res.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(res);
      });
    },
  );
}
