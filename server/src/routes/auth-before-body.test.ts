import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import { signToken } from '@vodkit/api/sign';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';
import { runKeys } from '../cli/keys.ts';

/**
 * Issue 19, finding 6: a client without credentials could hold a connection open forever by
 * announcing a large JSON body and trickling it. Now every authenticated route answers 401/403 from
 * the headers alone, and any body but an upload's must arrive whole within VOD_BODY_TIMEOUT_MS.
 */

const BODY_TIMEOUT_MS = 400;

let server: TestServer;
let clipDir: string;
let mp4: Buffer;

beforeAll(async () => {
  clipDir = tempDir('vodkit-body-clips-');
  [server, mp4] = await Promise.all([
    // The idle timeout (5 s) is far above the body deadline: only the deadline can answer in time.
    startServer(
      { VOD_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS), VOD_BODY_IDLE_TIMEOUT_MS: '5000' },
      tempDir(),
      {
        startWorkers: false,
      },
    ),
    clips.h264Aac(clipDir, { duration: 1 }).then((f) => fs.readFileSync(f)),
  ]);
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(clipDir, { recursive: true, force: true });
});

interface RawRequest {
  socket: net.Socket;
  /** Everything the server sent, once it closed the connection. */
  closed: Promise<string>;
}

/** Sends a request head (and optionally the start of its body) on a fresh connection. */
function rawRequest(head: string, body = ''): RawRequest {
  const socket = net.connect(Number(new URL(server.baseUrl).port), '127.0.0.1', () =>
    socket.write(`${head}\r\n\r\n${body}`),
  );
  const closed = new Promise<string>((resolve, reject) => {
    let got = '';
    socket.on('data', (c) => {
      got += c.toString('latin1');
    });
    socket.on('close', () => resolve(got));
    socket.on('error', (err) => (got ? resolve(got) : reject(err)));
  });
  return { socket, closed };
}

const statusOf = (reply: string) => Number(reply.slice(9, 12));
const codeOf = (reply: string) =>
  (JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { error: { code: string } }).error.code;

/** A JSON request whose announced body never comes: it ends only when the server answers. */
const stalledJson = (method: string, path: string, authorization?: string, length = 1000) =>
  rawRequest(
    `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}` +
      (authorization ? `\r\nAuthorization: ${authorization}` : ''),
  );

const someId = 'a'.repeat(21);
/** Every authenticated route that takes a body. */
const bodyRoutes: [string, string][] = [
  ['POST', '/v1/encoder/jobs'],
  ['POST', '/v1/webhooks'],
  ['POST', '/v1/webhooks/signing-secret'],
  ['POST', `/v1/webhooks/job-deliveries/${someId}/replay`],
  ['POST', `/v1/webhooks/${someId}/deliveries/${someId}/replay`],
  ['PATCH', `/v1/videos/${someId}`],
  ['POST', `/v1/videos/${someId}/playback-tokens`],
  ['PATCH', '/v1/playback-settings'],
  ['POST', `/v1/videos/${someId}/tracks`],
  ['POST', '/v1/uploads'],
  ['PATCH', `/v1/uploads/${someId}`],
];

describe('authentication before the body (19.6)', () => {
  it('answers 401 from the headers, before any body byte, and closes the connection', async () => {
    const replies = await Promise.all(
      bodyRoutes.map(([method, path]) => stalledJson(method, path, undefined, 1_000_000).closed),
    );
    for (const [i, reply] of replies.entries()) {
      expect({ route: bodyRoutes[i], status: statusOf(reply) }).toEqual({
        route: bodyRoutes[i],
        status: 401,
      });
      expect(codeOf(reply)).toBe('auth_missing');
      expect(reply.toLowerCase()).toContain('connection: close');
    }
  });

  it('answers a token without the permission 403, before any body byte', async () => {
    const forbidden = await server.token(['allow_read']);
    const reply = await stalledJson('POST', '/v1/encoder/jobs', forbidden, 1_000_000).closed;
    expect(statusOf(reply)).toBe(403);
    expect(codeOf(reply)).toBe('permission_denied');
  });

  it('takes the event stream token from ?token= still, and refuses a bad one', async () => {
    const res = await fetch(`${server.baseUrl}/v1/videos/${someId}/events?token=nope`);
    expect(res.status).toBe(401);
    const ok = await fetch(
      `${server.baseUrl}/v1/videos/${someId}/events?token=${encodeURIComponent(await server.token())}`,
    );
    expect(ok.status).toBe(404); // authenticated; the video does not exist
  });
});

