import fs from 'node:fs';
import net from 'node:net';
import type { CaptionTrack, EncoderJob, Video } from '@vodkit/api';
import { signPlaybackToken, signToken } from '@vodkit/api/sign';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { apiFetcher, startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';
import { runKeys } from '../cli/keys.ts';
import { KEY_STATE_TTL_MS, PlaybackService } from '../services/playback.ts';

// Issue 19 #1: the stream gate must follow the route the router matched, not the raw request line.
// One protected video with every kind of file (HLS, MP4 download, poster, job thumbnail, on-demand
// thumbnail, storyboard, captions, chapters, instant clips, animated previews), each asked for under every spelling the router might accept.

let server: TestServer;
let token: string;
let job: EncoderJob;
/** Every kind of file of the video, relative to /stream/<videoId>/ (query included). */
let kinds: Record<string, string>;

const api = apiFetcher(
  () => server.baseUrl,
  () => token,
);

interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/** One request line sent as is over a socket: no client normalizes `/./`, `//` or absolute-form. */
function rawGet(target: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const { port, host } = new URL(server.baseUrl);
  const all: Record<string, string> = { host, connection: 'close', ...headers };
  const lines = [`GET ${target} HTTP/1.1`, ...Object.entries(all).map(([k, v]) => `${k}: ${v}`)];
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () =>
      socket.write(`${lines.join('\r\n')}\r\n\r\n`),
    );
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks).toString('latin1');
      const split = all.indexOf('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(all)?.[1] ?? 0),
        head: all.slice(0, split).toLowerCase(),
        body: all.slice(split + 4),
      });
    });
  });
}

/** Whatever a file of the video looks like: none of it may reach a request without a grant. */
const CONTENT = ['#EXTM3U', 'WEBVTT', 'ftyp', 'moof', '\xff\xd8\xff', 'RIFF', 'GIF8'];

/** Every spelling of `/stream/<id>/<path>` a router, a proxy or a client might turn into the real one. */
function spellings(videoId: string, file: string): string[] {
  const q = file.indexOf('?');
  const rel = q < 0 ? file : file.slice(0, q);
  const query = q < 0 ? '' : file.slice(q);
  const hex = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
  const { host } = new URL(server.baseUrl);
  return [
    `/%73tream/${videoId}/${rel}`,
    `/${hex('stream')}/${videoId}/${rel}`,
    `/%53tream/${videoId}/${rel}`,
    `/stream/${hex(videoId)}/${rel}`,
    `/stream%2F${videoId}/${rel}`,
    `/stream%2f${videoId}%2f${rel}`,
    `/stream/${videoId}%2F${rel}`,
    `/stream/${videoId}/${rel.replaceAll('/', '%2F')}`,
    `/stream/${videoId}/${hex(rel)}`,
    `http://x/stream/${videoId}/${rel}`,
    `http://${host}/stream/${videoId}/${rel}`,
    `http://x/%73tream/${videoId}/${rel}`,
    `HTTP://X:1/stream/${videoId}/${rel}`,
    `//stream/${videoId}/${rel}`,
    `/stream//${videoId}/${rel}`,
    `/stream/${videoId}//${rel}`,
    `/./stream/${videoId}/${rel}`,
    `/%2e/stream/${videoId}/${rel}`,
    `/stream/./${videoId}/${rel}`,
    `/stream/${videoId}/./${rel}`,
    `/x/../stream/${videoId}/${rel}`,
    `/stream/x/../${videoId}/${rel}`,
    `/Stream/${videoId}/${rel}`,
    `/STREAM/${videoId}/${rel}`,
    `/stream./${videoId}/${rel}`,
    `/stream/${videoId}./${rel}`,
    `/stream/${videoId}/${rel}.`,
    `/stream/${videoId.toUpperCase()}/${rel}`,
  ].map((target) => target + query);
}

