import type { Permission } from '@vodkit/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService, Principal } from '../services/auth.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/** A preHandler that verifies the API JWT and requires one permission; sets `request.principal`. */
export function authorize(auth: AuthService, permission: Permission) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const principal = await auth.authenticate(request.headers.authorization);
    auth.require(principal, permission);
    request.principal = principal;
  };
}
