import { signToken } from '@vodkit/api/sign';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { ownOrigins } from './same-origin.ts';

/** How long a demo token lives: enough for one upload and a watch, short enough to be worth refreshing. */
const DEMO_TOKEN_TTL_S = 10 * 60;

/**
 * The demo's tiny "app server" (only when the demo is on; the built pages are served by site.ts).
 *
 * `POST /demo-app/token` is what a customer's own backend does with its API secret: sign a
 * short-lived JWT and hand only the JWT to the browser. Three things keep it from being a token
 * vending machine for the internet: the demo is on by default only on a loopback address; the
 * route answers only pages of this server's own origin (a browser's `Origin`/`Sec-Fetch-Site`,
 * which a page cannot forge); and tokens are signed with the sandbox key, not the development
 * key, so they can reach only the sandbox, whose files and jobs are swept after
 * `VOD_DEMO_SWEEP_MS`. Such a token cannot cancel jobs or delete anything (no `allow_delete`).
 */
export default async function demoRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const own = ownOrigins(ctx.config);

  app.post('/demo-app/token', { config: { cors: false } }, async (request, reply) => {
    refuseCrossOrigin(request, own);
    const key = await ctx.auth.sandboxKey();
    const token = await signToken({
      apiKey: key.apiKey,
      secret: key.secret,
      permissions: ['allow_upload', 'allow_encode', 'allow_read'],
      expiresIn: DEMO_TOKEN_TTL_S,
    });
    const expiresAt = new Date(Date.now() + DEMO_TOKEN_TTL_S * 1000).toISOString();
    return reply.header('cache-control', 'no-store').send({ token, expiresAt });
  });

  // No preflight passes either: the route is for this origin's pages only.
  app.options('/demo-app/token', { config: { cors: false } }, async (_request, reply) =>
    reply.status(204).send(),
  );

  const sweeper = ctx.sandbox;
  const every = Math.min(Math.max(ctx.config.demoSweepMs / 2, 500), 10 * 60_000);
  const timer = setInterval(() => void sweeper.sweep(), every).unref();
  app.addHook('onReady', async () => void sweeper.sweep());
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await sweeper.idle();
  });
}

/**
 * Browsers send `Origin` on every POST and `Sec-Fetch-Site` on every request, and no page can set
 * either: a request from another site's page is refused. A request without both is not from a
 * browser page at all (curl on the machine), which the demo allows.
 */
function refuseCrossOrigin(request: FastifyRequest, own: Set<string>): void {
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin;
  const crossSite = site !== undefined && site !== 'same-origin' && site !== 'none';
  if (crossSite || (origin !== undefined && !own.has(origin))) {
    throw new ApiError(
      'cross_origin_refused',
      'the demo token route answers only the demo pages of this server (set VOD_PUBLIC_URL to the address you open)',
    );
  }
}