beforeAll(async () => {
  const clipDir = tempDir('vodkit-gate-clip-');
  const [s, clip] = await Promise.all([
    startServer(),
    clips.h264Aac(clipDir, { duration: 3, width: 320, height: 180 }).then((f) => fs.readFileSync(f)),
  ]);
  server = s;
  fs.rmSync(clipDir, { recursive: true, force: true });
  token = await server.token();
  const fileId = fileIdOf(await tusUpload(clip, { baseUrl: server.baseUrl, bearer: token }));
  const res = await api('/v1/encoder/jobs', {
    method: 'POST',
    json: {
      fileId,
      presets: [
        { resolutions: ['240'], format: 'hls' },
        { resolutions: ['240'], format: 'mp4' },
      ],
      thumbnails: [{ timestamp: '00:00:01', resolutions: ['240'] }],
      protected: true,
    },
  });
  expect(res.status).toBe(201);
  job = (await res.json()) as EncoderJob;
  const track = await api(`/v1/videos/${job.videoId}/tracks`, {
    method: 'POST',
    json: { language: 'en', content: 'WEBVTT\n\n00:00:00.500 --> 00:00:02.000\nHello\n' },
  });
  expect(track.status).toBe(201);
  const captions = new URL(((await track.json()) as CaptionTrack).url).pathname;
  const until = Date.now() + 120_000;
  let video: Video;
  for (;;) {
    const j = (await (await api(`/v1/encoder/jobs/${job.jobId}`)).json()) as EncoderJob;
    if (j.status === 'completed') {
      video = (await (await api(`/v1/videos/${job.videoId}`)).json()) as Video;
      break;
    }
    if (j.status === 'failed' || Date.now() > until) throw new Error(`encode: ${JSON.stringify(j)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const t = await playbackToken();
  const master = await (await fetch(`${server.baseUrl}/stream/${job.videoId}/master.m3u8?token=${t}`)).text();
  const variant = master
    .split('\n')
    .find((l) => l.startsWith('240/'))!
    .split('?')[0]!;
  const media = await (await fetch(`${server.baseUrl}/stream/${job.videoId}/${variant}?token=${t}`)).text();
  const dir = variant.slice(0, variant.lastIndexOf('/') + 1);
  const strip = (uri: string) => dir + uri.split('?')[0];
  const relative = (url: string) => new URL(url).pathname.slice(`/stream/${job.videoId}/`.length);
  kinds = {
    master: 'master.m3u8',
    media: variant,
    init: strip(/#EXT-X-MAP:URI="([^"]+)"/.exec(media)![1]!),
    segment: strip(media.split('\n').find((l) => l && !l.startsWith('#'))!),
    poster: 'poster.jpg',
    thumbnail: relative(video.thumbnails[0]!.url),
    onDemand: 'thumbnail.jpg?time=1&width=160',
    onDemandWebp: 'thumbnail.webp?time=2&width=96',
    storyboard: 'storyboard.vtt',
    sheet: 'storyboard.jpg',
    captions: captions.slice(`/stream/${job.videoId}/`.length),
    download: relative(video.downloads[0]!.url),
    chapters: 'chapters.vtt',
    clip: 'master.m3u8?start=0.5&end=2',
    clipMedia: `${variant}?start=0.5&end=2`,
    animatedWebp: 'animated.webp?start=0.5&end=1&width=96&fps=4',
    animatedGif: 'animated.gif?start=0.5&end=1&width=96&fps=4',
  };
}, 180_000);

afterAll(async () => {
  await server?.close();
});

const playbackToken = () =>
  signPlaybackToken({ apiKey: server.devKey.apiKey, secret: server.devKey.secret, videoId: job.videoId });

describe('the stream gate decides on the matched route (issue 19 #1)', () => {
  it('serves every kind of file to a token, and refuses each without one on the plain path', async () => {
    const t = await playbackToken();
    for (const [kind, file] of Object.entries(kinds)) {
      const sep = file.includes('?') ? '&' : '?';
      const ok = await rawGet(`/stream/${job.videoId}/${file}${sep}token=${t}`);
      expect(ok.status, kind).toBe(200);
      const refused = await rawGet(`/stream/${job.videoId}/${file}`);
      expect(refused.status, kind).toBe(401);
    }
  });

  it('refuses every kind of file under every other spelling: never 200, never a byte of it', async () => {
    const seen = new Map<number, number>();
    for (const [kind, file] of Object.entries(kinds)) {
      for (const target of spellings(job.videoId, file)) {
        const res = await rawGet(target);
        const what = `${kind}: GET ${target} → ${res.status}`;
        expect([400, 401, 403, 404], what).toContain(res.status);
        expect(res.head, what).toMatch(/content-type: application\/json/);
        for (const marker of CONTENT)
          expect(res.body.includes(marker), `${what} leaks ${marker}`).toBe(false);
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      }
    }
    // The spellings the router does resolve to a /stream route meet the gate itself.
    expect(seen.get(401)).toBeGreaterThan(Object.keys(kinds).length * 4);
  });

  it('applies the allowed origins to the spellings the router resolves, too', async () => {
    const patch = await api(`/v1/videos/${job.videoId}`, {
      method: 'PATCH',
      json: { allowedOrigins: ['https://good.example'] },
    });
    expect(patch.status).toBe(200);
    try {
      const t = await playbackToken();
      for (const target of [
        `/%73tream/${job.videoId}/${kinds.segment}?token=${t}`,
        `http://x/stream/${job.videoId}/${kinds.download}?token=${t}`,
      ]) {
        const res = await rawGet(target, { origin: 'https://evil.example' });
        expect(res.status, target).toBe(403);
        expect(res.body).toContain('origin_not_allowed');
      }
    } finally {
      await api(`/v1/videos/${job.videoId}`, { method: 'PATCH', json: { allowedOrigins: null } });
    }
  });

  it('refuses at startup a /stream route that does not name the video as :videoId', async () => {
    const { buildApp } = await import('../app.ts');
    const app = await buildApp(server.config, { logger: false, startWorkers: false });
    try {
      await expect(
        app.register(async (child) => {
          child.get('/stream/:id/extra', async () => ({ secret: 'extra' }));
        }),
      ).rejects.toThrow(/:videoId/);
    } finally {
      await app.close();
    }
  });
});

