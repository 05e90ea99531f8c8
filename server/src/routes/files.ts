import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { type PageQuery, pageQuery } from './schemas.ts';

const fileParams = {
  type: 'object',
  required: ['fileId'],
  properties: { fileId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/** Files: the probed uploads of the caller's API key. */
export default async function filesRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: PageQuery }>(
    '/v1/files',
    { schema: { querystring: pageQuery }, config: { permission: 'allow_read' } },
    async (request) => ctx.files.list(request.principal, request.query.page, request.query.perPage),
  );

  app.get<{ Params: { fileId: string } }>(
    '/v1/files/:fileId',
    { schema: { params: fileParams }, config: { permission: 'allow_read' } },
    async (request) => ctx.files.get(request.principal, request.params.fileId),
  );

  app.delete<{ Params: { fileId: string } }>(
    '/v1/files/:fileId',
    { schema: { params: fileParams }, config: { permission: 'allow_delete' } },
    async (request, reply) => {
      await ctx.files.delete(request.principal, request.params.fileId);
      return reply.status(204).send();
    },
  );
}
