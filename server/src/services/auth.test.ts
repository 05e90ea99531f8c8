import fs from 'node:fs';
import path from 'node:path';
import { signPlaybackToken, signToken } from '@vodkit/api/sign';
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures.ts';
import { type Db, openDatabase } from '../db/database.ts';
import { KeysRepo } from '../db/keys.ts';
import { ApiError } from '../errors.ts';
import { AuthService, type DevKey } from './auth.ts';

let dir: string;
let db: Db;
let auth: AuthService;
let keys: KeysRepo;
let key: DevKey;

beforeEach(async () => {
  dir = tempDir('vodkit-auth-');
  db = openDatabase(dir);
  keys = new KeysRepo(db);
  auth = new AuthService(keys);
  key = await auth.createKey('test');
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const now = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const secretOf = (k: DevKey) => new TextEncoder().encode(k.secret);
const valid = (permissions: string[] = ['allow_upload']) =>
  signToken({ apiKey: key.apiKey, secret: key.secret, permissions: permissions as never });

/** Signs arbitrary claims with the key's secret (HS256 unless told). */
function sign(claims: Record<string, unknown>, options: { alg?: string; exp?: number | null } = {}) {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' }).setIssuedAt();
  if (options.exp !== null) jwt = jwt.setExpirationTime(options.exp ?? now() + 600);
  return jwt.sign(secretOf(key));
}

async function failure(header: string | undefined): Promise<ApiError> {
  const err = await auth.authenticate(header).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('AuthService.authenticate', () => {
  it('accepts a raw token and a Bearer token', async () => {
    const token = await valid(['allow_upload', 'allow_read']);
    for (const header of [token, `Bearer ${token}`, `bearer   ${token}`]) {
      const principal = await auth.authenticate(header);
      expect(principal.apiKey).toBe(key.apiKey);
      expect([...principal.permissions].sort()).toEqual(['allow_read', 'allow_upload']);
    }
  });

  it('refuses a missing header', async () => {
    for (const header of [undefined, '']) {
      const err = await failure(header);
      expect(err.code).toBe('auth_missing');
      expect(err.status).toBe(401);
    }
  });

  it('refuses malformed tokens', async () => {
    for (const header of [
      'Bearer',
      'Bearer ',
      'not-a-jwt',
      'a.b.c',
      'Basic dXNlcjpwYXNz',
      `${b64({ alg: 'HS256' })}.@@@.x`,
    ]) {
      const err = await failure(header);
      expect(err.code, header).toBe('auth_malformed');
      expect(err.status).toBe(401);
    }
  });

  it('refuses a forged signature', async () => {
    const forged = await signToken({ apiKey: key.apiKey, secret: 'guessed', permissions: ['allow_upload'] });
    expect((await failure(forged)).code).toBe('auth_bad_signature');
    // Payload swapped under a genuine signature.
    const [h, , s] = (await valid()).split('.');
    const tampered = `${h}.${b64({ apikey: key.apiKey, permissions: ['allow_admin'], exp: now() + 600 })}.${s}`;
    expect((await failure(tampered)).code).toBe('auth_bad_signature');
  });

  it('refuses alg "none", crafted by hand', async () => {
    const payload = b64({ apikey: key.apiKey, permissions: ['allow_admin'], iat: now(), exp: now() + 600 });
    for (const alg of ['none', 'None', 'NONE']) {
      const unsigned = `${b64({ alg, typ: 'JWT' })}.${payload}.`;
      const err = await failure(unsigned);
      expect(err.code, alg).toBe('auth_bad_algorithm');
    }
  });

  it('refuses other algorithms (HS512, and an RS256 header on an HMAC)', async () => {
    const hs512 = await sign({ apikey: key.apiKey, permissions: ['allow_upload'] }, { alg: 'HS512' });
    expect((await failure(hs512)).code).toBe('auth_bad_algorithm');
    // The classic confusion: an RS256 header hoping the verifier uses the "public key" as an HMAC secret.
    const [, body, sig] = (await valid()).split('.');
    const rs256 = `${b64({ alg: 'RS256', typ: 'JWT' })}.${body}.${sig}`;
    expect((await failure(rs256)).code).toBe('auth_bad_algorithm');
  });

  it('refuses an expired token, tolerating a little clock skew', async () => {
    const expired = await sign({ apikey: key.apiKey, permissions: ['allow_upload'] }, { exp: now() - 120 });
    const err = await failure(expired);
    expect(err.code).toBe('auth_expired');
    expect(err.status).toBe(401);
    const skewed = await sign({ apikey: key.apiKey, permissions: ['allow_upload'] }, { exp: now() - 5 });
    await expect(auth.authenticate(skewed)).resolves.toMatchObject({ apiKey: key.apiKey });
  });

  it('requires exp', async () => {
    const forever = await sign({ apikey: key.apiKey, permissions: ['allow_upload'] }, { exp: null });
    expect((await failure(forever)).code).toBe('auth_malformed');
  });

  it('refuses an unknown and a revoked key', async () => {
    const unknown = await signToken({
      apiKey: 'nosuchkey000',
      secret: key.secret,
      permissions: ['allow_upload'],
    });
    expect((await failure(unknown)).code).toBe('auth_unknown_key');
    const noKey = await sign({ permissions: ['allow_upload'] });
    expect((await failure(noKey)).code).toBe('auth_malformed');

    const token = await valid();
    expect(await keys.revoke(key.apiKey)).toBe(true);
    expect((await failure(token)).code).toBe('auth_revoked_key');
  });

  it('refuses a bad permissions claim', async () => {
    for (const permissions of [undefined, 'allow_upload', ['allow_everything'], [42], {}]) {
      const token = await sign({ apikey: key.apiKey, permissions });
      expect((await failure(token)).code, JSON.stringify(permissions)).toBe('auth_malformed');
    }
  });

  it('refuses a playback token used as an API token', async () => {
    const playback = await signPlaybackToken({
      apiKey: key.apiKey,
      secret: key.secret,
      videoId: 'abcdefgh1234',
    });
    expect((await failure(playback)).code).toBe('auth_malformed');
    const withPermissions = await sign({ apikey: key.apiKey, permissions: ['allow_read'], aud: 'playback' });
    expect((await failure(withPermissions)).code).toBe('auth_malformed');
  });

  it('does not accept one key’s token signed with another key’s secret', async () => {
    const other = await auth.createKey('other');
    const crossed = await signToken({
      apiKey: key.apiKey,
      secret: other.secret,
      permissions: ['allow_upload'],
    });
    expect((await failure(crossed)).code).toBe('auth_bad_signature');
  });
});

describe('AuthService.require', () => {
  it('is 403 permission_denied without the permission; allow_admin implies all', async () => {
    const principal = await auth.authenticate(await valid(['allow_read']));
    expect(() => auth.require(principal, 'allow_read')).not.toThrow();
    let err: unknown;
    try {
      auth.require(principal, 'allow_delete');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'permission_denied', status: 403 });
    const admin = await auth.authenticate(await valid(['allow_admin']));
    expect(() => auth.require(admin, 'allow_delete')).not.toThrow();
  });

  it('accepts an empty permission list, then denies everything', async () => {
    const principal = await auth.authenticate(await valid([]));
    expect(() => auth.require(principal, 'allow_upload')).toThrow(expect.objectContaining({ status: 403 }));
  });
});

describe('AuthService.ensureDevKey', () => {
  it('creates the dev key once, on an empty database, readable only by us', async () => {
    const emptyDir = tempDir('vodkit-devkey-');
    const emptyDb = openDatabase(emptyDir);
    try {
      const service = new AuthService(new KeysRepo(emptyDb));
      const created = await service.ensureDevKey(emptyDir);
      expect(created).not.toBeNull();
      const file = path.join(emptyDir, 'dev-key.json');
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(created);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(await service.ensureDevKey(emptyDir)).toBeNull();
    } finally {
      emptyDb.close();
      fs.rmSync(emptyDir, { recursive: true, force: true });
    }
  });
});
