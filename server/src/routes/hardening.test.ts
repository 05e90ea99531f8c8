import fs from 'node:fs';
import net from 'node:net';
import { signToken } from '@vodkit/api/sign';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';
import { runKeys } from '../cli/keys.ts';

/** Regression tests for issue 5 defects 6 and 9: each reproduces the attack or the bad answer. */

let server: TestServer;
let clipDir: string;
let mp4: Buffer;

beforeAll(async () => {
  clipDir = tempDir('vodkit-hardening-clips-');
  [server, mp4] = await Promise.all([
    startServer({ VOD_SSE_MAX_PER_KEY: '2', VOD_SSE_MAX: '3', VOD_MAX_TOKEN_LIFETIME_S: '7200' }),
    clips.h264Aac(clipDir, { duration: 1 }).then((f) => fs.readFileSync(f)),
  ]);
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(clipDir, { recursive: true, force: true });
});

const codeOf = async (res: Response): Promise<string> =>
  ((await res.json()) as { error: { code: string } }).error.code;

/** Writes raw bytes on a fresh connection; resolves with everything the server sent until it closed. */
function rawExchange(port: number, send: (socket: net.Socket) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => send(socket));
    let got = '';
    socket.on('data', (c) => {
      got += c.toString('latin1');
    });
    socket.on('close', () => resolve(got));
    socket.on('error', (err) => (got ? resolve(got) : reject(err)));
  });
}
const portOf = (s: TestServer) => Number(new URL(s.baseUrl).port);

async function newKeyToken(s: TestServer, permissions = ['allow_upload', 'allow_encode', 'allow_read']) {
  const key = await s.app.vodkit.auth.createKey('another');
  const token = await signToken({
    apiKey: key.apiKey,
    secret: key.secret,
    permissions: permissions as never,
    expiresIn: 600,
  });
  return { key, token };
}

/** Uploads the clip and starts a job with this token; returns the video id. */
async function videoOf(s: TestServer, token: string): Promise<string> {
  const fileId = fileIdOf(await tusUpload(mp4, { baseUrl: s.baseUrl, bearer: token }));
  const res = await fetch(`${s.baseUrl}/v1/encoder/jobs`, {
    method: 'POST',
    headers: { authorization: token, 'content-type': 'application/json' },
    body: JSON.stringify({ fileId, presets: [{ resolutions: ['240'] }] }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { videoId: string }).videoId;
}

/** Opens an SSE stream; `done` resolves with all the text once the server ends it. */
async function openEvents(s: TestServer, videoId: string, token: string) {
  const res = await fetch(`${s.baseUrl}/v1/videos/${videoId}/events?token=${encodeURIComponent(token)}`);
  if (res.status !== 200) return { res, done: Promise.resolve('') };
  const reader = res.body!.getReader();
  const done = (async () => {
    let text = '';
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) return text;
      text += new TextDecoder().decode(value);
    }
  })();
  return { res, done, cancel: () => reader.cancel() };
}

describe('token lifetime (9)', () => {
  it('refuses an exp further away than VOD_MAX_TOKEN_LIFETIME_S, accepts a shorter one', async () => {
    const year3000 = await server.token(['allow_read'], 30 * 365 * 24 * 3600);
    const res = await fetch(`${server.baseUrl}/v1/files`, { headers: { authorization: year3000 } });
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe('auth_token_lifetime');
    const threeHours = await server.token(['allow_read'], 3 * 3600);
    expect(
      await codeOf(await fetch(`${server.baseUrl}/v1/files`, { headers: { authorization: threeHours } })),
    ).toBe('auth_token_lifetime');
    const oneHour = await server.token(['allow_read'], 3600);
    expect((await fetch(`${server.baseUrl}/v1/files`, { headers: { authorization: oneHour } })).status).toBe(
      200,
    );
  });
});

describe('X-Forwarded-* (9)', () => {
  const forwarded = {
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'https',
    forwarded: 'host=evil.example;proto=https',
  };

  it('ignores forwarded headers without VOD_TRUST_PROXY', async () => {
    const res = await fetch(`${server.baseUrl}/v1/uploads`, {
      method: 'POST',
      headers: {
        ...forwarded,
        authorization: await server.token(),
        'tus-resumable': '1.0.0',
        'upload-length': '10',
      },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(new RegExp(`^${server.baseUrl}/v1/uploads/[a-z0-9]{20}$`));
  });

  it('honours them from a configured proxy', async () => {
    const proxied = await startServer({ VOD_TRUST_PROXY: '127.0.0.1' });
    try {
      const res = await fetch(`${proxied.baseUrl}/v1/uploads`, {
        method: 'POST',
        headers: {
          ...forwarded,
          authorization: await proxied.token(),
          'tus-resumable': '1.0.0',
          'upload-length': '10',
        },
      });
      expect(res.headers.get('location')).toMatch(/^https:\/\/evil\.example\/v1\/uploads\/[a-z0-9]{20}$/);
    } finally {
      await proxied.close();
    }
  });
});

describe('every error is JSON (9)', () => {
  it('wraps tus protocol errors (412, 400) in {error:{code,message}}', async () => {
    const token = await server.token();
    const noVersion = await fetch(`${server.baseUrl}/v1/uploads`, {
      method: 'POST',
      headers: { authorization: token, 'upload-length': '10' },
    });
    expect(noVersion.status).toBe(412);
    expect(noVersion.headers.get('content-type')).toContain('application/json');
    expect(await codeOf(noVersion)).toBe('validation_failed');
    const badHeader = await fetch(`${server.baseUrl}/v1/uploads`, {
      method: 'POST',
      headers: {
        authorization: token,
        'tus-resumable': '1.0.0',
        'upload-length': 'ten',
      },
    });
    expect(badHeader.status).toBe(400);
    expect(await codeOf(badHeader)).toBe('validation_failed');
  });

  it('answers oversized headers with a JSON 431', async () => {
    const reply = await rawExchange(portOf(server), (s) =>
      s.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    );
    expect(reply).toMatch(/^HTTP\/1\.1 431 /);
    expect(reply).toContain('application/json');
    expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).error.code).toBe('headers_too_large');
  });
});

