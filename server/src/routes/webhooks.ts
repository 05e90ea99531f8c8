import { type CreateWebhookRequest, WEBHOOK_EVENTS } from '@vodkit/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { type PageQuery, pageQuery } from './schemas.ts';

const createBody = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', minLength: 1, maxLength: 2048 },
    events: {
      type: 'array',
      minItems: 1,
      maxItems: WEBHOOK_EVENTS.length,
      items: { type: 'string', enum: WEBHOOK_EVENTS },
    },
  },
} as const;

const id = { type: 'string', minLength: 1, maxLength: 64 } as const;
const endpointParams = {
  type: 'object',
  required: ['endpointId'],
  properties: { endpointId: id },
} as const;
const deliveryParams = {
  type: 'object',
  required: ['endpointId', 'deliveryId'],
  properties: { endpointId: id, deliveryId: id },
} as const;

/**
 * Fastify's validator strips unknown properties silently; a field we do not implement is refused
 * instead, so nobody believes it took effect.
 */
async function refuseUnknownFields(request: FastifyRequest): Promise<void> {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const unknown = Object.keys(body).filter((k) => !(k in createBody.properties));
  if (unknown.length > 0) {
    throw new ApiError(
      'validation_failed',
      `unknown field(s): ${unknown.join(', ')}; expected url and events`,
    );
  }
}

/**
 * Webhook endpoints of the caller's key, their delivery logs and replays, and the key's signing
 * secret for jobs' `webhookUrl`. All of it needs `allow_admin`: an endpoint receives every video's
 * events, and a secret is a secret.
 */
export default async function webhooksRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const admin = { permission: 'allow_admin' } as const;

  app.post<{ Body: CreateWebhookRequest }>(
    '/v1/webhooks',
    { schema: { body: createBody }, config: admin, preValidation: refuseUnknownFields },
    async (request, reply) =>
      reply.status(201).send(await ctx.webhooks.create(request.principal, request.body)),
  );

  app.get<{ Querystring: PageQuery }>(
    '/v1/webhooks',
    { schema: { querystring: pageQuery }, config: admin },
    async (request) => ctx.webhooks.list(request.principal, request.query.page, request.query.perPage),
  );

  app.post('/v1/webhooks/signing-secret', { config: admin }, async (request, reply) =>
    reply.status(201).send(await ctx.webhooks.rotateSigningSecret(request.principal)),
  );

  app.get<{ Querystring: PageQuery }>(
    '/v1/webhooks/job-deliveries',
    { schema: { querystring: pageQuery }, config: admin },
    async (request) =>
      ctx.webhooks.jobDeliveries(request.principal, request.query.page, request.query.perPage),
  );

  app.post<{ Params: { deliveryId: string } }>(
    '/v1/webhooks/job-deliveries/:deliveryId/replay',
    {
      schema: { params: { type: 'object', required: ['deliveryId'], properties: { deliveryId: id } } },
      config: admin,
    },
    async (request, reply) =>
      reply.status(202).send(await ctx.webhooks.replay(request.principal, null, request.params.deliveryId)),
  );

  app.get<{ Params: { endpointId: string } }>(
    '/v1/webhooks/:endpointId',
    { schema: { params: endpointParams }, config: admin },
    async (request) => ctx.webhooks.get(request.principal, request.params.endpointId),
  );

  app.delete<{ Params: { endpointId: string } }>(
    '/v1/webhooks/:endpointId',
    { schema: { params: endpointParams }, config: admin },
    async (request, reply) => {
      await ctx.webhooks.delete(request.principal, request.params.endpointId);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { endpointId: string }; Querystring: PageQuery }>(
    '/v1/webhooks/:endpointId/deliveries',
    { schema: { params: endpointParams, querystring: pageQuery }, config: admin },
    async (request) =>
      ctx.webhooks.deliveries(
        request.principal,
        request.params.endpointId,
        request.query.page,
        request.query.perPage,
      ),
  );

  app.post<{ Params: { endpointId: string; deliveryId: string } }>(
    '/v1/webhooks/:endpointId/deliveries/:deliveryId/replay',
    { schema: { params: deliveryParams }, config: admin },
    async (request, reply) =>
      reply
        .status(202)
        .send(
          await ctx.webhooks.replay(request.principal, request.params.endpointId, request.params.deliveryId),
        ),
  );
}
