// STUB — to be written.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.ts';

export default async function streamRoutes(_app: FastifyInstance, _ctx: AppContext): Promise<void> {}