describe('/healthz (9)', () => {
  it('says ffmpeg is there without naming its build', async () => {
    const text = await (await fetch(`${server.baseUrl}/healthz`)).text();
    const body = JSON.parse(text) as { ok: boolean; ffmpeg: unknown };
    expect(body.ok).toBe(true);
    expect(body.ffmpeg).toBe(true);
    expect(text).not.toMatch(/ffmpeg version|Copyright|\d+\.\d+\.\d+-/);
  });
});

describe('timeouts (6)', () => {
  let slow: TestServer;
  beforeAll(async () => {
    slow = await startServer({
      // Wide enough that a loaded machine's timer lag never stretches the slow upload's 150 ms gaps to it.
      VOD_BODY_IDLE_TIMEOUT_MS: '1500',
      VOD_HEADERS_TIMEOUT_MS: '400',
      // Twenty stalled uploads stay unfinished: room for them and the next test's.
      VOD_MAX_OPEN_UPLOADS_PER_KEY: '100',
    });
  });
  afterAll(() => slow?.close());

  async function createUpload(length: number): Promise<string> {
    const res = await fetch(`${slow.baseUrl}/v1/uploads`, {
      method: 'POST',
      headers: {
        authorization: await slow.token(),
        'tus-resumable': '1.0.0',
        'upload-length': String(length),
      },
    });
    return new URL(res.headers.get('location')!).pathname;
  }

  it('cuts twenty uploads whose bodies stop sending, each with a JSON 408', async () => {
    const token = await slow.token();
    const replies = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const pathname = await createUpload(100);
        return rawExchange(portOf(slow), (s) =>
          s.write(
            `PATCH ${pathname} HTTP/1.1\r\nHost: x\r\nAuthorization: ${token}\r\nTus-Resumable: 1.0.0\r\n` +
              'Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: 100\r\n\r\nA',
          ),
        );
      }),
    );
    for (const reply of replies) {
      expect(reply).toMatch(/^HTTP\/1\.1 408 /);
      expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).error.code).toBe('request_timeout');
    }
  });

  it('lets a slow upload that keeps sending finish (idle, not total, time)', async () => {
    const token = await slow.token();
    const pathname = await createUpload(12);
    const reply = await rawExchange(portOf(slow), (s) => {
      s.write(
        `PATCH ${pathname} HTTP/1.1\r\nHost: x\r\nAuthorization: ${token}\r\nTus-Resumable: 1.0.0\r\nConnection: close\r\n` +
          'Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: 12\r\n\r\n',
      );
      let sent = 0;
      const timer = setInterval(() => {
        s.write('x');
        if (++sent === 12) clearInterval(timer);
      }, 150); // 1.8 s in all, over the 1.5 s idle limit; each gap a tenth of it
    });
    expect(reply).toMatch(/^HTTP\/1\.1 204 /);
    expect(reply.toLowerCase()).toContain('upload-offset: 12');
  });

  it('answers headers that never finish with a JSON 408', async () => {
    const reply = await rawExchange(portOf(slow), (s) => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'));
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).error.code).toBe('request_timeout');
  });
});

describe('event streams (6)', () => {
  it('caps streams per key and for the whole server with a JSON 429', async () => {
    const token = await server.token();
    const videoId = await videoOf(server, token);
    const a1 = await openEvents(server, videoId, token);
    const a2 = await openEvents(server, videoId, token);
    expect([a1.res.status, a2.res.status]).toEqual([200, 200]);
    const a3 = await openEvents(server, videoId, token);
    expect(a3.res.status).toBe(429);
    expect(await codeOf(a3.res)).toBe('too_many_streams');

    const other = await newKeyToken(server);
    const otherVideo = await videoOf(server, other.token);
    const b1 = await openEvents(server, otherVideo, other.token);
    expect(b1.res.status).toBe(200); // the third stream of the server
    const b2 = await openEvents(server, otherVideo, other.token);
    expect(b2.res.status).toBe(429); // the server's cap, not the key's
    // Closing one frees its place.
    await a1.cancel?.();
    await expect
      .poll(
        async () => {
          const s = await openEvents(server, videoId, token);
          await s.cancel?.();
          return s.res.status;
        },
        { timeout: 10_000 },
      )
      .toBe(200);
    await a2.cancel?.();
    await b1.cancel?.();
  });

  it('ends an open stream when its key is revoked', async () => {
    const other = await newKeyToken(server);
    const videoId = await videoOf(server, other.token);
    const stream = await openEvents(server, videoId, other.token);
    expect(stream.res.status).toBe(200);
    const io = { out: () => {}, err: () => {} };
    expect(await runKeys(['revoke', other.key.apiKey], server.dataDir, io)).toBe(0);
    const text = await stream.done;
    expect(text).toContain('event: closed');
    expect(text).toContain('auth_revoked_key');
  });

  it('ends an open stream when its token expires', async () => {
    const token = await server.token(['allow_upload', 'allow_encode', 'allow_read'], 600);
    const videoId = await videoOf(server, token);
    const shortLived = await server.token(['allow_read'], 2);
    const stream = await openEvents(server, videoId, shortLived);
    expect(stream.res.status).toBe(200);
    const text = await stream.done;
    expect(text).toContain('event: closed');
    expect(text).toContain('auth_expired');
  });
});
