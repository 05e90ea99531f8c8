import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { MAX_MINT_S, MAX_ORIGINS } from '../services/playback.ts';

const videoParams = {
  type: 'object',
  required: ['videoId'],
  properties: { videoId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const origins = {
  anyOf: [
    { type: 'null' },
    { type: 'array', maxItems: MAX_ORIGINS, items: { type: 'string', minLength: 1, maxLength: 300 } },
  ],
} as const;

const patchVideoBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    protected: { type: 'boolean' },
    allowedOrigins: origins,
    // Plain text, one line: shown in the Studio, the embed page's title and oEmbed.
    title: { type: ['string', 'null'], maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]*$' },
  },
} as const;

const mintBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { expiresIn: { type: 'integer', minimum: 10, maximum: MAX_MINT_S } },
} as const;

const settingsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['allowedOrigins'],
  properties: { allowedOrigins: origins },
} as const;

/**
 * fastify's ajv strips unknown properties (`removeAdditional`) instead of failing: check the raw body
 * first, so a field we do not implement is refused rather than silently ignored.
 */
function onlyFields(...allowed: string[]) {
  return async (request: FastifyRequest): Promise<void> => {
    const body = request.body;
    if (body === undefined || body === null || typeof body !== 'object') return;
    const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
    if (unknown.length > 0) {
      throw new ApiError(
        'validation_failed',
        `unknown field(s) ${unknown.join(', ')}; allowed: ${allowed.join(', ')}`,
      );
    }
  };
}

/**
 * Protected playback settings: a video's `protected` flag and allowed origins, playback tokens, and the
 * key-wide allowed origins (`/v1/playback-settings`) that videos without their own list inherit.
 */
export default async function playbackRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.patch<{
    Params: { videoId: string };
    Body: { protected?: boolean; allowedOrigins?: string[] | null; title?: string | null };
  }>(
    '/v1/videos/:videoId',
    {
      schema: { params: videoParams, body: patchVideoBody },
      preValidation: onlyFields('protected', 'allowedOrigins', 'title'),
      config: { permission: 'allow_encode' },
    },
    async (request) => {
      const { videoId } = request.params;
      const { title, ...protection } = request.body;
      // Origins are checked (and refused) before anything is written; the title cannot fail after that.
      const settings = await ctx.playback.update(request.principal, videoId, protection);
      if (title !== undefined) await ctx.videos.setTitle(request.principal, videoId, title);
      return {
        ...(await ctx.videos.get(request.principal, videoId)),
        allowedOrigins: settings.allowedOrigins,
      };
    },
  );

  app.post<{ Params: { videoId: string }; Body: { expiresIn?: number } | null }>(
    '/v1/videos/:videoId/playback-tokens',
    {
      schema: { params: videoParams, body: mintBody },
      preValidation: onlyFields('expiresIn'),
      config: { permission: 'allow_read' },
    },
    async (request, reply) => {
      const minted = await ctx.playback.mint(
        request.principal,
        request.params.videoId,
        request.body?.expiresIn ?? undefined,
      );
      return reply.status(201).send(minted);
    },
  );

  app.get('/v1/playback-settings', { config: { permission: 'allow_read' } }, async (request) => ({
    allowedOrigins: await ctx.playback.keyOrigins(request.principal.apiKey),
  }));

  app.patch<{ Body: { allowedOrigins: string[] | null } }>(
    '/v1/playback-settings',
    {
      schema: { body: settingsBody },
      preValidation: onlyFields('allowedOrigins'),
      config: { permission: 'allow_admin' },
    },
    async (request) => ({
      allowedOrigins: await ctx.playback.setKeyOrigins(request.principal.apiKey, request.body.allowedOrigins),
    }),
  );
}