describe('allowed origins (issue 19 #8)', () => {
  it('passes only the listed origins and the configured public origin, not http://<Host>', async () => {
    await api(`/v1/videos/${job.videoId}`, {
      method: 'PATCH',
      json: { allowedOrigins: ['https://good.example'] },
    });
    try {
      const t = await playbackToken();
      const target = `/stream/${job.videoId}/${kinds.segment}?token=${t}`;
      const { port } = new URL(server.baseUrl);
      // DNS rebinding: rebound.example resolves here, so the page's origin and the Host agree.
      const rebound = `rebound.example:${port}`;
      const refused = await rawGet(target, { host: rebound, origin: `http://${rebound}` });
      expect(refused.status).toBe(403);
      expect(refused.body).toContain('origin_not_allowed');
      const byReferer = await rawGet(target, { host: rebound, referer: `http://${rebound}/page` });
      expect(byReferer.status).toBe(403);
      for (const origin of ['https://good.example', server.baseUrl]) {
        expect((await rawGet(target, { origin })).status, origin).toBe(200);
      }
      // The configured public origin passes whatever the Host says (a proxy may rewrite it).
      expect((await rawGet(target, { host: rebound, origin: server.baseUrl })).status).toBe(200);
    } finally {
      await api(`/v1/videos/${job.videoId}`, { method: 'PATCH', json: { allowedOrigins: null } });
    }
  });
});

