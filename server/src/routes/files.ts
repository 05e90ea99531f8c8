import type { CreateFileFromUrlRequest, FileRecord } from '@vodkit/api';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../context.ts';
import { fileEventKey } from '../services/events.ts';
import { MAX_URL_LENGTH } from '../services/link-fetch.ts';
import { eventStreams, eventsQuery, type Frame } from './event-streams.ts';
import { type PageQuery, pageQuery } from './schemas.ts';

const fileParams = {
  type: 'object',
  required: ['fileId'],
  properties: { fileId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const createFromUrl = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', minLength: 1, maxLength: MAX_URL_LENGTH },
    title: { type: 'string', maxLength: 500 },
  },
} as const;

/** A file's SSE event: named after its status (`progress` while downloading), with the record. */
function fileFrame(file: FileRecord): Frame {
  return {
    event: file.status === 'downloading' ? 'progress' : file.status,
    data: {
      fileId: file.fileId,
      status: file.status,
      progress: file.progress ?? null,
      reason: file.reason,
      file,
    },
  };
}

/** Files: the probed uploads of the caller's API key, and link ingest. */
export default async function filesRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: PageQuery }>(
    '/v1/files',
    { schema: { querystring: pageQuery }, config: { permission: 'allow_read' } },
    async (request) => ctx.files.list(request.principal, request.query.page, request.query.perPage),
  );

  // Link ingest: answers at once with the file in `downloading`; the download runs in the background.
  app.post<{ Body: CreateFileFromUrlRequest }>(
    '/v1/files',
    { schema: { body: createFromUrl }, config: { permission: 'allow_upload' } },
    async (request, reply) =>
      reply.status(201).send(await ctx.ingest.create(request.principal, request.body)),
  );

  app.get<{ Params: { fileId: string } }>(
    '/v1/files/:fileId',
    { schema: { params: fileParams }, config: { permission: 'allow_read' } },
    async (request) => ctx.files.get(request.principal, request.params.fileId),
  );

  const streams = eventStreams(app, ctx);
  // `progress` ({bytes, total}) while a link ingest downloads, then `probing`, `ready` or `rejected`.
  app.get<{ Params: { fileId: string }; Querystring: { token?: string } }>(
    '/v1/files/:fileId/events',
    {
      schema: { params: fileParams, querystring: eventsQuery },
      config: { permission: 'allow_read', tokenInQuery: true },
    },
    async (request, reply: FastifyReply) => {
      const { fileId } = request.params;
      await streams.open(request, reply, {
        key: fileEventKey(fileId),
        first: async () => fileFrame(await ctx.files.get(request.principal, fileId)),
        frameOf: async (event) => {
          if (event.type === 'progress') return { event: 'progress', data: event.data };
          const file = await ctx.files.get(request.principal, fileId).catch(() => null);
          return file ? fileFrame(file) : { event: 'deleted', data: { fileId } };
        },
      });
    },
  );

  app.delete<{ Params: { fileId: string } }>(
    '/v1/files/:fileId',
    { schema: { params: fileParams }, config: { permission: 'allow_delete' } },
    async (request, reply) => {
      await ctx.files.delete(request.principal, request.params.fileId);
      // A link ingest still downloading stops at once (deleted rows stop it on other nodes too).
      ctx.ingest.cancel(request.params.fileId);
      return reply.status(204).send();
    },
  );
}
