import type { Permission } from '@vodkit/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService, Principal } from '../services/auth.ts';

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
 */
export function installAuth(app: FastifyInstance, auth: AuthService): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const { permission, tokenInQuery } = request.routeOptions.config;
    if (!permission) return;
    const query = request.query as { token?: unknown } | undefined;
    const fromQuery = tokenInQuery && typeof query?.token === 'string' ? query.token : undefined;
    const principal = await auth.authenticate(request.headers.authorization ?? fromQuery);
    auth.require(principal, permission);
    request.principal = principal;
  });
}
