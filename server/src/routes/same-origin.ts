import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';

/** The public URL's origin, and this port on the loopback names (`npm start` opened as localhost or 127.0.0.1). */
export function ownOrigins(config: Pick<Config, 'publicUrl' | 'port'>): Set<string> {
  const origins = new Set([new URL(config.publicUrl).origin]);
  for (const host of ['localhost', '127.0.0.1', '[::1]']) origins.add(`http://${host}:${config.port}`);
  return origins;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The Studio's CSRF guard, for every request a session cookie authorizes. The cookie is
 * `SameSite=Strict`, so another site's page cannot send it at all; this is the second lock, for
 * what SameSite does not cover (a sibling subdomain is "same site", an old browser ignores it):
 * - `Sec-Fetch-Site`, when the browser sends it, must say `same-origin` (`none`, a typed address,
 *   only for reads);
 * - `Origin`, when sent, must be this server's: its public URL, a loopback name on its port, or the
 *   `Host` it was reached at (a page of another origin never has the cookie of this one);
 * - a request that changes something must carry one of the two: browsers send `Origin` on every
 *   POST, PUT, PATCH and DELETE, and no page can forge either header.
 */
export function sameOriginRequest(request: FastifyRequest, own: ReadonlySet<string>): boolean {
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin;
  const safe = SAFE_METHODS.has(request.method);
  if (site !== undefined && site !== 'same-origin' && !(safe && site === 'none')) return false;
  if (origin !== undefined && !own.has(origin) && origin !== `${request.protocol}://${request.host}`) {
    return false;
  }
  return safe || origin !== undefined || site === 'same-origin';
}
