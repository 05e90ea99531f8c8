import { type JobStatus, VIDEO_STATUSES } from '@vodkit/api';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { pageQuery } from './schemas.ts';

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...pageQuery.properties,
    q: { type: 'string', maxLength: 200 },
    status: { type: 'string', enum: VIDEO_STATUSES },
  },
} as const;

interface ListQuery {
  q?: string;
  status?: JobStatus;
  page: number;
  perPage: number;
}

/** `GET /v1/videos`: the key's videos, newest first, searched by title and filtered by status. */
export default async function videoLibraryRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: ListQuery }>(
    '/v1/videos',
    { schema: { querystring: listQuery }, config: { permission: 'allow_read' } },
    async (request) => {
      const { q, status, page, perPage } = request.query;
      const filter = { q: q?.trim() ? q.trim() : null, status: status ?? null };
      return ctx.videos.list(request.principal, filter, page, perPage);
    },
  );
}
