import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { StudioSession } from '@vodkit/api';
import type { KeysRepository, StudioSessionsRepository } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import type { Principal } from './auth.ts';

/** A one-time sign-in link (`npm run keys -- login`) works this long, once. */
export const LOGIN_LINK_TTL_MS = 10 * 60_000;

export interface StudioServiceDeps {
  sessions: StudioSessionsRepository;
  keys: KeysRepository;
  /** How long a session lasts from sign-in (`VOD_STUDIO_SESSION_TTL_S`). */
  sessionTtlS: number;
  now?: () => number;
}

/** A new session: its token goes into the cookie only, never into a page. */
export interface IssuedSession {
  token: string;
  session: StudioSession;
}

const sha256 = (value: string): string => createHash('sha256').update(value).digest('base64url');
const newToken = (): string => randomBytes(32).toString('base64url');

/** Compares two secrets in time independent of where they differ (both hashed to one length first). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

const failed = () =>
  new ApiError('sign_in_failed', 'this API key and secret (or sign-in link) do not sign in to the Studio');

/**
 * Studio sign-in: an API key and its secret (or a one-time link from the keys CLI) buy a
 * server-side session, whose random token lives only in an httpOnly cookie; the database holds
 * its SHA-256, so a copy of the database signs no one in. Holding a key's secret is holding every
 * permission of that key (the secret signs any token), so a session acts as the key with
 * `allow_admin`, scoped to that key's videos as its tokens are. Sign-out deletes the row; a revoked
 * key ends its sessions at their next request.
 */
export class StudioService {
  readonly #now: () => number;

  constructor(private readonly deps: StudioServiceDeps) {
    this.#now = deps.now ?? Date.now;
  }

  async signIn(apiKey: string, secret: string): Promise<IssuedSession> {
    const key = await this.deps.keys.get(apiKey);
    // Unknown key and wrong secret answer alike, after the same hashing work.
    const ok = sameSecret(secret, key?.secret ?? '') && !!key && !key.revokedAt && !key.sandbox;
    if (!ok) throw failed();
    return this.#issue(apiKey, key.name);
  }

  /** A one-time sign-in token for the key (the CLI prints it inside a link). */
  async createLoginLink(apiKey: string): Promise<{ token: string; expiresAt: string }> {
    const key = await this.deps.keys.get(apiKey);
    if (!key || key.revokedAt || key.sandbox) throw new ApiError('not_found', `no usable key ${apiKey}`);
    const token = newToken();
    const expiresAt = this.#now() + LOGIN_LINK_TTL_MS;
    await this.deps.sessions.insert({ tokenHash: sha256(token), kind: 'login', apiKey, expiresAt });
    return { token, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** Spends a sign-in link: it is gone after this, whatever the outcome. */
  async redeemLink(token: string): Promise<IssuedSession> {
    const row = await this.deps.sessions.take(sha256(token), 'login', this.#now());
    const key = row && (await this.deps.keys.get(row.apiKey));
    if (!row || !key || key.revokedAt || key.sandbox) throw failed();
    return this.#issue(row.apiKey, key.name);
  }

  /** The principal of a session cookie: the key, as an admin, until the session ends. */
  async principal(token: string): Promise<Principal> {
    const row = await this.deps.sessions.get(sha256(token), 'session', this.#now());
    if (!row) throw new ApiError('auth_expired', 'the Studio session has ended: sign in again');
    const key = await this.deps.keys.get(row.apiKey);
    if (!key || key.revokedAt) {
      throw new ApiError('auth_revoked_key', 'the API key of this Studio session has been revoked');
    }
    return { apiKey: row.apiKey, permissions: new Set(['allow_admin']), expiresAt: row.expiresAt };
  }

  async describe(token: string): Promise<StudioSession> {
    const principal = await this.principal(token);
    const key = await this.deps.keys.get(principal.apiKey);
    return {
      apiKey: principal.apiKey,
      name: key?.name ?? null,
      expiresAt: new Date(principal.expiresAt!).toISOString(),
    };
  }

  async signOut(token: string): Promise<void> {
    await this.deps.sessions.delete(sha256(token));
  }

  /** Forgets expired sessions and links. */
  sweep(): Promise<number> {
    return this.deps.sessions.sweep(this.#now());
  }

  async #issue(apiKey: string, name: string | null): Promise<IssuedSession> {
    const token = newToken();
    const expiresAt = this.#now() + this.deps.sessionTtlS * 1000;
    await this.deps.sessions.insert({ tokenHash: sha256(token), kind: 'session', apiKey, expiresAt });
    return { token, session: { apiKey, name, expiresAt: new Date(expiresAt).toISOString() } };
  }
}
