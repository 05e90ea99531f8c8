import { type CreateJobRequest, RESOLUTIONS } from '@vodkit/api';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { type PageQuery, pageQuery } from './schemas.ts';

const resolutions = { type: 'array', minItems: 1, items: { type: 'string', enum: RESOLUTIONS } } as const;

/** The JSON shape only; the service checks meaning (ownership, timestamps, URLs) for any caller. */
const createBody = {
  type: 'object',
  required: ['fileId'],
  additionalProperties: false,
  properties: {
    fileId: { type: 'string', minLength: 1, maxLength: 64 },
    presets: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: { resolutions, format: { type: 'string', enum: ['hls', 'mp4', 'm4a'] } },
      },
    },
    thumbnails: {
      type: 'array',
      items: {
        type: 'object',
        required: ['timestamp'],
        additionalProperties: false,
        properties: {
          timestamp: { type: 'string', maxLength: 32 },
          resolutions,
          formats: { type: 'array', minItems: 1, items: { type: 'string', enum: ['jpg', 'webp'] } },
        },
      },
    },
    webhookUrl: { type: 'string', maxLength: 2048 },
    userData: { type: 'object' },
    protected: { type: 'boolean' },
    // Ranges and positions are checked by the service (400 validation_failed, with the field's name).
    watermark: { type: 'object' },
  },
} as const;

const jobParams = {
  type: 'object',
  required: ['jobId'],
  properties: { jobId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/** Encoder jobs: create (the ladder for one file), read, list, cancel. */
export default async function jobsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: CreateJobRequest }>(
    '/v1/encoder/jobs',
    { schema: { body: createBody }, config: { permission: 'allow_encode' } },
    async (request, reply) => {
      await ctx.webhooks.checkJobWebhook(request.principal, request.body.webhookUrl);
      // A cheap early refusal; the insert itself holds the limit against concurrent creates.
      await ctx.quotas.checkNewJob(request.principal.apiKey);
      return reply.status(201).send(await ctx.encoding.create(request.principal, request.body));
    },
  );

  app.get<{ Querystring: PageQuery }>(
    '/v1/encoder/jobs',
    { schema: { querystring: pageQuery }, config: { permission: 'allow_read' } },
    async (request) => ctx.encoding.list(request.principal, request.query.page, request.query.perPage),
  );

  app.get<{ Params: { jobId: string } }>(
    '/v1/encoder/jobs/:jobId',
    { schema: { params: jobParams }, config: { permission: 'allow_read' } },
    async (request) => ctx.encoding.get(request.principal, request.params.jobId),
  );

  app.delete<{ Params: { jobId: string } }>(
    '/v1/encoder/jobs/:jobId',
    // Cancelling destroys work (the partial output goes): it takes allow_delete, like deleting.
    { schema: { params: jobParams }, config: { permission: 'allow_delete' } },
    async (request) => ctx.encoding.cancel(request.principal, request.params.jobId),
  );
}
