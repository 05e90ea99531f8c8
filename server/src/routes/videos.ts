import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../context.ts';
import type { VideoState } from '../services/videos.ts';
import { eventStreams, eventsQuery, type Frame } from './event-streams.ts';

const videoParams = {
  type: 'object',
  required: ['videoId'],
  properties: { videoId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/** The first SSE event: named after where the video stands, carrying the whole state. */
function stateEvent(state: VideoState): Frame {
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

  const streams = eventStreams(app, ctx);

  app.get<{ Params: { videoId: string }; Querystring: { token?: string } }>(
    '/v1/videos/:videoId/events',
    // EventSource cannot set headers: the API token may come as ?token= instead.
    {
      schema: { params: videoParams, querystring: eventsQuery },
      config: { permission: 'allow_read', tokenInQuery: true },
    },
    async (request, reply: FastifyReply) => {
      const { videoId } = request.params;
      await streams.open(request, reply, {
        key: videoId,
        first: async () => stateEvent(await ctx.videos.state(request.principal, videoId)),
        frameOf: (event) => ({ event: event.type, data: { videoId, ...event.data } }),
      });
    },
  );
}
