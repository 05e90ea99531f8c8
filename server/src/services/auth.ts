import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PERMISSIONS, type Permission } from '@vodkit/api';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { KeysRepository } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import { newId } from '../ids.ts';

/** Who made a request, as proven by a verified API JWT. */
export interface Principal {
  apiKey: string;
  permissions: ReadonlySet<Permission>;
  /** When the token stops being valid (epoch ms); long-lived streams close then. */
  expiresAt?: number;
}

export interface AuthOptions {
  /** A token whose `exp` is further away than this is refused (`auth_token_lifetime`). Default 24 h. */
  maxTokenLifetimeS?: number;
}

/** Seconds of clock skew tolerated between the app server that signed a token and us. */
const CLOCK_TOLERANCE_S = 30;

export interface DevKey {
  apiKey: string;
  secret: string;
}

export class AuthService {
  readonly #maxLifetimeS: number;

  constructor(
    private readonly keys: KeysRepository,
    options: AuthOptions = {},
  ) {
    this.#maxLifetimeS = options.maxTokenLifetimeS ?? 24 * 3600;
  }

  async createKey(
    name: string | null = null,
    options: { sandbox?: boolean; createdBy?: string } = {},
  ): Promise<DevKey> {
    const apiKey = newId(24);
    const secret = randomBytes(32).toString('base64url');
    await this.keys.insert(apiKey, secret, name, options.sandbox ?? false, options.createdBy ?? null);
    return { apiKey, secret };
  }

  /**
   * The demo's sandbox key (created on first use): demo tokens are signed with it, never with the
   * development key, so what the public demo can see, cancel or fill is only the sandbox, which
   * is swept.
   */
  async sandboxKey(): Promise<DevKey> {
    const existing = await this.keys.getSandbox();
    if (existing) return { apiKey: existing.apiKey, secret: existing.secret };
    return this.createKey('demo sandbox', { sandbox: true });
  }

  /** Every sandbox key, revoked ones too: what they made is swept. */
  sandboxApiKeys(): Promise<string[]> {
    return this.keys.sandboxApiKeys();
  }

  /** True while the key exists and is not revoked (open streams re-check this). */
  async keyUsable(apiKey: string): Promise<boolean> {
    const key = await this.keys.get(apiKey);
    return !!key && !key.revokedAt;
  }

  /**
   * On an empty database, creates the development key and writes `<dataDir>/dev-key.json`.
   * Returns the key when it was created now, null otherwise.
   */
  async ensureDevKey(dataDir: string): Promise<DevKey | null> {
    if ((await this.keys.count()) > 0) return null;
    const key = await this.createKey('development');
    fs.writeFileSync(path.join(dataDir, 'dev-key.json'), `${JSON.stringify(key, null, 2)}\n`, {
      mode: 0o600,
    });
    return key;
  }

  /** Verifies `Authorization: <jwt>` or `Bearer <jwt>`; every failure is an ApiError naming its cause. */
  async authenticate(header: string | undefined): Promise<Principal> {
    if (!header) throw new ApiError('auth_missing', 'an Authorization header with an API token is required');
    const token = header.replace(/^Bearer\s+/i, '').trim();
    const { apikey, secret } = await this.#keyOf(token);
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, secret, {
        algorithms: ['HS256'],
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw joseToApiError(err);
    }
    if (payload.aud !== undefined) {
      // A playback token is no API token, even though the same secret signed it.
      throw new ApiError('auth_malformed', 'this token has an audience: it is not an API token');
    }
    const exp = payload.exp as number;
    if (exp - Date.now() / 1000 > this.#maxLifetimeS + CLOCK_TOLERANCE_S) {
      // A leaked token must not stay good for years: app servers mint short-lived ones.
      throw new ApiError(
        'auth_token_lifetime',
        `the token expires too far ahead: at most ${this.#maxLifetimeS} s from now are accepted`,
      );
    }
    const permissions = payload.permissions;
    if (!Array.isArray(permissions) || !permissions.every((p) => PERMISSIONS.includes(p as Permission))) {
      throw new ApiError('auth_malformed', `"permissions" must be a list of ${PERMISSIONS.join(', ')}`);
    }
    return { apiKey: apikey, permissions: new Set(permissions as Permission[]), expiresAt: exp * 1000 };
  }

  /** Throws 403 when the principal lacks the permission (`allow_admin` implies every other). */
  require(principal: Principal, permission: Permission): void {
    if (principal.permissions.has(permission) || principal.permissions.has('allow_admin')) return;
    throw new ApiError('permission_denied', `this token lacks the "${permission}" permission`);
  }

  /** Finds the secret for a token's `apikey` claim, refusing anything but HS256 before looking. */
  async #keyOf(token: string): Promise<{ apikey: string; secret: Uint8Array }> {
    let alg: unknown;
    let apikey: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
      apikey = decodeJwt(token).apikey;
    } catch {
      throw new ApiError('auth_malformed', 'the token is not a well-formed JWT');
    }
    if (alg !== 'HS256')
      throw new ApiError('auth_bad_algorithm', `tokens must be signed with HS256, not ${String(alg)}`);
    if (typeof apikey !== 'string' || !apikey)
      throw new ApiError('auth_malformed', 'the token has no "apikey" claim');
    const key = await this.keys.get(apikey);
    if (!key) throw new ApiError('auth_unknown_key', 'the token names an API key this server does not know');
    if (key.revokedAt) throw new ApiError('auth_revoked_key', 'the API key of this token has been revoked');
    return { apikey, secret: new TextEncoder().encode(key.secret) };
  }
}

function joseToApiError(err: unknown): ApiError {
  if (err instanceof joseErrors.JWTExpired) return new ApiError('auth_expired', 'the token has expired');
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new ApiError('auth_bad_signature', 'the token signature does not match its API key');
  }
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return new ApiError('auth_malformed', `the token claim "${err.claim}" is invalid: ${err.reason}`);
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) {
    return new ApiError('auth_bad_algorithm', 'tokens must be signed with HS256');
  }
  return new ApiError('auth_malformed', 'the token could not be verified');
}
