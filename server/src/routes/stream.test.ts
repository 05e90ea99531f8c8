import fs from 'node:fs';
import path from 'node:path';
import type { EncoderJob, Video } from '@vodkit/api';
import { signPlaybackToken, signToken } from '@vodkit/api/sign';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { apiFetcher, startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';
import { buildApp } from '../app.ts';
import type { DevKey } from '../services/auth.ts';

// Protected playback end to end over HTTP: one real encode, then every file of the video behind the
// stream gate, the playlist signatures, domain restrictions, /embed and /oembed, and the file serving
// itself (Range, If-Range, HEAD, symlinks).

let server: TestServer;
let token: string;
let other: DevKey;
let otherToken: string;
let site: string;
let job: EncoderJob;
/** Every kind of file of the video, relative to /stream/<videoId>/. */
let files: { master: string; variant: string; init: string; segment: string; poster: string };

interface ErrorJson {
  error: { code: string; message: string };
}

const api = apiFetcher(
  () => server.baseUrl,
  () => token,
);

const stream = (file: string, query = '', headers: Record<string, string> = {}) =>
  fetch(`${server.baseUrl}/stream/${job.videoId}/${file}${query}`, { headers });

const playbackToken = (videoId = job.videoId, expiresIn?: number, key: DevKey = server.devKey) =>
  signPlaybackToken({
    apiKey: key.apiKey,
    secret: key.secret,
    videoId,
    ...(expiresIn === undefined ? {} : { expiresIn }),
  });

async function expectError(res: Response, status: number, code: string): Promise<void> {
  expect(res.status, `${res.url} → ${res.status}`).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  expect(((await res.json()) as ErrorJson).error.code).toBe(code);
}

const allFiles = () => Object.values(files);

beforeAll(async () => {
  site = tempDir('vodkit-stream-site-');
  fs.writeFileSync(path.join(site, 'embed.html'), '<!doctype html><title>embed</title>');
  const clipDir = tempDir('vodkit-stream-clip-');
  const [s, clip] = await Promise.all([
    startServer({ VOD_DEMO_DIR: site }),
    clips.h264Aac(clipDir, { duration: 3, width: 320, height: 180 }).then((f) => fs.readFileSync(f)),
  ]);
  server = s;
  fs.rmSync(clipDir, { recursive: true, force: true });
  token = await server.token();
  other = await server.app.vodkit.auth.createKey('other');
  otherToken = await signToken({
    apiKey: other.apiKey,
    secret: other.secret,
    permissions: ['allow_upload', 'allow_encode', 'allow_read', 'allow_delete', 'allow_admin'],
  });
  const fileId = fileIdOf(
    await tusUpload(clip, {
      baseUrl: server.baseUrl,
      bearer: token,
      metadata: { filename: 'secret.mp4', filetype: 'video/mp4', title: 'Secret title' },
    }),
  );
  const res = await api('/v1/encoder/jobs', {
    method: 'POST',
    json: { fileId, presets: [{ resolutions: ['240'], format: 'hls' }], protected: true },
  });
  expect(res.status).toBe(201);
  job = (await res.json()) as EncoderJob;
  expect(job.protected).toBe(true);
  const until = Date.now() + 90_000;
  for (;;) {
    const j = (await (await api(`/v1/encoder/jobs/${job.jobId}`)).json()) as EncoderJob;
    if (j.status === 'completed') break;
    if (j.status === 'failed' || Date.now() > until) throw new Error(`encode: ${JSON.stringify(j)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const dir = path.join(server.dataDir, 'videos', job.videoId);
  const variant = '240/index.m3u8';
  const playlist = fs.readFileSync(path.join(dir, variant), 'utf8');
  files = {
    master: 'master.m3u8',
    variant,
    init: `240/${/#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]}`,
    segment: `240/${playlist.split('\n').find((l) => l.endsWith('.m4s'))}`,
    poster: 'poster.jpg',
  };
}, 120_000);

afterAll(async () => {
  await server?.close();
  fs.rmSync(site, { recursive: true, force: true });
});

describe('the stream gate of a protected video', () => {
  it('refuses every file without a token: 401 playback_token_missing as JSON, CORS-readable', async () => {
    for (const file of allFiles()) {
      await expectError(await stream(file), 401, 'playback_token_missing');
    }
    // HEAD too, and the gate answers before the route even looks for the file.
    const head = await fetch(`${server.baseUrl}/stream/${job.videoId}/${files.segment}`, { method: 'HEAD' });
    expect(head.status).toBe(401);
    await expectError(await stream('no-such-file.m4s'), 401, 'playback_token_missing');
    // The id percent-encoded, as the router would decode it: still this protected video.
    const encoded = [...job.videoId].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
    for (const file of allFiles()) {
      await expectError(
        await fetch(`${server.baseUrl}/stream/${encoded}/${file}`),
        401,
        'playback_token_missing',
      );
    }
  });

  it('refuses expired, forged, wrong-video, foreign-key and API tokens with distinct codes', async () => {
    const expired = await playbackToken(job.videoId, -120);
    const forged = await signPlaybackToken({
      apiKey: server.devKey.apiKey,
      secret: 'not-the-secret',
      videoId: job.videoId,
    });
    const wrongVideo = await playbackToken('abcdefghij0123456789');
    // Another key signs a token naming our video: its own secret, but not its video.
    const foreignKey = await playbackToken(job.videoId, 600, other);
    const tooLong = await playbackToken(job.videoId, 30 * 24 * 3600);
    for (const file of allFiles()) {
      await expectError(await stream(file, `?token=${expired}`), 401, 'playback_token_expired');
      await expectError(await stream(file, `?token=${forged}`), 401, 'playback_token_invalid');
      await expectError(await stream(file, `?token=${wrongVideo}`), 403, 'playback_token_wrong_video');
      await expectError(await stream(file, `?token=${foreignKey}`), 403, 'playback_token_wrong_video');
      await expectError(await stream(file, `?token=${token}`), 401, 'playback_token_invalid');
      await expectError(await stream(file, '?token=not.a.jwt'), 401, 'playback_token_invalid');
      await expectError(await stream(file, `?token=${tooLong}`), 401, 'playback_token_invalid');
    }
  });

  it('admits a valid token on every file (query or Bearer) and signs the playlists it serves', async () => {
    const t = await playbackToken();
    // A page on another origin sending the token as a header is preflighted first, without it.
    const preflight = await fetch(`${server.baseUrl}/stream/${job.videoId}/${files.master}`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://site.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(['*', 'https://site.example']).toContain(preflight.headers.get('access-control-allow-origin'));
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    for (const file of allFiles()) {
      const res = await stream(file, `?token=${t}`);
      expect(res.status, file).toBe(200);
      await res.arrayBuffer();
      const bearer = await stream(file, '', { authorization: `Bearer ${t}` });
      expect(bearer.status, file).toBe(200);
      await bearer.arrayBuffer();
    }
    const master = await stream(files.master, `?token=${t}`);
    expect(master.headers.get('cache-control')).toBe('private, no-cache');
    const text = await master.text();
    const variantUri = text.split('\n').find((l) => l && !l.startsWith('#'))!;
    expect(variantUri).toMatch(/^240\/index\.m3u8\?sig=\d+\.[\w-]{22}$/);
    expect(text).not.toContain(t);

    // The signed variant playlist hands the same signature on to its init segment and segments.
    const media = await (await stream(variantUri)).text();
    const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(media)![1]!;
    const segments = media.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(init).toMatch(/\?sig=/);
    expect(segments.length).toBeGreaterThan(0);
    for (const uri of [init, ...segments]) {
      expect(uri).toMatch(/\?sig=\d+\.[\w-]{22}$/);
      const res = await stream(`240/${uri}`);
      expect(res.status, uri).toBe(200);
      expect(res.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
      await res.arrayBuffer();
    }
    // The poster and any sibling accept the signature too (one token admits the whole video).
    const sig = /sig=([^&\s]+)/.exec(variantUri)![1]!;
    expect((await stream(files.poster, `?sig=${sig}`)).status).toBe(200);
  });

  it('refuses tampered, foreign and expired signatures', async () => {
    const t = await playbackToken();
    const text = await (await stream(files.master, `?token=${t}`)).text();
    const sig = decodeURIComponent(/sig=([^&\s]+)/.exec(text)![1]!);
    const [exp, mac] = sig.split('.') as [string, string];
    const flipped = `${exp}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
    await expectError(await stream(files.segment, `?sig=${flipped}`), 401, 'playback_token_invalid');
    // Extending the expiry breaks the MAC.
    await expectError(
      await stream(files.segment, `?sig=${Number(exp) + 3600}.${mac}`),
      401,
      'playback_token_invalid',
    );
    await expectError(await stream(files.segment, '?sig=garbage'), 401, 'playback_token_invalid');
    // A signature of this video is worth nothing for another one.
    const otherVideo = server.app.vodkit.playback.grant('abcdefghij0123456789', Number(exp)).sig;
    await expectError(await stream(files.segment, `?sig=${otherVideo}`), 401, 'playback_token_invalid');
    const old = server.app.vodkit.playback.grant(job.videoId, Math.floor(Date.now() / 1000) - 120).sig;
    await expectError(await stream(files.segment, `?sig=${old}`), 401, 'playback_token_expired');
  });

  it('a token in its clock tolerance hands out signatures that last exactly as long as it does', async () => {
    // Expired 2 s ago: still inside the 5 s of tolerance. Its master must list live segments.
    const late = await playbackToken(job.videoId, -2);
    const exp = JSON.parse(Buffer.from(late.split('.')[1]!, 'base64url').toString()).exp as number;
    const master = await stream(files.master, `?token=${late}`);
    expect(master.status).toBe(200);
    const sig = /sig=([\w.-]+)/.exec(await master.text())![1]!;
    expect(Number(sig.split('.')[0])).toBe(exp + 5);
    expect((await stream(files.segment, `?sig=${sig}`)).status).toBe(200);
    // Past the tolerance both are refused alike.
    await expectError(
      await stream(files.master, `?token=${await playbackToken(job.videoId, -6)}`),
      401,
      'playback_token_expired',
    );
  });

  it('also guards /stream routes that other plugins add', async () => {
    // A second app on the same data dir, with a route registered after the gate, as pictures or
    // captions add theirs.
    const app: FastifyInstance = await buildApp(server.config, { logger: false, startWorkers: false });
    try {
      await app.register(async (child) => {
        child.get('/stream/:videoId/extra/:name', async () => ({ secret: 'extra' }));
      });
      await app.ready();
      const url = `/stream/${job.videoId}/extra/x.json`;
      const refused = await app.inject({ url });
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toMatchObject({ error: { code: 'playback_token_missing' } });
      const t = await playbackToken();
      expect((await app.inject({ url: `${url}?token=${t}` })).json()).toEqual({ secret: 'extra' });
    } finally {
      await app.close();
    }
  });

  it('mints playback tokens for the owner only, with a bounded lifetime', async () => {
    const res = await api(`/v1/videos/${job.videoId}/playback-tokens`, {
      method: 'POST',
      json: { expiresIn: 120 },
    });
    expect(res.status).toBe(201);
    const minted = (await res.json()) as { token: string; videoId: string; expiresAt: string };
    expect(minted.videoId).toBe(job.videoId);
    expect(Date.parse(minted.expiresAt) - Date.now()).toBeLessThanOrEqual(121_000);
    expect((await stream(files.segment, `?token=${minted.token}`)).status).toBe(200);
    // No body: the default hour.
    const plain = await api(`/v1/videos/${job.videoId}/playback-tokens`, { method: 'POST' });
    expect(plain.status).toBe(201);

    const foreign = await api(`/v1/videos/${job.videoId}/playback-tokens`, {
      method: 'POST',
      bearer: otherToken,
    });
    await expectErrorNoCors(foreign, 404, 'not_found');
    for (const expiresIn of [0, -5, 10 * 24 * 3600, 'soon']) {
      const bad = await api(`/v1/videos/${job.videoId}/playback-tokens`, {
        method: 'POST',
        json: { expiresIn },
      });
      await expectErrorNoCors(bad, 400, 'validation_failed');
    }
    const anon = await api(`/v1/videos/${job.videoId}/playback-tokens`, { method: 'POST', bearer: null });
    await expectErrorNoCors(anon, 401, 'auth_missing');
  });
});

async function expectErrorNoCors(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(((await res.json()) as ErrorJson).error.code).toBe(code);
}

describe('PATCH /v1/videos/:id and domain restrictions', () => {
  it('turns protection off and on at once (the cached flag is dropped), for the owner only', async () => {
    const off = await api(`/v1/videos/${job.videoId}`, { method: 'PATCH', json: { protected: false } });
    expect(off.status).toBe(200);
    expect(await off.json()).toMatchObject({ videoId: job.videoId, protected: false, allowedOrigins: null });
    expect((await stream(files.segment)).status).toBe(200);

    const foreign = await api(`/v1/videos/${job.videoId}`, {
      method: 'PATCH',
      bearer: otherToken,
      json: { protected: true },
    });
    await expectErrorNoCors(foreign, 404, 'not_found');
    expect((await stream(files.segment)).status).toBe(200);

    const on = await api(`/v1/videos/${job.videoId}`, { method: 'PATCH', json: { protected: true } });
    expect(on.status).toBe(200);
    expect(((await (await api(`/v1/videos/${job.videoId}`)).json()) as Video).protected).toBe(true);
    await expectError(await stream(files.segment), 401, 'playback_token_missing');
  });

  it('refuses what it does not do', async () => {
    for (const json of [
      {},
      { protected: 'yes' },
      { duration: 5 },
      { title: 'two\nlines' },
      { title: 'x'.repeat(201) },
      { allowedOrigins: ['javascript:alert(1)'] },
      { allowedOrigins: ['https://a.example/path'] },
    ]) {
      const res = await api(`/v1/videos/${job.videoId}`, { method: 'PATCH', json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      await expectErrorNoCors(res, 400, 'validation_failed');
    }
    const readOnly = await server.token(['allow_read']);
    const res = await api(`/v1/videos/${job.videoId}`, {
      method: 'PATCH',
      bearer: readOnly,
      json: { protected: true },
    });
    await expectErrorNoCors(res, 403, 'permission_denied');
  });

  it("refuses a protected video's files to other sites, by Origin or Referer, per video or per key", async () => {
    const t = await playbackToken();
    const patch = await api(`/v1/videos/${job.videoId}`, {
      method: 'PATCH',
      json: { allowedOrigins: ['https://good.example', 'https://*.partner.example'] },
    });
    expect(((await patch.json()) as { allowedOrigins: string[] }).allowedOrigins).toEqual([
      'https://good.example',
      'https://*.partner.example',
    ]);
    const q = `?token=${t}`;
    for (const file of allFiles()) {
      await expectError(await stream(file, q, { origin: 'https://evil.example' }), 403, 'origin_not_allowed');
      await expectError(
        await stream(file, q, { referer: 'https://evil.example/page' }),
        403,
        'origin_not_allowed',
      );
      await expectError(
        await stream(file, q, { origin: 'https://partner.example' }),
        403,
        'origin_not_allowed',
      );
      await expectError(await stream(file, q, { origin: 'null' }), 403, 'origin_not_allowed');
      for (const headers of [
        { origin: 'https://good.example' } as Record<string, string>,
        { origin: 'https://www.partner.example' },
        { referer: 'https://good.example/watch?v=1' },
        // This server itself (its embed page), and clients that send neither header.
        { referer: `${server.baseUrl}/embed/${job.videoId}` },
        {},
      ]) {
        const res = await stream(file, q, headers);
        expect(res.status, `${file} ${JSON.stringify(headers)}`).toBe(200);
        await res.arrayBuffer();
      }
    }
    // Without a token, a good origin is still not enough.
    await expectError(
      await stream(files.segment, '', { origin: 'https://good.example' }),
      401,
      'playback_token_missing',
    );

    // Clearing the video's list makes it follow the key's list (admin only).
    await api(`/v1/videos/${job.videoId}`, { method: 'PATCH', json: { allowedOrigins: null } });
    expect((await stream(files.segment, q, { origin: 'https://evil.example' })).status).toBe(200);
    const denied = await api('/v1/playback-settings', {
      method: 'PATCH',
      json: { allowedOrigins: ['https://key.example'] },
    });
    await expectErrorNoCors(denied, 403, 'permission_denied');
    const admin = await server.token(['allow_admin']);
    const set = await api('/v1/playback-settings', {
      method: 'PATCH',
      bearer: admin,
      json: { allowedOrigins: ['https://key.example'] },
    });
    expect(await set.json()).toEqual({ allowedOrigins: ['https://key.example'] });
    expect(await (await api('/v1/playback-settings')).json()).toEqual({
      allowedOrigins: ['https://key.example'],
    });
    await expectError(
      await stream(files.segment, q, { origin: 'https://evil.example' }),
      403,
      'origin_not_allowed',
    );
    expect((await stream(files.segment, q, { origin: 'https://key.example' })).status).toBe(200);
    // Another key's settings do not touch ours.
    expect(await (await api('/v1/playback-settings', { bearer: otherToken })).json()).toEqual({
      allowedOrigins: null,
    });
    await api('/v1/playback-settings', { method: 'PATCH', bearer: admin, json: { allowedOrigins: null } });
    expect((await stream(files.segment, q, { origin: 'https://evil.example' })).status).toBe(200);
  });
});

describe('/embed and /oembed of a protected video', () => {
  it('serves the embed only with a valid token, with frame-ancestors, nosniff and a Referrer-Policy', async () => {
    const refused = await fetch(`${server.baseUrl}/embed/${job.videoId}`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toContain('text/html');
    expect(await refused.text()).not.toContain('Secret title');
    const expired = await fetch(
      `${server.baseUrl}/embed/${job.videoId}?token=${await playbackToken(job.videoId, -120)}`,
    );
    expect(expired.status).toBe(401);
    const wrong = await fetch(
      `${server.baseUrl}/embed/${job.videoId}?token=${await playbackToken('abcdefghij0123456789')}`,
    );
    expect(wrong.status).toBe(403);

    const pageToken = await playbackToken();
    const ok = await fetch(`${server.baseUrl}/embed/${job.videoId}?token=${pageToken}`);
    expect(ok.status).toBe(200);
    // The holder of the token gets the video's title, and oEmbed discovery for this very URL.
    const html = await ok.text();
    expect(html).toContain('<title>Secret title</title>');
    const embedUrl = `${server.baseUrl}/embed/${job.videoId}?token=${pageToken}`;
    expect(html).toContain(
      `<link rel="alternate" type="application/json+oembed" href="${server.baseUrl}/oembed?url=${encodeURIComponent(embedUrl)}&amp;format=json" title="Secret title" />`,
    );
    expect(ok.headers.get('content-security-policy')).toBe('frame-ancestors *');
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    expect(ok.headers.get('referrer-policy')).toBe('same-origin');

    await api(`/v1/videos/${job.videoId}`, {
      method: 'PATCH',
      json: { allowedOrigins: ['https://good.example'] },
    });
    const listed = await fetch(`${server.baseUrl}/embed/${job.videoId}?token=${await playbackToken()}`);
    expect(listed.headers.get('content-security-policy')).toBe("frame-ancestors 'self' https://good.example");
    await api(`/v1/videos/${job.videoId}`, { method: 'PATCH', json: { allowedOrigins: null } });
  });

  it('never tells the title or poster of a protected video without its token', async () => {
    const embedUrl = `${server.baseUrl}/embed/${job.videoId}`;
    const bare = await fetch(`${server.baseUrl}/oembed?url=${encodeURIComponent(embedUrl)}`);
    const text = await bare.text();
    expect(bare.status).toBe(401);
    expect(JSON.parse(text).error.code).toBe('playback_token_missing');
    expect(text).not.toContain('Secret title');
    expect(text).not.toContain('poster');

    const forged = await signPlaybackToken({
      apiKey: server.devKey.apiKey,
      secret: 'x',
      videoId: job.videoId,
    });
    const bad = await fetch(
      `${server.baseUrl}/oembed?url=${encodeURIComponent(`${embedUrl}?token=${forged}`)}`,
    );
    expect(bad.status).toBe(401);
    expect(await bad.text()).not.toContain('Secret title');

    const t = await playbackToken();
    const ok = await fetch(`${server.baseUrl}/oembed?url=${encodeURIComponent(`${embedUrl}?token=${t}`)}`);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { title: string; thumbnail_url: string; html: string };
    expect(body.title).toBe('Secret title');
    expect(body.thumbnail_url).toBe(`${server.baseUrl}/stream/${job.videoId}/poster.jpg?token=${t}`);
    expect(body.html).toContain(`/embed/${job.videoId}?token=${t}`);
    expect((await fetch(body.thumbnail_url)).status).toBe(200);
    const beside = await fetch(`${server.baseUrl}/oembed?url=${encodeURIComponent(embedUrl)}&token=${t}`);
    expect(beside.status).toBe(200);
  });

  it('refuses non-positive or non-numeric oEmbed sizes', async () => {
    const url = encodeURIComponent(`${server.baseUrl}/embed/${job.videoId}`);
    for (const q of ['maxwidth=-100', 'maxwidth=0', 'maxheight=-1', 'maxwidth=abc']) {
      const res = await fetch(`${server.baseUrl}/oembed?url=${url}&${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as ErrorJson).error.code).toBe('validation_failed');
    }
  });
});

describe('serving files', () => {
  const q = () => playbackToken().then((t) => `?token=${t}`);

  it('honours one Range, ignores a malformed one, and answers 416 as JSON when unsatisfiable', async () => {
    const query = await q();
    const full = Buffer.from(await (await stream(files.segment, query)).arrayBuffer());
    const size = full.length;
    const part = await stream(files.segment, query, { range: 'bytes=10-109' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-109/${size}`);
    expect(part.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await part.arrayBuffer())).toEqual(full.subarray(10, 110));
    const suffix = await stream(files.segment, query, { range: 'bytes=-16' });
    expect(suffix.status).toBe(206);
    expect(Buffer.from(await suffix.arrayBuffer())).toEqual(full.subarray(size - 16));
    const open = await stream(files.segment, query, { range: `bytes=${size - 5}-` });
    expect(Buffer.from(await open.arrayBuffer())).toEqual(full.subarray(size - 5));

    for (const range of ['bytes=abc', 'bytes=9-1', 'items=0-1', 'bytes=0-1,5-6', 'bytes=-', 'bytes 0-1']) {
      const res = await stream(files.segment, query, { range });
      expect(res.status, range).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).length, range).toBe(size);
    }
    const beyond = await stream(files.segment, query, { range: `bytes=${size}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`);
    expect(((await beyond.json()) as ErrorJson).error.code).toBe('range_not_satisfiable');
  });

  it('answers If-Range: 206 for the strong ETag or the date, 200 for a weak or stale validator', async () => {
    const query = await q();
    const res = await stream(files.segment, query);
    await res.arrayBuffer();
    const etag = res.headers.get('etag')!;
    const lastModified = res.headers.get('last-modified')!;
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const range = { range: 'bytes=0-9' };
    expect((await stream(files.segment, query, { ...range, 'if-range': etag })).status).toBe(206);
    expect((await stream(files.segment, query, { ...range, 'if-range': lastModified })).status).toBe(206);
    for (const ifRange of [`W/${etag}`, '"0-0"', 'Tue, 01 Jan 2019 00:00:00 GMT']) {
      const r = await stream(files.segment, query, { ...range, 'if-range': ifRange });
      expect(r.status, ifRange).toBe(200);
      await r.arrayBuffer();
    }
    const notModified = await stream(files.segment, query, { 'if-none-match': `W/${etag}` });
    expect(notModified.status).toBe(304);
  });

  it('answers HEAD with the headers of GET and no body, and JSON 404s', async () => {
    const query = await q();
    const get = await stream(files.segment, query);
    const size = (await get.arrayBuffer()).byteLength;
    const head = await fetch(`${server.baseUrl}/stream/${job.videoId}/${files.segment}${query}`, {
      method: 'HEAD',
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(size));
    expect(head.headers.get('etag')).toBe(get.headers.get('etag'));
    expect(head.headers.get('content-type')).toBe('video/iso.segment');
    expect(await head.text()).toBe('');
    const missing = await stream('240/nope.m4s', query);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as ErrorJson).error.code).toBe('not_found');
  });

  it('drops Vary: Origin on /stream (CORS is *), keeping one cache entry per file for CDNs', async () => {
    const res = await stream(files.segment, await q(), { origin: 'https://a.example' });
    await res.arrayBuffer();
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('vary')).toBeNull();
  });

  it('never follows a symlink out of the video folder', async () => {
    const query = await q();
    const dir = path.join(server.dataDir, 'videos', job.videoId);
    fs.symlinkSync('/etc/passwd', path.join(dir, 'passwd.m4s'));
    fs.symlinkSync(path.join(server.dataDir, 'dev-key.json'), path.join(dir, '240', 'key.m4s'));
    // Another video's folder, reached through a link to the videos folder.
    fs.mkdirSync(path.join(server.dataDir, 'videos', 'zzzzzzzzzzzz'));
    fs.writeFileSync(
      path.join(server.dataDir, 'videos', 'zzzzzzzzzzzz', 'seg.m4s'),
      'secret of another video',
    );
    fs.symlinkSync(path.join(server.dataDir, 'videos'), path.join(dir, 'all'));
    for (const file of ['passwd.m4s', '240/key.m4s', 'all/zzzzzzzzzzzz/seg.m4s']) {
      const res = await stream(file, query);
      expect(res.status, file).toBe(404);
      const text = await res.text();
      expect(text).not.toContain('root:');
      expect(text).not.toContain('secret');
    }
    // A link that stays inside the folder is fine.
    fs.symlinkSync('poster.jpg', path.join(dir, 'cover.jpg'));
    expect((await stream('cover.jpg', query)).status).toBe(200);
  });
});
