import fs from 'node:fs';
import type {
  CreatedWebhookEndpoint,
  EncoderJob,
  Page,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookPayload,
  WebhookSigningSecret,
} from '@vodkit/api';
import { VodkitClient } from '@vodkit/api';
import { signToken } from '@vodkit/api/sign';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { type Received, type Receiver, startReceiver } from '../../test/receiver.ts';
import { startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';
import { newWebhookSecret } from '../services/webhook-delivery.ts';

let server: TestServer;
let receiver: Receiver;
let admin: string;
let clip: Buffer;
let clipDir: string;

beforeAll(async () => {
  clipDir = tempDir('vodkit-webhooks-clips-');
  [server, receiver, clip] = await Promise.all([
    startServer({
      VOD_WEBHOOK_ALLOW_PRIVATE: '1',
      VOD_WEBHOOK_RETRY_DELAYS_MS: '200,200',
      VOD_WEBHOOK_POLL_MS: '50',
      VOD_WEBHOOK_MAX_ENDPOINTS: '5',
    }),
    startReceiver(),
    clips.h264Aac(clipDir, { duration: 2, width: 320, height: 180 }).then((f) => fs.readFileSync(f)),
  ]);
  admin = await server.token(['allow_admin']);
});
afterAll(async () => {
  await server?.close();
  await receiver?.close();
  fs.rmSync(clipDir, { recursive: true, force: true });
});

async function api(path: string, init: { method?: string; json?: unknown; bearer?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${init.bearer ?? admin}` };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${server.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
}

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

const register = async (body: unknown, bearer = admin) =>
  json<CreatedWebhookEndpoint>(await api('/v1/webhooks', { method: 'POST', json: body, bearer }), 201);

const upload = async (data: Buffer = clip, bearer?: string) =>
  fileIdOf(await tusUpload(data, { baseUrl: server.baseUrl, bearer: bearer ?? (await server.token()) }));

/** Verifies with the reference Standard Webhooks library, not our code; returns the payload. */
const verified = (secret: string, r: Received): WebhookPayload =>
  new Webhook(secret).verify(r.body, r.headers) as WebhookPayload;

const payloadOf = (r: Received): WebhookPayload => JSON.parse(r.body) as WebhookPayload;

const isEvent = (path: string, type: string, where: (p: WebhookPayload) => boolean) => (r: Received) =>
  r.path === path && payloadOf(r).type === type && where(payloadOf(r));

async function waitForDelivery(
  endpointId: string,
  match: (d: WebhookDelivery) => boolean,
  ms = 30_000,
): Promise<WebhookDelivery> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const page = await json<Page<WebhookDelivery>>(
      await api(`/v1/webhooks/${endpointId}/deliveries?perPage=100`),
      200,
    );
    const found = page.data.find(match);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting for a delivery');
}

describe('webhook endpoints', () => {
  it('creates one with a secret shown once, lists, reads and deletes it', async () => {
    const created = await register({ url: receiver.url('/crud'), events: ['file.ready', 'file.ready'] });
    expect(created).toMatchObject({ url: receiver.url('/crud'), events: ['file.ready'] });
    expect(created.endpointId).toMatch(/^[a-z0-9]{20}$/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const one = await json<WebhookEndpoint>(await api(`/v1/webhooks/${created.endpointId}`), 200);
    expect(one).toEqual({
      endpointId: created.endpointId,
      url: created.url,
      events: ['file.ready'],
      createdAt: created.createdAt,
    });
    const list = await json<Page<WebhookEndpoint>>(await api('/v1/webhooks'), 200);
    expect(list.data.map((e) => e.endpointId)).toContain(created.endpointId);
    expect(JSON.stringify(list)).not.toContain(created.secret);

    expect((await api(`/v1/webhooks/${created.endpointId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/v1/webhooks/${created.endpointId}`)).status).toBe(404);
  });

  it('works through the typed client', async () => {
    const client = new VodkitClient({ baseUrl: server.baseUrl, token: admin });
    const created = await client.createWebhook({ url: receiver.url('/client'), events: ['video.deleted'] });
    expect(await client.getWebhook(created.endpointId)).toMatchObject({ events: ['video.deleted'] });
    expect((await client.listWebhooks()).data.map((e) => e.endpointId)).toContain(created.endpointId);
    expect((await client.listWebhookDeliveries(created.endpointId)).data).toEqual([]);
    expect((await client.rotateWebhookSigningSecret()).secret).toMatch(/^whsec_/);
    await client.deleteWebhook(created.endpointId);
    await expect(client.getWebhook(created.endpointId)).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
    });
    await expect(client.createWebhook({ url: 'ftp://x.test/' })).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });

  it('subscribes to every event when none is named', async () => {
    const created = await register({ url: receiver.url('/all') });
    expect(created.events).toEqual([
      'file.ready',
      'file.rejected',
      'encoding.started',
      'encoding.playable',
      'encoding.completed',
      'encoding.failed',
      'video.deleted',
    ]);
    await api(`/v1/webhooks/${created.endpointId}`, { method: 'DELETE' });
  });

  it('refuses bad input with stable codes', async () => {
    for (const body of [
      {},
      { url: 'ftp://example.com/x' },
      { url: 'not a url' },
      { url: 'https://user:pw@example.com/x' },
      { url: receiver.url(), events: [] },
      { url: receiver.url(), events: ['video.exploded'] },
      { url: receiver.url(), extra: true },
    ]) {
      const res = await api('/v1/webhooks', { method: 'POST', json: body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await errorCode(res)).toBe('validation_failed');
    }
  });

  it('needs allow_admin', async () => {
    const reader = await server.token(['allow_read', 'allow_encode', 'allow_upload', 'allow_delete']);
    for (const [method, path] of [
      ['GET', '/v1/webhooks'],
      ['POST', '/v1/webhooks'],
      ['POST', '/v1/webhooks/signing-secret'],
    ] as const) {
      const json = path === '/v1/webhooks' ? { url: receiver.url('/denied') } : {};
      const res = await api(path, { method, bearer: reader, ...(method === 'POST' ? { json } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await errorCode(res)).toBe('permission_denied');
    }
    expect((await fetch(`${server.baseUrl}/v1/webhooks`)).status).toBe(401);
  });

  it('are bounded per key', async () => {
    const other = await server.app.vodkit.auth.createKey('bounded');
    const token = await signToken({
      apiKey: other.apiKey,
      secret: other.secret,
      permissions: ['allow_admin'],
    });
    for (let i = 0; i < 5; i++) await register({ url: receiver.url(`/bounded${i}`) }, token);
    const res = await api('/v1/webhooks', { method: 'POST', json: { url: receiver.url() }, bearer: token });
    expect(res.status).toBe(429);
    expect(await errorCode(res)).toBe('webhook_limit_reached');
    // Another key's endpoints do not count against this key's limit.
    const mine = await register({ url: receiver.url('/mine') });
    await api(`/v1/webhooks/${mine.endpointId}`, { method: 'DELETE' });
  });

  it("answers 404 for another key's endpoint and delivery, and never sends it that key's events", async () => {
    const mine = await register({ url: receiver.url('/mine-only'), events: ['file.ready'] });
    const other = await server.app.vodkit.auth.createKey('other');
    const otherAdmin = await signToken({
      apiKey: other.apiKey,
      secret: other.secret,
      permissions: ['allow_admin'],
    });
    const otherUpload = await signToken({
      apiKey: other.apiKey,
      secret: other.secret,
      permissions: ['allow_upload'],
    });
    const theirs = await register({ url: receiver.url('/theirs'), events: ['file.ready'] }, otherAdmin);

    // One file each: each endpoint hears only its own key's.
    const myFile = await upload();
    const theirFile = await upload(clip, otherUpload);
    await receiver.waitFor(isEvent('/mine-only', 'file.ready', (p) => p.data.fileId === myFile));
    await receiver.waitFor(isEvent('/theirs', 'file.ready', (p) => p.data.fileId === theirFile));
    const myDelivery = await waitForDelivery(mine.endpointId, (d) => d.status === 'succeeded');
    expect(
      receiver.requests.some(isEvent('/mine-only', 'file.ready', (p) => p.data.fileId === theirFile)),
    ).toBe(false);
    expect(receiver.requests.some(isEvent('/theirs', 'file.ready', (p) => p.data.fileId === myFile))).toBe(
      false,
    );

    const asOther = { bearer: otherAdmin };
    for (const [method, path] of [
      ['GET', `/v1/webhooks/${mine.endpointId}`],
      ['DELETE', `/v1/webhooks/${mine.endpointId}`],
      ['GET', `/v1/webhooks/${mine.endpointId}/deliveries`],
      ['POST', `/v1/webhooks/${mine.endpointId}/deliveries/${myDelivery.deliveryId}/replay`],
      // Their own endpoint, my delivery id: still not theirs.
      ['POST', `/v1/webhooks/${theirs.endpointId}/deliveries/${myDelivery.deliveryId}/replay`],
    ] as const) {
      const res = await api(path, { method, ...asOther });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await errorCode(res)).toBe('not_found');
    }
    const theirList = await json<Page<WebhookEndpoint>>(await api('/v1/webhooks', asOther), 200);
    expect(theirList.data.map((e) => e.endpointId)).toEqual([theirs.endpointId]);
    // Mine is untouched.
    expect((await api(`/v1/webhooks/${mine.endpointId}`)).status).toBe(200);
    await api(`/v1/webhooks/${mine.endpointId}`, { method: 'DELETE' });
  });
});

describe('events', () => {
  it('sends every lifecycle event, signed, with ids, status, playback URLs and userData', async () => {
    const endpoint = await register({ url: receiver.url('/events') });
    const signing = await json<WebhookSigningSecret>(
      await api('/v1/webhooks/signing-secret', { method: 'POST' }),
      201,
    );
    expect(signing.secret).toMatch(/^whsec_/);
    const token = await server.token();

    // file.ready
    const fileId = await upload(clip, token);
    const ready = await receiver.waitFor(isEvent('/events', 'file.ready', (p) => p.data.fileId === fileId));
    expect(verified(endpoint.secret, ready)).toMatchObject({
      type: 'file.ready',
      data: { fileId, status: 'ready', title: 'A test clip', metadata: { duration: expect.any(Number) } },
    });

    // file.rejected
    const junk = await upload(Buffer.from('this is not a video at all, just text'), token);
    const rejected = await receiver.waitFor(
      isEvent('/events', 'file.rejected', (p) => p.data.fileId === junk),
    );
    expect(verified(endpoint.secret, rejected).data).toMatchObject({
      status: 'rejected',
      reason: { code: expect.any(String) },
    });

    // encoding.started → playable → completed, to the endpoint and to the job's own webhookUrl
    const res = await api('/v1/encoder/jobs', {
      method: 'POST',
      bearer: token,
      json: { fileId, userData: { order: 7 }, webhookUrl: receiver.url('/job') },
    });
    const job = await json<EncoderJob>(res, 201);
    const forJob = (p: WebhookPayload) => p.data.jobId === job.jobId;
    for (const path of ['/events', '/job']) {
      const secret = path === '/job' ? signing.secret : endpoint.secret;
      const completed = await receiver.waitFor(isEvent(path, 'encoding.completed', forJob));
      expect(verified(secret, completed)).toMatchObject({
        type: 'encoding.completed',
        timestamp: expect.any(String),
        data: {
          videoId: job.videoId,
          jobId: job.jobId,
          fileId,
          status: 'completed',
          progress: 100,
          playback: {
            hls: `${server.baseUrl}/stream/${job.videoId}/master.m3u8`,
            embed: `${server.baseUrl}/embed/${job.videoId}`,
            poster: `${server.baseUrl}/stream/${job.videoId}/poster.jpg`,
          },
          userData: { order: 7 },
          duration: expect.any(Number),
        },
      });
      const started = await receiver.waitFor(isEvent(path, 'encoding.started', forJob));
      expect(verified(secret, started).data).toMatchObject({
        status: 'processing',
        attempt: 1,
        userData: { order: 7 },
      });
      const playable = await receiver.waitFor(isEvent(path, 'encoding.playable', forJob));
      expect(verified(secret, playable).data).toMatchObject({
        playback: { hls: expect.stringContaining(job.videoId) },
        userData: { order: 7 },
      });
    }
    // The job's URL is signed with the key's signing secret, not with any endpoint's.
    const jobCompleted = await receiver.waitFor(isEvent('/job', 'encoding.completed', forJob));
    expect(() => verified(endpoint.secret, jobCompleted)).toThrow();
    // The HLS the payload points at really plays.
    const completedPayload = payloadOf(jobCompleted).data as { playback: { hls: string } };
    expect((await fetch(completedPayload.playback.hls)).status).toBe(200);

    // encoding.failed: a cancelled job
    const cancelMe = await json<EncoderJob>(
      await api('/v1/encoder/jobs', {
        method: 'POST',
        bearer: token,
        json: { fileId, webhookUrl: receiver.url('/job') },
      }),
      201,
    );
    await json<EncoderJob>(await api(`/v1/encoder/jobs/${cancelMe.jobId}`, { method: 'DELETE' }), 200);
    const failed = await receiver.waitFor(
      isEvent('/job', 'encoding.failed', (p) => p.data.jobId === cancelMe.jobId),
    );
    expect(verified(signing.secret, failed).data).toMatchObject({
      status: 'cancelled',
      error: { code: 'cancelled' },
      playback: null,
    });

    // video.deleted: deleting the file deletes its videos
    expect((await api(`/v1/files/${fileId}`, { method: 'DELETE' })).status).toBe(204);
    for (const videoId of [job.videoId, cancelMe.videoId]) {
      const deleted = await receiver.waitFor(
        isEvent('/job', 'video.deleted', (p) => p.data.videoId === videoId),
      );
      expect(verified(signing.secret, deleted).data).toMatchObject({
        videoId,
        fileId,
        status: 'deleted',
        playback: null,
      });
    }
    const deleted = await receiver.waitFor(
      isEvent('/events', 'video.deleted', (p) => p.data.videoId === job.videoId),
    );
    expect(verified(endpoint.secret, deleted).data).toMatchObject({ userData: { order: 7 } });

    // Each request carried its own webhook-id; every event × target got exactly one id.
    const ids = receiver.requests.filter((r) => r.path === '/events').map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(ids.length);
    await api(`/v1/webhooks/${endpoint.endpointId}`, { method: 'DELETE' });
  });

  it('delivers only the events an endpoint subscribed to', async () => {
    const onlyRejected = await register({ url: receiver.url('/only-rejected'), events: ['file.rejected'] });
    const catchAll = await register({
      url: receiver.url('/catch-all'),
      events: ['file.ready', 'file.rejected'],
    });
    const fileId = await upload();
    const junk = await upload(Buffer.from('junk junk junk'));
    await receiver.waitFor(isEvent('/catch-all', 'file.ready', (p) => p.data.fileId === fileId));
    await receiver.waitFor(isEvent('/only-rejected', 'file.rejected', (p) => p.data.fileId === junk));
    expect(
      receiver.requests.filter((r) => r.path === '/only-rejected').map((r) => payloadOf(r).type),
    ).not.toContain('file.ready');
    for (const e of [onlyRejected, catchAll]) await api(`/v1/webhooks/${e.endpointId}`, { method: 'DELETE' });
  });
});

describe("a job's webhookUrl", () => {
  it('needs the key signing secret first, and is refused rather than ignored', async () => {
    const other = await server.app.vodkit.auth.createKey('no-secret');
    const bearer = await signToken({
      apiKey: other.apiKey,
      secret: other.secret,
      permissions: ['allow_upload', 'allow_encode', 'allow_admin'],
    });
    const fileId = await upload(clip, bearer);
    const body = { fileId, webhookUrl: receiver.url('/nosecret') };
    let res = await api('/v1/encoder/jobs', { method: 'POST', json: body, bearer });
    expect(res.status).toBe(409);
    expect(await errorCode(res)).toBe('webhook_secret_missing');

    await json<WebhookSigningSecret>(
      await api('/v1/webhooks/signing-secret', { method: 'POST', bearer }),
      201,
    );
    res = await api('/v1/encoder/jobs', { method: 'POST', json: body, bearer });
    const job = await json<EncoderJob>(res, 201);
    expect(job.webhookUrl).toBe(receiver.url('/nosecret'));
    await api(`/v1/encoder/jobs/${job.jobId}`, { method: 'DELETE', bearer });
  });

  it('rotating the signing secret signs later deliveries with the new one', async () => {
    const first = await json<WebhookSigningSecret>(
      await api('/v1/webhooks/signing-secret', { method: 'POST' }),
      201,
    );
    const second = await json<WebhookSigningSecret>(
      await api('/v1/webhooks/signing-secret', { method: 'POST' }),
      201,
    );
    expect(second.secret).not.toBe(first.secret);
    const fileId = await upload();
    const job = await json<EncoderJob>(
      await api('/v1/encoder/jobs', {
        method: 'POST',
        bearer: await server.token(),
        json: { fileId, webhookUrl: receiver.url('/rotated') },
      }),
      201,
    );
    const started = await receiver.waitFor(
      isEvent('/rotated', 'encoding.started', (p) => p.data.jobId === job.jobId),
    );
    expect(verified(second.secret, started).data).toMatchObject({ jobId: job.jobId });
    expect(() => verified(first.secret, started)).toThrow();
    await receiver.waitFor(isEvent('/rotated', 'encoding.completed', (p) => p.data.jobId === job.jobId));
  });

  it('has a delivery log and replay of its own, for its key only', async () => {
    const fileId = await upload();
    const job = await json<EncoderJob>(
      await api('/v1/encoder/jobs', {
        method: 'POST',
        bearer: await server.token(),
        json: { fileId, webhookUrl: receiver.url('/logged') },
      }),
      201,
    );
    let completed: WebhookDelivery | undefined;
    for (let i = 0; i < 600 && !completed; i++) {
      const log = await json<Page<WebhookDelivery>>(
        await api('/v1/webhooks/job-deliveries?perPage=100'),
        200,
      );
      completed = log.data.find(
        (d) =>
          d.payload.data.jobId === job.jobId &&
          d.eventType === 'encoding.completed' &&
          d.status === 'succeeded',
      );
      if (!completed) await new Promise((r) => setTimeout(r, 100));
    }
    expect(completed).toMatchObject({ endpointId: null, attempts: 1, lastResponseStatus: 200 });

    const other = await server.app.vodkit.auth.createKey('job-log-other');
    const otherAdmin = await signToken({
      apiKey: other.apiKey,
      secret: other.secret,
      permissions: ['allow_admin'],
    });
    const theirLog = await json<Page<WebhookDelivery>>(
      await api('/v1/webhooks/job-deliveries', { bearer: otherAdmin }),
      200,
    );
    expect(theirLog.data).toEqual([]);
    const stolen = await api(`/v1/webhooks/job-deliveries/${completed!.deliveryId}/replay`, {
      method: 'POST',
      bearer: otherAdmin,
    });
    expect(stolen.status).toBe(404);

    const before = receiver.requests.filter((r) => r.headers['webhook-id'] === completed!.webhookId).length;
    expect(before).toBe(1);
    await json<WebhookDelivery>(
      await api(`/v1/webhooks/job-deliveries/${completed!.deliveryId}/replay`, { method: 'POST' }),
      202,
    );
    await receiver.waitFor(
      (r) =>
        r.headers['webhook-id'] === completed!.webhookId &&
        receiver.requests.filter((q) => q.headers['webhook-id'] === completed!.webhookId).length === 2,
    );
  });
});

describe('delivery', () => {
  it('retries a failing receiver with the same webhook-id, logs each attempt, and replays', async () => {
    const endpoint = await register({ url: receiver.url('/flaky'), events: ['file.ready'] });
    receiver.script('/flaky', [500, 503, 200]);
    const fileId = await upload();
    const forFile = (r: Received) => r.path === '/flaky' && payloadOf(r).data.fileId === fileId;

    const delivered = await waitForDelivery(
      endpoint.endpointId,
      (d) => d.payload.data.fileId === fileId && d.status === 'succeeded',
    );
    const attempts = receiver.requests.filter(forFile);
    expect(attempts.map((r) => r.headers['webhook-id'])).toEqual([
      delivered.webhookId,
      delivered.webhookId,
      delivered.webhookId,
    ]);
    for (const r of attempts) expect(verified(endpoint.secret, r).data).toMatchObject({ fileId });
    expect(new Set(attempts.map((r) => r.body)).size).toBe(1);
    expect(delivered).toMatchObject({
      endpointId: endpoint.endpointId,
      eventType: 'file.ready',
      attempts: 3,
      lastResponseStatus: 200,
      lastError: null,
      nextAttemptAt: null,
      deliveredAt: expect.any(String),
    });

    // Replay: sent once more, same webhook-id.
    const replayed = await json<WebhookDelivery>(
      await api(`/v1/webhooks/${endpoint.endpointId}/deliveries/${delivered.deliveryId}/replay`, {
        method: 'POST',
      }),
      202,
    );
    expect(replayed).toMatchObject({ deliveryId: delivered.deliveryId, status: 'pending' });
    await waitForDelivery(
      endpoint.endpointId,
      (d) => d.deliveryId === delivered.deliveryId && d.attempts === 4,
    );
    const all = receiver.requests.filter(forFile);
    expect(all).toHaveLength(4);
    expect(all[3]!.headers['webhook-id']).toBe(delivered.webhookId);
    expect(verified(endpoint.secret, all[3]!).data).toMatchObject({ fileId });

    const missing = await api(`/v1/webhooks/${endpoint.endpointId}/deliveries/nosuchdelivery1/replay`, {
      method: 'POST',
    });
    expect(missing.status).toBe(404);
    await api(`/v1/webhooks/${endpoint.endpointId}`, { method: 'DELETE' });
  });

  it('gives up after the last retry and says why', async () => {
    const endpoint = await register({ url: receiver.url('/down'), events: ['file.ready'] });
    receiver.script('/down', [500, 500, 500, 500]);
    const fileId = await upload();
    const failed = await waitForDelivery(
      endpoint.endpointId,
      (d) => d.payload.data.fileId === fileId && d.status === 'failed',
    );
    // One attempt and one per configured retry delay (two).
    expect(failed).toMatchObject({
      attempts: 3,
      lastResponseStatus: 500,
      nextAttemptAt: null,
      deliveredAt: null,
    });
    expect(failed.lastError).toMatch(/HTTP 500/);
    expect(receiver.requests.filter((r) => r.path === '/down')).toHaveLength(3);
    await api(`/v1/webhooks/${endpoint.endpointId}`, { method: 'DELETE' });
  });

  it('paginates the delivery log, newest first', async () => {
    const endpoint = await register({ url: receiver.url('/paged'), events: ['file.ready'] });
    const ids = [await upload(), await upload(), await upload()];
    await waitForDelivery(
      endpoint.endpointId,
      (d) => d.payload.data.fileId === ids[2] && d.status === 'succeeded',
    );
    const page1 = await json<Page<WebhookDelivery>>(
      await api(`/v1/webhooks/${endpoint.endpointId}/deliveries?perPage=2`),
      200,
    );
    const page2 = await json<Page<WebhookDelivery>>(
      await api(`/v1/webhooks/${endpoint.endpointId}/deliveries?perPage=2&page=2`),
      200,
    );
    expect(page1.pageInfo).toEqual({ page: 1, perPage: 2, total: 3, lastPage: 2 });
    expect([...page1.data, ...page2.data].map((d) => d.payload.data.fileId)).toEqual([...ids].reverse());
    expect((await api(`/v1/webhooks/${endpoint.endpointId}/deliveries?perPage=1000`)).status).toBe(400);
    await api(`/v1/webhooks/${endpoint.endpointId}`, { method: 'DELETE' });
  });
});

describe('without VOD_WEBHOOK_ALLOW_PRIVATE', () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startServer();
  });
  afterAll(() => strict?.close());

  it('refuses loopback and private URLs for endpoints and jobs with webhook_url_forbidden', async () => {
    const bearer = await strict.token(['allow_admin']);
    const post = (path: string, json: unknown) =>
      fetch(`${strict.baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify(json),
      });
    for (const url of [
      receiver.url('/strict'),
      `http://localhost:${receiver.port}/strict`,
      `http://[::1]:${receiver.port}/strict`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/hook',
    ]) {
      const res = await post('/v1/webhooks', { url });
      expect(res.status, url).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('webhook_url_forbidden');
      expect(body.error.message).toMatch(/VOD_WEBHOOK_ALLOW_PRIVATE/);
    }
    await post('/v1/webhooks/signing-secret', {});
    const fileId = fileIdOf(await tusUpload(clip, { baseUrl: strict.baseUrl, bearer: await strict.token() }));
    const res = await post('/v1/encoder/jobs', { fileId, webhookUrl: receiver.url('/strict') });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('webhook_url_forbidden');
    expect(receiver.requests.some((r) => r.path === '/strict')).toBe(false);
  });

  it('checks again on the resolved address at delivery time, and does not connect', async () => {
    // Registration refuses this URL; a stored one stands for a name whose DNS turned private later.
    const endpoint = await strict.app.vodkit.webhooks.deps.repo.insertEndpoint({
      endpointId: 'reboundendpoint00001',
      apiKey: strict.devKey.apiKey,
      url: `http://localhost:${receiver.port}/rebound`,
      events: ['file.ready'],
      secret: newWebhookSecret(),
    });
    const fileId = fileIdOf(await tusUpload(clip, { baseUrl: strict.baseUrl, bearer: await strict.token() }));
    const bearer = await strict.token(['allow_admin']);
    let delivery: WebhookDelivery | undefined;
    for (let i = 0; i < 300 && !delivery; i++) {
      const res = await fetch(`${strict.baseUrl}/v1/webhooks/${endpoint.endpointId}/deliveries`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      const page = (await res.json()) as Page<WebhookDelivery>;
      delivery = page.data.find((d) => d.payload.data.fileId === fileId && d.attempts > 0);
      if (!delivery) await new Promise((r) => setTimeout(r, 100));
    }
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, lastResponseStatus: null });
    expect(delivery!.lastError).toMatch(/^address_forbidden: localhost resolves to (127\.0\.0\.1|::1)/);
    expect(receiver.requests.some((r) => r.path === '/rebound')).toBe(false);
  });
});
