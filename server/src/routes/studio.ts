import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { SignInLimiter } from '../services/sign-in-limiter.ts';
import type { IssuedSession } from '../services/studio.ts';
import { ownOrigins, sameOriginRequest } from './same-origin.ts';
import { readStudioCookie, studioCookie, studioCookieName } from './studio-cookie.ts';

const signInBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    apiKey: { type: 'string', minLength: 1, maxLength: 64 },
    secret: { type: 'string', minLength: 1, maxLength: 256 },
    /** The token of a one-time link from `npm run keys -- login`. */
    link: { type: 'string', minLength: 1, maxLength: 128 },
  },
} as const;

interface SignInBody {
  apiKey?: string;
  secret?: string;
  link?: string;
}

/** How often expired sessions and links are forgotten. */
const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * The Studio's session: `POST /studio/api/session` signs in (API key + secret, or a one-time link)
 * and sets the cookie, `GET` says who is signed in, `DELETE` signs out. Only the Studio's own pages
 * may call them (no CORS, the same-origin guard); failed sign-ins are rate-limited per address.
 */
export default async function studioRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const own = ownOrigins(ctx.config);
  const cookieName = studioCookieName(ctx.config);
  const limiter = new SignInLimiter();

  const guard = (request: FastifyRequest) => {
    if (!sameOriginRequest(request, own)) {
      throw new ApiError('cross_origin_refused', 'the Studio session answers only the Studio’s own pages');
    }
  };
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  app.post<{ Body: SignInBody }>(
    '/studio/api/session',
    { schema: { body: signInBody }, config: { cors: false } },
    async (request, reply) => {
      guard(request);
      try {
        limiter.check(request.ip);
      } catch (err) {
        const wait = (err as ApiError).details as { retryAfterS: number };
        reply.header('retry-after', String(wait.retryAfterS));
        throw err;
      }
      const { apiKey, secret, link } = request.body;
      let issued: IssuedSession;
      try {
        if (link !== undefined && apiKey === undefined && secret === undefined) {
          issued = await ctx.studio.redeemLink(link);
        } else if (apiKey !== undefined && secret !== undefined && link === undefined) {
          issued = await ctx.studio.signIn(apiKey, secret);
        } else {
          throw new ApiError('validation_failed', 'send {apiKey, secret} or {link}');
        }
      } catch (err) {
        if (err instanceof ApiError && err.code === 'sign_in_failed') limiter.fail(request.ip);
        throw err;
      }
      // A session token of an earlier sign-in in this browser is ended, not left to linger.
      const previous = readStudioCookie(request, cookieName);
      if (previous) await ctx.studio.signOut(previous);
      noStore(reply).header(
        'set-cookie',
        studioCookie(ctx.config, issued.token, ctx.config.studioSessionTtlS),
      );
      return issued.session;
    },
  );

  app.get('/studio/api/session', { config: { cors: false } }, async (request, reply) => {
    guard(request);
    const token = readStudioCookie(request, cookieName);
    if (!token) throw new ApiError('auth_missing', 'not signed in to the Studio');
    noStore(reply);
    return ctx.studio.describe(token);
  });

  app.delete('/studio/api/session', { config: { cors: false } }, async (request, reply) => {
    guard(request);
    const token = readStudioCookie(request, cookieName);
    if (token) await ctx.studio.signOut(token);
    return noStore(reply)
      .header('set-cookie', studioCookie(ctx.config, '', 0))
      .status(204)
      .send();
  });

  // No preflight passes: these routes are for the Studio's own pages only.
  app.options('/studio/api/session', { config: { cors: false } }, async (_request, reply) =>
    reply.status(204).send(),
  );

  const sweep = () =>
    void ctx.studio.sweep().catch((err: unknown) => app.log.warn({ err }, 'studio: session sweep failed'));
  const timer = setInterval(sweep, SWEEP_EVERY_MS).unref();
  app.addHook('onClose', async () => clearInterval(timer));
}
