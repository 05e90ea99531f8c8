import { SignJWT } from 'jose';
import type { Permission } from './types.ts';

export interface SignTokenOptions {
  apiKey: string;
  secret: string;
  permissions: Permission[];
  /** Seconds until the token expires; default 15 minutes. */
  expiresIn?: number;
}

/**
 * Signs an API JWT, as your app server does: the secret never leaves it.
 * HS256, `{apikey, permissions, iat, exp}` — what the Vodkit server verifies.
 */
export function signToken(options: SignTokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ apikey: options.apiKey, permissions: options.permissions })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 15 * 60))
    .sign(new TextEncoder().encode(options.secret));
}

export interface SignPlaybackTokenOptions {
  apiKey: string;
  secret: string;
  videoId: string;
  /** Seconds until the token expires; default 1 hour. */
  expiresIn?: number;
}

/** Signs a playback token `{apikey, sub: videoId, aud: 'playback', exp}` for one protected video. */
export function signPlaybackToken(options: SignPlaybackTokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ apikey: options.apiKey })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.videoId)
    .setAudience('playback')
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 60 * 60))
    .sign(new TextEncoder().encode(options.secret));
}
