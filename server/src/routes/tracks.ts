import type { CreateCaptionTrackRequest } from '@vodkit/api';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { MAX_CAPTION_BYTES } from '../services/tracks.ts';

const videoParams = {
  type: 'object',
  required: ['videoId'],
  properties: { videoId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const trackParams = {
  type: 'object',
  required: ['videoId', 'trackId'],
  properties: {
    videoId: { type: 'string', minLength: 1, maxLength: 64 },
    trackId: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

/** Caption file types accepted as a raw body, metadata then in the query string. */
const RAW_TYPES = ['text/vtt', 'application/x-subrip', 'text/srt'];
const FIELDS = new Set(['language', 'label', 'kind', 'default', 'format', 'content']);

/**
 * Text tracks of a video:
 *   POST   /v1/videos/:videoId/tracks            allow_encode; JSON `{language, label?, kind?, default?, format?, content}`
 *                                                or a raw text/vtt | application/x-subrip | text/plain body with
 *                                                `?language=&label=&kind=&default=&format=`
 *   GET    /v1/videos/:videoId/tracks            allow_read
 *   PATCH  /v1/videos/:videoId/tracks/:trackId   allow_encode; `{default: boolean}` (one default per video)
 *   DELETE /v1/videos/:videoId/tracks/:trackId   allow_delete
 */
export default async function tracksRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  // Encapsulated in this plugin: no other route accepts these types.
  app.addContentTypeParser(RAW_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post<{ Params: { videoId: string }; Querystring: Record<string, string> }>(
    '/v1/videos/:videoId/tracks',
    {
      schema: { params: videoParams },
      config: { permission: 'allow_encode' },
      // JSON escaping makes the same file up to a few times bigger; the service counts the real bytes.
      bodyLimit: 4 * MAX_CAPTION_BYTES,
      errorHandler: tooLargeAsCaptions,
    },
    async (request, reply) => {
      const track = await ctx.tracks.add(request.principal, request.params.videoId, readRequest(request));
      return reply.status(201).send(track);
    },
  );

  app.get<{ Params: { videoId: string } }>(
    '/v1/videos/:videoId/tracks',
    { schema: { params: videoParams }, config: { permission: 'allow_read' } },
    async (request) => ctx.tracks.list(request.principal, request.params.videoId),
  );

  app.patch<{ Params: { videoId: string; trackId: string }; Body: { default: boolean } }>(
    '/v1/videos/:videoId/tracks/:trackId',
    {
      schema: {
        params: trackParams,
        body: {
          type: 'object',
          required: ['default'],
          additionalProperties: false,
          properties: { default: { type: 'boolean' } },
        },
      },
      config: { permission: 'allow_encode' },
    },
    async (request) => {
      const { videoId, trackId } = request.params;
      return ctx.tracks.setDefault(request.principal, videoId, trackId, request.body.default);
    },
  );

  app.delete<{ Params: { videoId: string; trackId: string } }>(
    '/v1/videos/:videoId/tracks/:trackId',
    { schema: { params: trackParams }, config: { permission: 'allow_delete' } },
    async (request, reply) => {
      await ctx.tracks.delete(request.principal, request.params.videoId, request.params.trackId);
      return reply.status(204).send();
    },
  );
}

function tooLargeAsCaptions(error: FastifyError, _request: FastifyRequest, _reply: FastifyReply): void {
  if (error.statusCode === 413) {
    throw new ApiError('captions_too_large', `a caption file may be at most ${MAX_CAPTION_BYTES} bytes`);
  }
  throw error;
}

/** One request shape out of two: the JSON body, or the raw file with its fields in the query. */
function readRequest(
  request: FastifyRequest<{ Querystring: Record<string, string> }>,
): CreateCaptionTrackRequest {
  const query = request.query ?? {};
  const body = request.body;
  if (typeof body === 'string') {
    if ('content' in query) invalid('"content" is the request body, not a query parameter');
    return fields({ ...query, content: body }, true);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    invalid('send JSON {language, content, …} or the caption file as text/vtt with ?language=');
  }
  if (Object.keys(query).length > 0) invalid('with a JSON body every field goes in the body, not the query');
  return fields(body as Record<string, unknown>, false);
}

function fields(raw: Record<string, unknown>, fromQuery: boolean): CreateCaptionTrackRequest {
  for (const key of Object.keys(raw)) if (!FIELDS.has(key)) invalid(`unknown field "${key}"`);
  const { language, label, kind, format, content } = raw;
  let isDefault = raw.default;
  if (fromQuery && isDefault !== undefined) {
    if (isDefault !== 'true' && isDefault !== 'false') invalid('"default" must be true or false');
    isDefault = isDefault === 'true';
  }
  if (typeof language !== 'string') invalid('"language" is required (a BCP 47 tag such as "en")');
  if (label !== undefined && typeof label !== 'string') invalid('"label" must be a string');
  if (kind !== undefined && kind !== 'subtitles' && kind !== 'captions') {
    invalid('"kind" must be "subtitles" or "captions"');
  }
  if (isDefault !== undefined && typeof isDefault !== 'boolean') invalid('"default" must be a boolean');
  if (format !== undefined && format !== 'vtt' && format !== 'srt')
    invalid('"format" must be "vtt" or "srt"');
  if (typeof content !== 'string' || content.length === 0)
    invalid('"content" (the WebVTT or SRT text) is required');
  return {
    language: language as string,
    content: content as string,
    ...(label === undefined ? {} : { label: label as string }),
    ...(kind === undefined ? {} : { kind: kind as 'subtitles' | 'captions' }),
    ...(isDefault === undefined ? {} : { default: isDefault as boolean }),
    ...(format === undefined ? {} : { format: format as 'vtt' | 'srt' }),
  };
}

function invalid(message: string): never {
  throw new ApiError('validation_failed', message);
}
