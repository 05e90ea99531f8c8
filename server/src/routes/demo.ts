import fs from 'node:fs';
import path from 'node:path';
import { signToken } from '@vodkit/api/sign';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.ts';
import { ApiError } from '../errors.ts';

/** How long a demo token lives: enough for one upload and a watch, short enough to be worth refreshing. */
const DEMO_TOKEN_TTL_S = 10 * 60;

/**
 * The demo's tiny "app server" (only when `VOD_DEMO` is on; the built pages are served by site.ts).
 *
 * `POST /demo-app/token` is what a customer's own backend does with its API secret: read it from
 * where it keeps secrets (here: dev-key.json), sign a short-lived JWT, hand only the JWT to the
 * browser. It stands outside the Vodkit API, which is why it may read a file itself. Anyone who
 * can reach a server with the demo on can get such a token: turn the demo off (VOD_DEMO=0) on
 * anything public.
 */
export default async function demoRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const devKeyFile = path.join(ctx.config.dataDir, 'dev-key.json');

  app.post('/demo-app/token', async (_request, reply) => {
    let key: { apiKey?: unknown; secret?: unknown };
    try {
      key = JSON.parse(await fs.promises.readFile(devKeyFile, 'utf8')) as typeof key;
    } catch {
      throw new ApiError(
        'unavailable',
        'the demo app server has no development key: dev-key.json is missing from the data directory ' +
          '(it is written when the server starts on an empty database; create a key with `npm run keys -- create` ' +
          'and save it there as {"apiKey", "secret"})',
      );
    }
    if (typeof key.apiKey !== 'string' || typeof key.secret !== 'string') {
      throw new ApiError('unavailable', 'dev-key.json must hold {"apiKey": "…", "secret": "…"}');
    }
    const token = await signToken({
      apiKey: key.apiKey,
      secret: key.secret,
      permissions: ['allow_upload', 'allow_encode', 'allow_read'],
      expiresIn: DEMO_TOKEN_TTL_S,
    });
    const expiresAt = new Date(Date.now() + DEMO_TOKEN_TTL_S * 1000).toISOString();
    return reply.header('cache-control', 'no-store').send({ token, expiresAt });
  });
}
