import { createRequire } from 'node:module';
import type { HealthStatus } from '@vodkit/api';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';

// A JSON import would pull package.json into the TS project; require() reads it once at load.
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** GET /healthz: 200 when the server can take work (database answers, ffmpeg found at boot), else 503. */
export default async function healthRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/healthz', async (_request, reply) => {
    const database = await ctx.files.databaseOk();
    const body: HealthStatus = {
      ok: database && ctx.ffmpegVersion !== null,
      version,
      ffmpeg: ctx.ffmpegVersion !== null,
      database,
    };
    return reply
      .status(body.ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(body);
  });

  // For orchestrators: not ready while draining (SIGTERM) or when the database does not answer, so
  // traffic goes elsewhere; /healthz stays the liveness check.
  app.get('/readyz', async (_request, reply) => {
    const draining = ctx.readiness.draining;
    const database = draining ? null : await ctx.files.databaseOk();
    const ready = !draining && database === true;
    return reply
      .status(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ ready, draining, database });
  });
}
