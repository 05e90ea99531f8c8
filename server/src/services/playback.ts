import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { signPlaybackToken } from '@vodkit/api/sign';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import type { KeysRepository, PlaybackRepository } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import type { Principal } from './auth.ts';

/**
 * Seconds of clock skew tolerated on playback tokens (signed on the customer's clock). Smaller than
 * the API's 30 s: playback tokens are meant to live minutes, and a player refreshes them anyway.
 * The signatures a playlist hands out expire when its token stops being accepted, tolerance
 * included, and get none of their own: a master answered in that window must not list segments
 * that are already refused, or a native HLS player sees a 200 playlist with dead children and
 * cannot tell that a fresh token would cure it.
 */
const CLOCK_TOLERANCE_S = 5;
/** Longest playback token accepted: a token is a bearer credential that lives in URLs. */
export const MAX_PLAYBACK_TOKEN_S = 7 * 24 * 3600;
/** Lifetimes `POST /v1/videos/:id/playback-tokens` mints. */
export const DEFAULT_MINT_S = 3600;
export const MAX_MINT_S = 24 * 3600;
/** Entries of each in-memory cache; the least recently used goes first when full. */
const CACHE_ENTRIES = 10_000;
/**
 * How long a cached protection flag or verified token is trusted. PATCH invalidates this process's
 * entries at once; the TTL bounds what another process can see.
 */
const CACHE_TTL_MS = 60_000;
/**
 * How long "this key is not revoked" is trusted before the repository is asked again. Keys are revoked
 * by the keys CLI, a process of its own, straight in the shared database: no node hears of it, so this
 * TTL is what bounds how long a revoked key's tokens and signatures still play, on every node (< 60 s).
 */
export const KEY_STATE_TTL_MS = 30_000;
/** A playlist signature as grant() writes it: decimal expiry, a dot, 128 bits of base64url. */
const SIG = /^([1-9]\d{0,11})\.([\w-]{22})$/;
/** Origins a list may hold. */
export const MAX_ORIGINS = 100;

/** Who may play a video, as the stream gate needs it on every request. */
export interface VideoAccess {
  videoId: string;
  apiKey: string;
  protected: boolean;
  /** The video's list, else its key's; null = any origin. */
  origins: string[] | null;
}

/** A proof that the holder may read one video's files until `exp` (epoch seconds). */
export interface PlaybackGrant {
  videoId: string;
  exp: number;
  /** What child URIs carry: `<exp>.<mac>`, checked with one HMAC and no JWT or database work. */
  sig: string;
}

export interface PlaybackServiceDeps {
  dataDir: string;
  repo: PlaybackRepository;
  keys: KeysRepository;
  /** The clock the caches' TTLs run on (milliseconds, monotonic); tests move it instead of sleeping. */
  clock?: { now(): number };
}

interface VerifiedToken {
  videoId: string;
  apiKey: string;
  exp: number;
  grant?: PlaybackGrant;
}

/**
 * Protected playback: the per-video protection flag and allowed origins (cached), playback tokens
 * (verified once, then cached), and the short signatures that playlists hand to their children.
 */
export class PlaybackService {
  readonly #deps: PlaybackServiceDeps;
  readonly #secret: Buffer;
  readonly #access: LRUCache<string, VideoAccess>;
  readonly #tokens: LRUCache<string, VerifiedToken>;
  /** Signatures already checked, by `videoId/sig` → exp: a viewer sends the same one for every segment. */
  readonly #sigs: LRUCache<string, number>;
  /** apiKey → whether it may still play (exists, not revoked), for KEY_STATE_TTL_MS. */
  readonly #liveKeys: LRUCache<string, boolean>;

  constructor(deps: PlaybackServiceDeps) {
    this.#deps = deps;
    this.#secret = loadSecret(deps.dataDir);
    // ttlResolution 0: the clock is read on every lookup (lru-cache otherwise reuses it for 1 ms).
    const options = { max: CACHE_ENTRIES, perf: deps.clock ?? performance, ttlResolution: 0 };
    this.#access = new LRUCache({ ...options, ttl: CACHE_TTL_MS });
    this.#tokens = new LRUCache({ ...options, ttl: CACHE_TTL_MS });
    this.#sigs = new LRUCache(options);
    this.#liveKeys = new LRUCache({ ...options, ttl: KEY_STATE_TTL_MS });
  }

