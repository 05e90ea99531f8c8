import http from 'node:http';
import type net from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../../test/receiver.ts';
import { newWebhookSecret, type SendOptions, sendWebhook, signatureHeaders } from './webhook-delivery.ts';

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver?.close());

const body = JSON.stringify({
  type: 'file.ready',
  timestamp: new Date().toISOString(),
  data: { fileId: 'abc' },
});
const options = (over: Partial<SendOptions> = {}): SendOptions => ({
  url: receiver.url('/hook'),
  body,
  headers: signatureHeaders(newWebhookSecret(), 'msg_test', body),
  timeoutMs: 10_000,
  maxResponseBytes: 64 * 1024,
  allowPrivate: true,
  ...over,
});

describe('signatureHeaders', () => {
  it('signs the Standard Webhooks way: the reference library verifies it', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const headers = signatureHeaders(secret, 'msg_1', body);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    // Another secret, or a changed body, fails.
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
  });
});

describe('sendWebhook', () => {
  it('POSTs the body with the signature headers', async () => {
    const result = await sendWebhook(options({ url: receiver.url('/ok') }));
    expect(result).toEqual({ ok: true, status: 200 });
    const got = await receiver.waitFor((r) => r.path === '/ok');
    expect(got.body).toBe(body);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['webhook-id']).toBe('msg_test');
  });

  it('refuses a loopback address unless private addresses are allowed, before connecting', async () => {
    const before = receiver.requests.length;
    const literal = await sendWebhook(options({ url: receiver.url('/private'), allowPrivate: false }));
    expect(literal).toMatchObject({ ok: false, code: 'address_forbidden' });
    // A name is checked after resolution, by the lookup the connection itself uses.
    const named = await sendWebhook(
      options({ url: `http://localhost:${receiver.port}/private`, allowPrivate: false }),
    );
    expect(named).toMatchObject({ ok: false, code: 'address_forbidden' });
    expect(named.ok || named.error).toMatch(/localhost resolves to/);
    const mapped = await sendWebhook(
      options({ url: `http://[::ffff:127.0.0.1]:${receiver.port}/private`, allowPrivate: false }),
    );
    expect(mapped).toMatchObject({ ok: false, code: 'address_forbidden' });
    expect(receiver.requests.length).toBe(before);
    // The same name goes through when allowed: the refusal above was the guard, not the network.
    expect(await sendWebhook(options({ url: `http://localhost:${receiver.port}/named` }))).toMatchObject({
      ok: true,
    });
  });

  it('follows no redirect', async () => {
    receiver.script('/moved', [{ status: 302, headers: { location: receiver.url('/target') } }]);
    const result = await sendWebhook(options({ url: receiver.url('/moved') }));
    expect(result).toMatchObject({ ok: false, status: 302, code: 'redirect_refused' });
    expect(receiver.requests.some((r) => r.path === '/target')).toBe(false);
  });

  it('fails a non-2xx answer with its status', async () => {
    receiver.script('/err', [503]);
    expect(await sendWebhook(options({ url: receiver.url('/err') }))).toMatchObject({
      ok: false,
      status: 503,
      code: 'http_status',
    });
  });

  it('gives up on a receiver that never answers', async () => {
    receiver.script('/hang', ['hang']);
    const result = await sendWebhook(options({ url: receiver.url('/hang'), timeoutMs: 300 }));
    expect(result).toMatchObject({ ok: false, code: 'timeout' });
  });

  it('reads no more than the response cap from an endless answer', async () => {
    const sockets = new Set<net.Socket>();
    let written = 0;
    const endless = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) written += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    endless.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    const { port } = endless.address() as net.AddressInfo;
    try {
      // Without the cap this would read until the (long) timeout.
      const result = await sendWebhook(
        options({ url: `http://127.0.0.1:${port}/`, timeoutMs: 60_000, maxResponseBytes: 64 * 1024 }),
      );
      expect(result).toEqual({ ok: true, status: 200 });
      expect(written).toBeLessThan(64 * 1024 * 1024);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => endless.close(resolve));
    }
  });
});