describe('the body deadline (19.6)', () => {
  /**
   * Sends a 60-byte JSON body one byte every 100 ms: 6 s in all, each byte well inside the 5 s idle
   * timeout, so only a total deadline answers before the body is whole.
   */
  async function trickled(path: string, authorization?: string): Promise<{ reply: string; sent: number }> {
    const req = rawRequest(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60` +
        (authorization ? `\r\nAuthorization: ${authorization}` : ''),
    );
    let sent = 0;
    const trickle = setInterval(() => {
      if (!req.socket.writable || sent === 60) return clearInterval(trickle);
      req.socket.write(' ');
      sent++;
    }, 100);
    const reply = await req.closed;
    clearInterval(trickle);
    return { reply, sent };
  }

  it('answers a trickled JSON body from a valid caller 408 at the deadline and closes', async () => {
    const { reply, sent } = await trickled('/v1/encoder/jobs', await server.token());
    expect(statusOf(reply)).toBe(408);
    expect(codeOf(reply)).toBe('request_timeout');
    expect(sent).toBeLessThan(60); // answered before the body was whole
  });

  it('holds the deadline on a route without authentication too (the 404 reads its body)', async () => {
    const { reply, sent } = await trickled('/v1/no-such-route');
    expect(statusOf(reply)).toBe(408);
    expect(codeOf(reply)).toBe('request_timeout');
    expect(sent).toBeLessThan(60);
  });

  it('still takes a normal JSON request, keeping the connection', async () => {
    const res = await fetch(`${server.baseUrl}/v1/playback-settings`, {
      method: 'PATCH',
      headers: { authorization: await server.token(['allow_admin']), 'content-type': 'application/json' },
      body: JSON.stringify({ allowedOrigins: ['https://example.com'] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ allowedOrigins: ['https://example.com'] });
    expect(res.headers.get('connection')).not.toBe('close');
  });

  it('refuses a JSON body over 64 KiB with 413', async () => {
    const res = await fetch(`${server.baseUrl}/v1/encoder/jobs`, {
      method: 'POST',
      headers: { authorization: await server.token(), 'content-type': 'application/json' },
      body: JSON.stringify({ fileId: someId, userData: { x: 'y'.repeat(70 * 1024) } }),
    });
    expect(res.status).toBe(413);
  });

  it('lets a tus PATCH and an event stream outlive the deadline', async () => {
    const key = await server.app.vodkit.auth.createKey('deadline');
    const token = await signToken({
      apiKey: key.apiKey,
      secret: key.secret,
      permissions: ['allow_upload', 'allow_encode', 'allow_read'],
      expiresIn: 600,
    });
    // An event stream on a video of this key.
    const fileId = fileIdOf(await tusUpload(mp4, { baseUrl: server.baseUrl, bearer: token }));
    const job = await fetch(`${server.baseUrl}/v1/encoder/jobs`, {
      method: 'POST',
      headers: { authorization: token, 'content-type': 'application/json' },
      body: JSON.stringify({ fileId, presets: [{ resolutions: ['240'] }] }),
    });
    expect(job.status).toBe(201);
    const { videoId } = (await job.json()) as { videoId: string };
    const events = await fetch(`${server.baseUrl}/v1/videos/${videoId}/events`, {
      headers: { authorization: token },
    });
    expect(events.status).toBe(200);
    const text = events.text();

    // An upload whose PATCH sends half its body now and half after the deadline.
    const created = await fetch(`${server.baseUrl}/v1/uploads`, {
      method: 'POST',
      headers: { authorization: token, 'tus-resumable': '1.0.0', 'upload-length': '12' },
    });
    expect(created.status).toBe(201);
    const pathname = new URL(created.headers.get('location')!).pathname;
    const patch = rawRequest(
      `PATCH ${pathname} HTTP/1.1\r\nHost: x\r\nAuthorization: ${token}\r\nTus-Resumable: 1.0.0\r\n` +
        'Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: 12\r\nConnection: close',
      'xxxxxx',
    );
    await once(patch.socket, 'connect');
    // The proof that the deadline has passed for both: a JSON request started after them timed out.
    const late = await stalledJson('POST', '/v1/encoder/jobs', token).closed;
    expect(statusOf(late)).toBe(408);

    patch.socket.write('xxxxxx');
    const reply = await patch.closed;
    expect(statusOf(reply)).toBe(204);
    expect(reply.toLowerCase()).toContain('upload-offset: 12');

    // The stream is still open: revoking the key is what ends it, with its own reason.
    expect(await runKeys(['revoke', key.apiKey], server.dataDir, { out: () => {}, err: () => {} })).toBe(0);
    const streamed = await text;
    expect(streamed).toContain('auth_revoked_key');
    expect(streamed).not.toContain('request_timeout');
  });
});
