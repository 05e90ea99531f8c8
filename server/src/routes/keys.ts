import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';

const createBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { name: { type: ['string', 'null'], maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]*$' } },
} as const;

const keyParams = {
  type: 'object',
  required: ['apiKey'],
  properties: { apiKey: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const admin = { permission: 'allow_admin' } as const;

/** API keys of the caller's key (services/keys.ts): list, create (the secret once), revoke. */
export default async function keysRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/v1/keys', { config: admin }, async (request) => ctx.keys.list(request.principal));

  app.post<{ Body: { name?: string | null } | null }>(
    '/v1/keys',
    { schema: { body: createBody }, config: admin },
    async (request, reply) => {
      const name = request.body?.name?.trim() || null;
      // The secret is in this answer only: no cache may keep it.
      return reply
        .status(201)
        .header('cache-control', 'no-store')
        .send(await ctx.keys.create(request.principal, name));
    },
  );

  app.delete<{ Params: { apiKey: string } }>(
    '/v1/keys/:apiKey',
    { schema: { params: keyParams }, config: admin },
    async (request) => ctx.keys.revoke(request.principal, request.params.apiKey),
  );
}
