import type { Permission } from '@vodkit/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { ApiError } from '../errors.ts';
import type { AuthService, Principal } from '../services/auth.ts';
import type { StudioService } from '../services/studio.ts';
import { ownOrigins, sameOriginRequest } from './same-origin.ts';
import { readStudioCookie, studioCookieName } from './studio-cookie.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** The permission the route's API JWT must carry; the route is public without it. */
    permission?: Permission;
    /** The token may come as `?token=` (EventSource cannot set headers). */
    tokenInQuery?: boolean;
  }
}

/**
 * The one authentication of the API: every route that names a `permission` in its config is checked
 * in `onRequest`, from the headers (and `?token=` where allowed) alone. A caller without the right
 * token is answered 401/403 before one byte of the body is read, so a credential-less client cannot
 * hold a connection open by trickling a body (issue 19, finding 6), nor learn the body's rules.
 * Sets `request.principal` for the handlers.
 *
 * The Studio's session cookie stands in for a token only when the request has none (a token always
 * wins), and only when the request passes the CSRF guard (`sameOriginRequest`): the cookie rides
 * along with any request the browser makes to this server, so it must never authorize one that
 * another page started. A session acts as its key with `allow_admin` (services/studio.ts).
 */
export function installAuth(
  app: FastifyInstance,
  auth: AuthService,
  studio: { service: StudioService; config: Pick<Config, 'publicUrl' | 'port'> },
): void {
  const own = ownOrigins(studio.config);
  const cookieName = studioCookieName(studio.config);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const { permission, tokenInQuery } = request.routeOptions.config;
    if (!permission) return;
    const query = request.query as { token?: unknown } | undefined;
    const fromQuery = tokenInQuery && typeof query?.token === 'string' ? query.token : undefined;
    const header = request.headers.authorization ?? fromQuery;
    const session = header === undefined ? readStudioCookie(request, cookieName) : undefined;
    let principal: Principal;
    if (session !== undefined) {
      if (!sameOriginRequest(request, own)) {
        throw new ApiError(
          'cross_origin_refused',
          'a Studio session is accepted only on requests of the Studio’s own pages',
        );
      }
      principal = await studio.service.principal(session);
    } else {
      principal = await auth.authenticate(header);
    }
    auth.require(principal, permission);
    request.principal = principal;
  });
}