describe('a revoked key (issue 19 #7)', () => {
  it("refuses the key's signatures and tokens: at once where not cached, within the key TTL everywhere", async () => {
    // A key of its own with a protected video: revoking the dev key would break the other tests.
    const key = await server.app.vodkit.auth.createKey('revoked-soon');
    const bearer = await signToken({
      apiKey: key.apiKey,
      secret: key.secret,
      permissions: ['allow_upload', 'allow_encode', 'allow_read'],
    });
    const clipDir = tempDir('vodkit-gate-revoke-');
    const clip = fs.readFileSync(await clips.h264Aac(clipDir, { duration: 1, width: 160, height: 90 }));
    fs.rmSync(clipDir, { recursive: true, force: true });
    const fileId = fileIdOf(await tusUpload(clip, { baseUrl: server.baseUrl, bearer }));
    const created = await api('/v1/encoder/jobs', {
      method: 'POST',
      bearer,
      json: { fileId, presets: [{ resolutions: ['240'] }], protected: true },
    });
    expect(created.status).toBe(201);
    const { videoId, jobId } = (await created.json()) as EncoderJob;
    const until = Date.now() + 90_000;
    while (
      ((await (await api(`/v1/encoder/jobs/${jobId}`, { bearer })).json()) as EncoderJob).status !==
      'completed'
    ) {
      if (Date.now() > until) throw new Error('the encode did not complete');
      await new Promise((r) => setTimeout(r, 200));
    }
    const t = await signPlaybackToken({ apiKey: key.apiKey, secret: key.secret, videoId, expiresIn: 3600 });
    // Another node on the same repositories and playback secret, with a clock the test moves.
    let now = 1_000_000;
    const repos = server.app.vodkit.repos;
    const node = new PlaybackService({
      dataDir: server.dataDir,
      repo: repos.playback,
      keys: repos.keys,
      clock: { now: () => now },
    });
    const access = (await node.access(videoId))!;
    // The signature a master answered by that node hands its children (the HTTP node never saw `t`).
    // That node now trusts the key for KEY_STATE_TTL_MS.
    const { sig } = await node.verifyToken(t, access);

    // Revoked as an operator does: the keys CLI, straight in the database; no node is told.
    expect(await runKeys(['revoke', key.apiKey], server.dataDir, { out: () => {}, err: () => {} })).toBe(0);

    // The HTTP node had not cached the key's state: the signature is refused at once.
    const segment = `/stream/${videoId}/master.m3u8?sig=${sig}`;
    const res = await fetch(`${server.baseUrl}${segment}`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('playback_token_invalid');

    // The other node trusted "not revoked" a moment ago; the TTL bounds for how long.
    now += KEY_STATE_TTL_MS - 1;
    expect((await node.verifySig(sig, access)).videoId).toBe(videoId);
    now += 2;
    await expect(node.verifySig(sig, access)).rejects.toMatchObject({ code: 'playback_token_invalid' });
    await expect(node.verifyToken(t, access)).rejects.toMatchObject({ code: 'playback_token_invalid' });
    expect(KEY_STATE_TTL_MS).toBeLessThanOrEqual(60_000);
  }, 120_000);
});

describe("the audit's held attacks on tokens and signatures (issue 19)", () => {
  it('refuses forged, reshaped and reused playback tokens and signatures, across videos too', async () => {
    // A second protected video of the same key: what one video's credentials are worth on another.
    const clipDir = tempDir('vodkit-gate-second-');
    const clip = fs.readFileSync(await clips.h264Aac(clipDir, { duration: 1, width: 160, height: 90 }));
    fs.rmSync(clipDir, { recursive: true, force: true });
    const fileId = fileIdOf(await tusUpload(clip, { baseUrl: server.baseUrl, bearer: token }));
    const created = await api('/v1/encoder/jobs', {
      method: 'POST',
      json: { fileId, presets: [{ resolutions: ['240'] }], protected: true },
    });
    expect(created.status).toBe(201);
    const other = ((await created.json()) as EncoderJob).videoId;

    const key = server.devKey;
    const secret = new TextEncoder().encode(key.secret);
    const exp = Math.floor(Date.now() / 1000) + 600;
    const jwt = (header: Record<string, unknown>, claims: Record<string, unknown>, k = secret) =>
      new SignJWT({ apikey: key.apiKey, ...claims })
        .setProtectedHeader({ alg: 'HS256', ...header } as { alg: string })
        .sign(k);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const mine = await playbackToken();
    const theirs = await signPlaybackToken({ apiKey: key.apiKey, secret: key.secret, videoId: other });
    const [h, p] = mine.split('.');
    const good = { aud: 'playback', sub: job.videoId, exp };
    const tokens: [string, string, string][] = [
      [
        'alg none',
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...good, apikey: key.apiKey })}.`,
        'playback_token_invalid',
      ],
      ['HS512', await jwt({ alg: 'HS512' }, good), 'playback_token_invalid'],
      ['aud api', await jwt({}, { ...good, aud: 'api' }), 'playback_token_invalid'],
      ['no aud', await jwt({}, { sub: job.videoId, exp }), 'playback_token_invalid'],
      ['no sub', await jwt({}, { aud: 'playback', exp }), 'playback_token_invalid'],
      ['no exp', await jwt({}, { aud: 'playback', sub: job.videoId }), 'playback_token_invalid'],
      ['not yet valid', await jwt({}, { ...good, nbf: exp - 60 }), 'playback_token_invalid'],
      ['unknown key', await jwt({}, { ...good, apikey: 'nosuchkey00000000000' }), 'playback_token_invalid'],
      ['spliced signature', `${h}.${p}.${theirs.split('.')[2]}`, 'playback_token_invalid'],
      ['payload swapped', `${h}.${theirs.split('.')[1]}.${mine.split('.')[2]}`, 'playback_token_invalid'],
      ["another video's token", theirs, 'playback_token_wrong_video'],
    ];
    for (const [what, t, code] of tokens) {
      const res = await rawGet(`/stream/${job.videoId}/${kinds.segment}?token=${encodeURIComponent(t)}`);
      expect(res.status, what).toBe(code === 'playback_token_wrong_video' ? 403 : 401);
      expect(res.body, what).toContain(`"${code}"`);
    }

    // Signatures: a real one of each video, then every way to reuse or reshape one.
    const sigOf = async (videoId: string, t: string) =>
      /sig=([\w.-]+)/.exec(
        await (await fetch(`${server.baseUrl}/stream/${videoId}/master.m3u8?token=${t}`)).text(),
      )?.[1];
    const sig = (await sigOf(job.videoId, mine))!;
    const [sExp, mac] = sig.split('.') as [string, string];
    const sigs: [string, string][] = [
      ["this video's, on the other video", `/stream/${other}/master.m3u8?sig=${sig}`],
      ["this video's, on the other video's segment", `/stream/${other}/240/seg_00000.m4s?sig=${sig}`],
      ['hex expiry', `/stream/${job.videoId}/${kinds.segment}?sig=0x${Number(sExp).toString(16)}.${mac}`],
      ['signed expiry', `/stream/${job.videoId}/${kinds.segment}?sig=%2B${sExp}.${mac}`],
      ['padded expiry', `/stream/${job.videoId}/${kinds.segment}?sig=%20${sExp}.${mac}`],
      ['exponent expiry', `/stream/${job.videoId}/${kinds.segment}?sig=${Number(sExp) / 10}e1.${mac}`],
      ['trailing part', `/stream/${job.videoId}/${kinds.segment}?sig=${sig}.x`],
      ['padded mac', `/stream/${job.videoId}/${kinds.segment}?sig=${sig}%3D`],
      ['mac only', `/stream/${job.videoId}/${kinds.segment}?sig=${mac}`],
      ['empty', `/stream/${job.videoId}/${kinds.segment}?sig=`],
      ['the token as a sig', `/stream/${job.videoId}/${kinds.segment}?sig=${mine}`],
    ];
    for (const [what, target] of sigs) {
      const res = await rawGet(target);
      expect(res.status, what).toBe(401);
      expect(res.body, what).toMatch(/"playback_token_(invalid|missing)"/);
    }
    // The real one still works where it belongs (the table refused for the right reason).
    expect((await rawGet(`/stream/${job.videoId}/${kinds.segment}?sig=${sig}`)).status).toBe(200);
  }, 60_000);
});
