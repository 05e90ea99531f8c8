import fs from 'node:fs';
import type { ApiKey, CreatedApiKey, EncoderJob, Page, StudioSession, Video } from '@vodkit/api';
import { signToken } from '@vodkit/api/sign';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadAndProbe } from '../../test/encode-job.ts';
import { clips, tempDir } from '../../test/fixtures.ts';
import { startServer, type TestServer } from '../../test/server.ts';
import { runKeys } from '../cli/keys.ts';
import { DEFAULT_SIGN_IN_LIMITS } from '../services/sign-in-limiter.ts';

let server: TestServer;
let origin: string;

/** What a browser sends with a Studio page's fetch: its Origin (on writes) and Sec-Fetch-Site. */
const fromStudio = (method = 'GET'): Record<string, string> => ({
  'sec-fetch-site': 'same-origin',
  ...(method === 'GET' || method === 'HEAD' ? {} : { origin }),
});

async function call(
  pathname: string,
  init: {
    method?: string;
    cookie?: string;
    headers?: Record<string, string>;
    json?: unknown;
    ip?: string;
  } = {},
): Promise<Response> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { ...fromStudio(method), ...init.headers };
  if (init.cookie) headers.cookie = init.cookie;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${server.baseUrl}${pathname}`, {
    method,
    headers,
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
}

/** Signs in with the key and secret; returns the `name=value` to send back as `Cookie`. */
async function signIn(apiKey = server.devKey.apiKey, secret = server.devKey.secret): Promise<string> {
  const res = await call('/studio/api/session', { method: 'POST', json: { apiKey, secret } });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

async function expectError(res: Response, status: number, code: string): Promise<void> {
  const body = (await res.json()) as { error: { code: string } };
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.error.code).toBe(code);
}

beforeAll(async () => {
  // No encoding: the jobs these tests list stay queued (or get cancelled), which is all they need.
  // Behind a trusted (loopback) proxy, so a test can be another client address with X-Forwarded-For.
  server = await startServer({ VOD_STUDIO_SESSION_TTL_S: '3600', VOD_TRUST_PROXY: 'loopback' }, tempDir(), {
    startWorkers: false,
  });
  origin = new URL(server.baseUrl).origin;
});

afterAll(async () => {
  await server?.close();
});

describe('Studio sign-in', () => {
  it('signs in with an API key and its secret: an httpOnly, SameSite=Strict, expiring cookie that the API takes', async () => {
    const res = await call('/studio/api/session', {
      method: 'POST',
      json: { apiKey: server.devKey.apiKey, secret: server.devKey.secret },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as StudioSession;
    expect(body.apiKey).toBe(server.devKey.apiKey);
    expect(JSON.stringify(body)).not.toContain(server.devKey.secret);
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^vodkit_studio=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Max-Age=3600');
    expect(setCookie).not.toContain(server.devKey.secret);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const cookie = setCookie.split(';')[0]!;

    expect((await call('/studio/api/session', { cookie })).status).toBe(200);
    // The cookie authorizes the API as the key, admin routes included.
    expect((await call('/v1/videos', { cookie })).status).toBe(200);
    expect((await call('/v1/webhooks', { cookie })).status).toBe(200);
    const created = await call('/v1/keys', { method: 'POST', cookie, json: { name: 'from the studio' } });
    expect(created.status).toBe(201);
  });

  it('refuses a wrong secret, an unknown key and the demo sandbox key alike', async () => {
    const wrong = await call('/studio/api/session', {
      method: 'POST',
      json: { apiKey: server.devKey.apiKey, secret: 'not-the-secret' },
    });
    expect(wrong.headers.get('set-cookie')).toBeNull();
    await expectError(wrong, 401, 'sign_in_failed');
    await expectError(
      await call('/studio/api/session', { method: 'POST', json: { apiKey: 'nosuchkey', secret: 'x' } }),
      401,
      'sign_in_failed',
    );
    const sandbox = await server.app.vodkit.auth.sandboxKey();
    await expectError(
      await call('/studio/api/session', { method: 'POST', json: sandbox }),
      401,
      'sign_in_failed',
    );
    await expectError(
      await call('/studio/api/session', { method: 'POST', json: {} }),
      400,
      'validation_failed',
    );
  });

  it('refuses the cookie on requests another site started (CSRF), and cross-site sign-ins', async () => {
    const cookie = await signIn();
    const evil = 'https://evil.example';
    // Another site's form or fetch: Origin and Sec-Fetch-Site say so.
    await expectError(
      await call('/v1/keys', {
        method: 'POST',
        cookie,
        json: {},
        headers: { origin: evil, 'sec-fetch-site': 'cross-site' },
      }),
      403,
      'cross_origin_refused',
    );
    // A sibling subdomain is "same site" (SameSite lets the cookie through): still refused.
    await expectError(
      await call(`/v1/videos/x`, {
        method: 'PATCH',
        cookie,
        json: { title: 'pwned' },
        headers: { origin: 'https://other.127.0.0.1.nip.io', 'sec-fetch-site': 'same-site' },
      }),
      403,
      'cross_origin_refused',
    );
    // A write with neither header is no Studio page's: refused.
    await expectError(
      await fetch(`${server.baseUrl}/v1/keys`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: '{}',
      }),
      403,
      'cross_origin_refused',
    );
    // Reads from another site too.
    await expectError(
      await call('/v1/keys', { cookie, headers: { 'sec-fetch-site': 'cross-site' } }),
      403,
      'cross_origin_refused',
    );
    // Login CSRF: another site cannot sign a browser in (to its own key), nor out.
    await expectError(
      await call('/studio/api/session', {
        method: 'POST',
        json: { apiKey: server.devKey.apiKey, secret: server.devKey.secret },
        headers: { origin: evil, 'sec-fetch-site': 'cross-site' },
      }),
      403,
      'cross_origin_refused',
    );
    await expectError(
      await call('/studio/api/session', { method: 'DELETE', cookie, headers: { origin: evil } }),
      403,
      'cross_origin_refused',
    );
    // No CORS on the session routes: a preflight grants nothing.
    const preflight = await fetch(`${server.baseUrl}/studio/api/session`, {
      method: 'OPTIONS',
      headers: { origin: evil, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    // And the session still works from the Studio itself.
    expect((await call('/v1/keys', { cookie })).status).toBe(200);
  });

  it('lets an API token win over the cookie, and does not make a token of another key an admin', async () => {
    const cookie = await signIn();
    const readOnly = await server.token(['allow_read']);
    const res = await call('/v1/keys', { cookie, headers: { authorization: `Bearer ${readOnly}` } });
    await expectError(res, 403, 'permission_denied');
  });

  it('ends a session at its expiry', async () => {
    const token = 'A'.repeat(43);
    const { createHash } = await import('node:crypto');
    await server.app.vodkit.repos.studioSessions.insert({
      tokenHash: createHash('sha256').update(token).digest('base64url'),
      kind: 'session',
      apiKey: server.devKey.apiKey,
      expiresAt: Date.now() - 1,
    });
    await expectError(await call('/v1/videos', { cookie: `vodkit_studio=${token}` }), 401, 'auth_expired');
    await expectError(
      await call('/studio/api/session', { cookie: `vodkit_studio=${token}` }),
      401,
      'auth_expired',
    );
    expect(await server.app.vodkit.studio.sweep()).toBeGreaterThanOrEqual(1);
  });

  it('signs out: the cookie is cleared and its session is gone on the server', async () => {
    const cookie = await signIn();
    const out = await call('/studio/api/session', { method: 'DELETE', cookie });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^vodkit_studio=; .*Max-Age=0/);
    // Replaying the old cookie does not work: the session was deleted, not just forgotten by the browser.
    await expectError(await call('/v1/videos', { cookie }), 401, 'auth_expired');
  });

  it('ends the sessions of a revoked key', async () => {
    const keyCookie = await signIn();
    const made = (await (
      await call('/v1/keys', { method: 'POST', cookie: keyCookie, json: { name: 'short-lived' } })
    ).json()) as CreatedApiKey;
    const cookie = await signIn(made.apiKey, made.secret);
    expect((await call('/v1/videos', { cookie })).status).toBe(200);
    expect((await call(`/v1/keys/${made.apiKey}`, { method: 'DELETE', cookie: keyCookie })).status).toBe(200);
    await expectError(await call('/v1/videos', { cookie }), 401, 'auth_revoked_key');
  });

  it('signs in once with a link from `npm run keys -- login`', async () => {
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: () => {} };
    // Two usable keys by now (the dev key and those made above): the CLI wants the key named.
    expect(await runKeys(['login'], server.dataDir, io, null, undefined, server.baseUrl)).toBe(1);
    expect(
      await runKeys(['login', server.devKey.apiKey], server.dataDir, io, null, undefined, server.baseUrl),
    ).toBe(0);
    const url = new URL(out[0]!);
    expect(`${url.origin}${url.pathname}`).toBe(`${server.baseUrl}/studio`);
    const link = new URLSearchParams(url.hash.slice(1)).get('link')!;
    const first = await call('/studio/api/session', { method: 'POST', json: { link } });
    expect(first.status).toBe(200);
    expect(((await first.json()) as StudioSession).apiKey).toBe(server.devKey.apiKey);
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    expect((await call('/v1/videos', { cookie })).status).toBe(200);
    await expectError(
      await call('/studio/api/session', { method: 'POST', json: { link } }),
      401,
      'sign_in_failed',
    );
  });

  it('rate-limits failed sign-ins per address, even when the next one is right', async () => {
    // Addresses of their own, so the failures of other tests do not count here, nor these elsewhere.
    const post = (secret: string, ip: string) =>
      call('/studio/api/session', {
        method: 'POST',
        json: { apiKey: server.devKey.apiKey, secret },
        headers: { 'x-forwarded-for': ip },
      });
    for (let i = 0; i < DEFAULT_SIGN_IN_LIMITS.failures; i++) {
      expect((await post(`guess-${i}`, '203.0.113.7')).status).toBe(401);
    }
    const limited = await post(server.devKey.secret, '203.0.113.7');
    await expectError(limited, 429, 'too_many_sign_ins');
    expect(limited.headers.get('set-cookie')).toBeNull();
    const wait = Number(limited.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(DEFAULT_SIGN_IN_LIMITS.windowMs / 1000);
    // Another address is not held back.
    expect((await post(server.devKey.secret, '203.0.113.8')).status).toBe(200);
  });
});

describe('/v1/keys', () => {
  it('creates a key (its secret once), lists without secrets, revokes only keys it made', async () => {
    const admin = await server.token(['allow_admin']);
    const auth = { authorization: `Bearer ${admin}` };
    const res = await call('/v1/keys', { method: 'POST', json: { name: 'app server' }, headers: auth });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const made = (await res.json()) as CreatedApiKey;
    expect(made).toMatchObject({ name: 'app server', revokedAt: null, current: false });
    expect(made.secret.length).toBeGreaterThanOrEqual(40);
    // The new key signs tokens the API takes.
    const madeToken = await signToken({
      apiKey: made.apiKey,
      secret: made.secret,
      permissions: ['allow_read'],
    });
    expect((await call('/v1/videos', { headers: { authorization: `Bearer ${madeToken}` } })).status).toBe(
      200,
    );

    const list = (await (await call('/v1/keys', { headers: auth })).json()) as { data: ApiKey[] };
    expect(JSON.stringify(list)).not.toContain(made.secret);
    expect(list.data[0]).toMatchObject({ apiKey: server.devKey.apiKey, current: true });
    expect(list.data.map((k) => k.apiKey)).toContain(made.apiKey);

    // The made key is a tenant of its own: it sees itself only, and cannot revoke its maker.
    const madeAdmin = {
      authorization: `Bearer ${await signToken({ ...made, permissions: ['allow_admin'] })}`,
    };
    const its = (await (await call('/v1/keys', { headers: madeAdmin })).json()) as { data: ApiKey[] };
    expect(its.data.map((k) => k.apiKey)).toEqual([made.apiKey]);
    await expectError(
      await call(`/v1/keys/${server.devKey.apiKey}`, { method: 'DELETE', headers: madeAdmin }),
      404,
      'not_found',
    );
    await expectError(
      await call(`/v1/keys/${server.devKey.apiKey}`, { method: 'DELETE', headers: auth }),
      409,
      'conflict',
    );

    const revoked = await call(`/v1/keys/${made.apiKey}`, { method: 'DELETE', headers: auth });
    expect(((await revoked.json()) as ApiKey).revokedAt).not.toBeNull();
    await expectError(
      await call('/v1/videos', { headers: { authorization: `Bearer ${madeToken}` } }),
      401,
      'auth_revoked_key',
    );
  });

  it('needs allow_admin', async () => {
    const token = await server.token();
    await expectError(
      await call('/v1/keys', { headers: { authorization: `Bearer ${token}` } }),
      403,
      'permission_denied',
    );
    await expectError(
      await call('/v1/keys', { method: 'POST', json: {}, headers: { authorization: `Bearer ${token}` } }),
      403,
      'permission_denied',
    );
  });
});

describe('GET /v1/videos and PATCH {title}', () => {
  it('lists videos newest first, searched by title, filtered by status, paged; titles are edited', async () => {
    const token = await server.token();
    const headers = { authorization: `Bearer ${token}` };
    const clip = await clips.h264Aac(tempDir(), { duration: 1, width: 160, height: 120 });
    const file = await uploadAndProbe(server, token, fs.readFileSync(clip), 'holiday_50%.mp4');
    expect(file.status).toBe('ready');
    const jobs: EncoderJob[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call('/v1/encoder/jobs', { method: 'POST', json: { fileId: file.fileId }, headers });
      jobs.push((await res.json()) as EncoderJob);
    }
    const [a, b, c] = jobs as [EncoderJob, EncoderJob, EncoderJob];
    const list = async (query: string) =>
      (await (await call(`/v1/videos${query}`, { headers })).json()) as Page<Video>;

    const all = await list('');
    expect(all.data.map((v) => v.videoId)).toEqual([c.videoId, b.videoId, a.videoId]);
    expect(all.data[0]!.title).toBe('holiday_50%.mp4');

    const patched = await call(`/v1/videos/${b.videoId}`, {
      method: 'PATCH',
      json: { title: '  Rosé at sunset  ' },
      headers,
    });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as Video).title).toBe('Rosé at sunset');
    expect(((await (await call(`/v1/videos/${b.videoId}`, { headers })).json()) as Video).title).toBe(
      'Rosé at sunset',
    );
    // Case-insensitive, anywhere in the title; the LIKE pattern characters are literal.
    expect((await list('?q=SUNSET')).data.map((v) => v.videoId)).toEqual([b.videoId]);
    expect((await list('?q=50%25')).data.map((v) => v.videoId)).toEqual([c.videoId, a.videoId]);
    expect((await list('?q=_')).data.map((v) => v.videoId)).toEqual([c.videoId, a.videoId]);
    expect((await list('?q=nothing')).pageInfo.total).toBe(0);

    await call(`/v1/encoder/jobs/${a.jobId}`, { method: 'DELETE', headers });
    expect((await list('?status=cancelled')).data.map((v) => v.videoId)).toEqual([a.videoId]);
    expect((await list('?status=queued&q=holiday')).data.map((v) => v.videoId)).toEqual([c.videoId]);

    const page2 = await list('?perPage=2&page=2');
    expect(page2.data.map((v) => v.videoId)).toEqual([a.videoId]);
    expect(page2.pageInfo).toEqual({ page: 2, perPage: 2, total: 3, lastPage: 2 });

    // null goes back to the file's title.
    await call(`/v1/videos/${b.videoId}`, { method: 'PATCH', json: { title: null }, headers });
    expect((await list('?q=sunset')).pageInfo.total).toBe(0);

    // Another key sees none of them.
    const other = (await (
      await call('/v1/keys', {
        method: 'POST',
        json: {},
        headers: { authorization: `Bearer ${await server.token(['allow_admin'])}` },
      })
    ).json()) as CreatedApiKey;
    const otherToken = await signToken({ ...other, permissions: ['allow_read', 'allow_encode'] });
    const theirs = (await (
      await call('/v1/videos', { headers: { authorization: `Bearer ${otherToken}` } })
    ).json()) as Page<Video>;
    expect(theirs.pageInfo.total).toBe(0);
    await expectError(
      await call(`/v1/videos/${b.videoId}`, {
        method: 'PATCH',
        json: { title: 'mine' },
        headers: { authorization: `Bearer ${otherToken}` },
      }),
      404,
      'not_found',
    );
  });

  it('refuses bad titles and bad list queries with 400', async () => {
    const headers = { authorization: `Bearer ${await server.token()}` };
    const { data } = (await (await call('/v1/videos', { headers })).json()) as Page<Video>;
    const videoId = data[0]!.videoId;
    for (const title of ['', '   ', 'a'.repeat(201), 'line\nbreak', { text: 'x' }]) {
      const res = await call(`/v1/videos/${videoId}`, { method: 'PATCH', json: { title }, headers });
      await expectError(res, 400, 'validation_failed');
    }
    await expectError(await call('/v1/videos?status=playing', { headers }), 400, 'validation_failed');
    await expectError(await call('/v1/videos?perPage=1000', { headers }), 400, 'validation_failed');
  });
});
