import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';

/**
 * The Studio session cookie: `httpOnly` (no script reads it), `SameSite=Strict` (no other site's
 * page sends it), `Path=/` (the Studio calls `/v1`), `Max-Age` of the session. Over https it is
 * `Secure` and named with the `__Host-` prefix, which browsers only accept from this very host.
 */
export function studioCookieName(config: Pick<Config, 'publicUrl'>): string {
  return secure(config) ? '__Host-vodkit_studio' : 'vodkit_studio';
}

const secure = (config: Pick<Config, 'publicUrl'>) => config.publicUrl.startsWith('https:');

/** The session token the request's `Cookie` header carries, if any (a well-formed value only). */
export function readStudioCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    // Our tokens are 43 base64url characters; anything else is not ours.
    return /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : undefined;
  }
  return undefined;
}

export function studioCookie(config: Pick<Config, 'publicUrl'>, token: string, maxAgeS: number): string {
  const attrs = [`${studioCookieName(config)}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
  attrs.push(`Max-Age=${Math.max(0, Math.floor(maxAgeS))}`);
  if (secure(config)) attrs.push('Secure');
  return attrs.join('; ');
}