  /**
   * The protection of a video when memory has it fresh, without touching the database: the stream
   * gate's hot path (every segment) stays synchronous. Undefined: ask `access()`.
   */
  cachedAccess(videoId: string): VideoAccess | undefined {
    return this.#access.get(videoId);
  }

  /** The protection of a video, from memory when fresh; null when there is no such video. */
  async access(videoId: string): Promise<VideoAccess | null> {
    const cached = this.cachedAccess(videoId);
    if (cached) return cached;
    const row = await this.#deps.repo.access(videoId);
    if (!row) {
      this.#access.delete(videoId);
      return null;
    }
    const value: VideoAccess = {
      videoId,
      apiKey: row.apiKey,
      protected: row.protected,
      origins: row.videoOrigins ?? row.keyOrigins,
    };
    this.#access.set(videoId, value);
    return value;
  }

  /** Changes a video's protection; only its own key may. Returns the video's settings. */
  async update(
    principal: Principal,
    videoId: string,
    patch: { protected?: boolean; allowedOrigins?: unknown },
  ): Promise<{ protected: boolean; allowedOrigins: string[] | null }> {
    const row = await this.#deps.repo.access(videoId);
    if (!row || row.apiKey !== principal.apiKey) throw new ApiError('not_found', `no video ${videoId}`);
    const origins = patch.allowedOrigins === undefined ? undefined : normalizeOrigins(patch.allowedOrigins);
    if (patch.protected !== undefined) await this.#deps.repo.setProtected(videoId, patch.protected);
    if (origins !== undefined) await this.#deps.repo.setVideoOrigins(videoId, origins);
    this.#access.delete(videoId);
    const after = (await this.#deps.repo.access(videoId))!;
    return { protected: after.protected, allowedOrigins: after.videoOrigins };
  }

  /** The video's own origin list (null = its key's list). */
  async videoOrigins(principal: Principal, videoId: string): Promise<string[] | null> {
    const row = await this.#deps.repo.access(videoId);
    if (!row || row.apiKey !== principal.apiKey) throw new ApiError('not_found', `no video ${videoId}`);
    return row.videoOrigins;
  }

  keyOrigins(apiKey: string): Promise<string[] | null> {
    return this.#deps.repo.keyOrigins(apiKey);
  }

  /** Sets the key-wide list (null clears it: any origin); every cached video of the key is dropped. */
  async setKeyOrigins(apiKey: string, value: unknown): Promise<string[] | null> {
    const origins = normalizeOrigins(value);
    await this.#deps.repo.setKeyOrigins(apiKey, origins);
    const stale = [...this.#access.entries()].filter(([, value]) => value.apiKey === apiKey);
    for (const [videoId] of stale) this.#access.delete(videoId);
    return origins;
  }

  /** Mints a playback token exactly as `signPlaybackToken()` does on a customer's app server. */
  async mint(
    principal: Principal,
    videoId: string,
    expiresIn = DEFAULT_MINT_S,
  ): Promise<{ token: string; videoId: string; expiresAt: string }> {
    const row = await this.#deps.repo.access(videoId);
    if (!row || row.apiKey !== principal.apiKey) throw new ApiError('not_found', `no video ${videoId}`);
    const key = await this.#deps.keys.get(principal.apiKey);
    if (!key || key.revokedAt) throw new ApiError('auth_revoked_key', 'the API key has been revoked');
    const token = await signPlaybackToken({ apiKey: key.apiKey, secret: key.secret, videoId, expiresIn });
    const exp = decodeJwt(token).exp!;
    return { token, videoId, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /**
   * Verifies a playback token for `access.videoId`: HS256 with its key's secret, `aud: playback`,
   * `sub` = this video, and the video's own key, not revoked. A token verified before is a map lookup
   * (and the key's state, cached for KEY_STATE_TTL_MS).
   */
  async verifyToken(token: string, access: VideoAccess): Promise<PlaybackGrant> {
    let claims = this.#tokens.get(token);
    if (claims) {
      await this.#checkKey(claims.apiKey, 'token');
    } else {
      claims = await this.#verify(token);
      this.#tokens.set(token, claims);
    }
    if (claims.exp + CLOCK_TOLERANCE_S < Date.now() / 1000) {
      throw new ApiError('playback_token_expired', 'the playback token has expired');
    }
    if (claims.videoId !== access.videoId || claims.apiKey !== access.apiKey) {
      throw new ApiError('playback_token_wrong_video', 'this playback token is for another video');
    }
    claims.grant ??= this.grant(access.videoId, claims.exp + CLOCK_TOLERANCE_S);
    return claims.grant;
  }

  /**
   * Checks a `sig` a playlist handed out for `access.videoId`: one HMAC (then a map lookup), no JWT,
   * and the video's key not revoked (from memory; the repository at most every KEY_STATE_TTL_MS).
   */
  async verifySig(sig: string, access: VideoAccess): Promise<PlaybackGrant> {
    const videoId = access.videoId;
    const grant = this.#checkSig(sig, videoId);
    await this.#checkKey(access.apiKey, 'signature');
    return grant;
  }

  #checkSig(sig: string, videoId: string): PlaybackGrant {
    const cacheKey = `${videoId}/${sig}`;
    const known = this.#sigs.get(cacheKey);
    if (known !== undefined) {
      if (known < Date.now() / 1000) {
        throw new ApiError('playback_token_expired', 'the playback signature has expired');
      }
      return { videoId, exp: known, sig };
    }
    // Exactly what grant() writes: `0x…`, `+…`, ` …` or `…e1` spell the same expiry for Number(), and
    // each would be one more cache key and one more way past a filter on the signature's text.
    const parts = SIG.exec(sig);
    if (!parts) throw new ApiError('playback_token_invalid', 'the playback signature is malformed');
    const exp = Number(parts[1]);
    const expected = Buffer.from(this.#mac(videoId, exp));
    const given = Buffer.from(parts[2]!);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ApiError('playback_token_invalid', 'the playback signature does not match this video');
    }
    if (exp < Date.now() / 1000) {
      throw new ApiError('playback_token_expired', 'the playback signature has expired');
    }
    this.#sigs.set(cacheKey, exp);
    return { videoId, exp, sig };
  }

  /**
   * A revoked key's tokens and signatures stop playing once this process re-reads the key, within
   * KEY_STATE_TTL_MS (issue 19 #7: signatures used to play on until their `exp`, up to 7 days).
   */
  async #checkKey(apiKey: string, what: 'token' | 'signature'): Promise<void> {
    let live = this.#liveKeys.get(apiKey);
    if (live === undefined) {
      const key = await this.#deps.keys.get(apiKey);
      live = !!key && !key.revokedAt;
      this.#liveKeys.set(apiKey, live);
    }
    if (!live) {
      throw new ApiError(
        'playback_token_invalid',
        `the API key behind this playback ${what} has been revoked`,
      );
    }
  }

  grant(videoId: string, exp: number): PlaybackGrant {
    return { videoId, exp, sig: `${exp}.${this.#mac(videoId, exp)}` };
  }

  /** 128 bits of HMAC-SHA256 over the video and the expiry, with this server's playback secret. */
  #mac(videoId: string, exp: number): string {
    return createHmac('sha256', this.#secret)
      .update(`${videoId}.${exp}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
  }

  async #verify(token: string): Promise<{ videoId: string; apiKey: string; exp: number }> {
    let apikey: unknown;
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
      apikey = decodeJwt(token).apikey;
    } catch {
      throw new ApiError('playback_token_invalid', 'the playback token is not a well-formed JWT');
    }
    if (alg !== 'HS256') throw new ApiError('playback_token_invalid', 'playback tokens must be HS256');
    const key = typeof apikey === 'string' ? await this.#deps.keys.get(apikey) : undefined;
    if (key) this.#liveKeys.set(key.apiKey, !key.revokedAt);
    if (!key || key.revokedAt) {
      throw new ApiError('playback_token_invalid', 'the playback token names an unknown or revoked API key');
    }
    try {
      const { payload } = await jwtVerify(token, new TextEncoder().encode(key.secret), {
        algorithms: ['HS256'],
        audience: 'playback',
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'sub'],
      });
      if (payload.exp! - Date.now() / 1000 > MAX_PLAYBACK_TOKEN_S) {
        throw new ApiError(
          'playback_token_invalid',
          `playback tokens may live at most ${MAX_PLAYBACK_TOKEN_S} s; this one expires later`,
        );
      }
      return { videoId: payload.sub!, apiKey: key.apiKey, exp: payload.exp! };
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (err instanceof joseErrors.JWTExpired) {
        throw new ApiError('playback_token_expired', 'the playback token has expired');
      }
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
        throw new ApiError(
          'playback_token_invalid',
          'the playback token signature does not match its API key',
        );
      }
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        throw new ApiError('playback_token_invalid', `the playback token claim "${err.claim}" is invalid`);
      }
      throw new ApiError('playback_token_invalid', 'the playback token could not be verified');
    }
  }
}

/**
 * Whether a browser request may read a protected video's files: its `Origin` (else its `Referer`'s
 * origin) is on the list, or is this server itself (`self`: its configured public origin, for the embed
 * page; never derived from the request's Host, which DNS rebinding controls). A request with neither header
 * (curl, a native app, `Referrer-Policy: no-referrer`) passes: the token is the protection, the
 * origin list only keeps other web sites from hot-linking a token they obtained.
 */
export function originAllowed(
  origins: readonly string[] | null,
  origin: string | undefined,
  referer: string | undefined,
  self: readonly string[],
): boolean {
  if (origins === null || origins.includes('*')) return true;
  let from = origin;
  if (from === undefined && referer) {
    try {
      from = new URL(referer).origin;
    } catch {
      return false;
    }
  }
  if (from === undefined) return true;
  from = from.toLowerCase();
  if (self.includes(from)) return true;
  return origins.some((allowed) => originMatches(allowed, from));
}

/** `https://*.example.com` matches any subdomain (not the apex), with the same scheme and port. */
function originMatches(pattern: string, origin: string): boolean {
  if (pattern === origin) return true;
  const star = pattern.indexOf('://*.');
  if (star < 0) return false;
  const scheme = pattern.slice(0, star + 3);
  const suffix = pattern.slice(star + 4); // ".example.com[:port]"
  return (
    origin.startsWith(scheme) && origin.endsWith(suffix) && origin.length > scheme.length + suffix.length
  );
}

const ORIGIN = /^https?:\/\/(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/;

/** Validates an `allowedOrigins` value: null (unset) or a list of origins, `https://*.domain` or `*`. */
export function normalizeOrigins(value: unknown): string[] | null {
  if (value === null) return null;
  if (!Array.isArray(value) || value.length > MAX_ORIGINS) {
    throw new ApiError(
      'validation_failed',
      `"allowedOrigins" must be null or a list of at most ${MAX_ORIGINS}`,
    );
  }
  const out = new Set<string>();
  for (const raw of value) {
    const origin = typeof raw === 'string' ? raw.trim().toLowerCase().replace(/\/$/, '') : '';
    if (origin !== '*' && !ORIGIN.test(origin)) {
      throw new ApiError(
        'validation_failed',
        `"${String(raw)}" is not an origin like https://example.com, https://*.example.com or *`,
      );
    }
    out.add(origin);
  }
  return [...out];
}

/**
 * The server's playback secret (signatures in playlists) lives in `<dataDir>/playback-secret`,
 * created on first boot with mode 0600, so signatures survive a restart.
 */
function loadSecret(dataDir: string): Buffer {
  const file = path.join(dataDir, 'playback-secret');
  try {
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64url');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32);
  try {
    fs.writeFileSync(file, `${secret.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch {
    // Another process created it first: use theirs.
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64url');
  }
}
