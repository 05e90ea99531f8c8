import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CreatedWebhookEndpoint, Page, WebhookDelivery, WebhookPayload } from '@vodkit/api';
import { signToken } from '@vodkit/api/sign';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { type Receiver, startReceiver } from '../../test/receiver.ts';
import { freePort } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';
import { ConfigError, loadConfig } from '../config.ts';
import type { DevKey } from '../services/auth.ts';

const main = path.join(import.meta.dirname, '..', 'main.ts');

interface Child {
  proc: ChildProcess;
  baseUrl: string;
  exited: Promise<unknown>;
}

/** main.ts in its own process, as in production, so that it can really be killed. */
async function boot(dataDir: string): Promise<Child> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, ['--import', 'tsx', main], {
    env: {
      ...process.env,
      VOD_DATA_DIR: dataDir,
      VOD_PORT: String(port),
      VOD_HOST: '127.0.0.1',
      VOD_PUBLIC_URL: baseUrl,
      VOD_DEMO: '0',
      VOD_LOG_LEVEL: 'warn',
      VOD_WEBHOOK_ALLOW_PRIVATE: '1',
      // Long enough that the kill below surely comes first; the new process sends the retry.
      VOD_WEBHOOK_RETRY_DELAYS_MS: '8000,8000',
      VOD_WEBHOOK_POLL_MS: '100',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`);
    const ok = await fetch(`${baseUrl}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { proc, baseUrl, exited };
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error('server did not come up');
}

let receiver: Receiver;
let dataDir: string;
let clip: Buffer;
const children: Child[] = [];

beforeAll(async () => {
  dataDir = tempDir('vodkit-webhooks-restart-');
  [receiver, clip] = await Promise.all([
    startReceiver(),
    clips.h264Aac(dataDir, { duration: 1, width: 160, height: 90 }).then((f) => fs.readFileSync(f)),
  ]);
});
afterAll(async () => {
  for (const c of children) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) {
      c.proc.kill('SIGKILL');
      await c.exited;
    }
  }
  await receiver?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the outbox across a crash', () => {
  it('retries after SIGKILL between a failure and its retry, with the same webhook-id', async () => {
    const first = await boot(dataDir);
    children.push(first);
    const key = JSON.parse(fs.readFileSync(path.join(dataDir, 'dev-key.json'), 'utf8')) as DevKey;
    const token = (permissions: ('allow_admin' | 'allow_upload')[]) =>
      signToken({ apiKey: key.apiKey, secret: key.secret, permissions });
    const admin = await token(['allow_admin']);
    const api = async <T>(baseUrl: string, pathname: string, init: RequestInit = {}): Promise<T> => {
      const res = await fetch(`${baseUrl}${pathname}`, {
        ...init,
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      });
      expect(res.ok, await res.clone().text()).toBe(true);
      return (await res.json()) as T;
    };

    const endpoint = await api<CreatedWebhookEndpoint>(first.baseUrl, '/v1/webhooks', {
      method: 'POST',
      body: JSON.stringify({ url: receiver.url('/crash'), events: ['file.ready'] }),
    });
    receiver.script('/crash', [500]);
    const fileId = fileIdOf(
      await tusUpload(clip, { baseUrl: first.baseUrl, bearer: await token(['allow_upload']) }),
    );

    // The first attempt failed and the failure is recorded: the retry is scheduled, not yet sent.
    const deliveries = (baseUrl: string) =>
      api<Page<WebhookDelivery>>(baseUrl, `/v1/webhooks/${endpoint.endpointId}/deliveries`);
    let pending: WebhookDelivery | undefined;
    for (let i = 0; i < 600 && !pending; i++) {
      pending = (await deliveries(first.baseUrl)).data.find(
        (d) => d.status === 'pending' && d.attempts === 1,
      );
      if (!pending) await new Promise((r) => setTimeout(r, 50));
    }
    expect(pending).toMatchObject({ lastResponseStatus: 500, nextAttemptAt: expect.any(String) });

    first.proc.kill('SIGKILL');
    await first.exited;
    const beforeRestart = receiver.requests.filter((r) => r.path === '/crash');
    expect(beforeRestart).toHaveLength(1);

    const second = await boot(dataDir);
    children.push(second);
    const retry = await receiver.waitFor((r) => r.path === '/crash' && r !== beforeRestart[0], 60_000);
    expect(retry.headers['webhook-id']).toBe(beforeRestart[0]!.headers['webhook-id']);
    expect(retry.headers['webhook-id']).toBe(pending!.webhookId);
    expect(retry.body).toBe(beforeRestart[0]!.body);
    const payload = new Webhook(endpoint.secret).verify(retry.body, retry.headers) as WebhookPayload;
    expect(payload).toMatchObject({ type: 'file.ready', data: { fileId, status: 'ready' } });

    let done: WebhookDelivery | undefined;
    for (let i = 0; i < 600 && !done; i++) {
      done = (await deliveries(second.baseUrl)).data.find((d) => d.status === 'succeeded');
      if (!done) await new Promise((r) => setTimeout(r, 50));
    }
    expect(done).toMatchObject({ deliveryId: pending!.deliveryId, attempts: 2, lastResponseStatus: 200 });
    second.proc.kill('SIGTERM');
    await second.exited;
  });
});

describe('webhook settings', () => {
  it('has production defaults: about a day of retries', () => {
    const c = loadConfig({});
    expect(c.webhookAllowPrivate).toBe(false);
    const total = c.webhookRetryDelaysMs.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(20 * 3600_000);
    expect(total).toBeLessThan(36 * 3600_000);
    expect(c.webhookRetryDelaysMs[0]).toBe(5000);
  });

  it('parses and checks the retry delays', () => {
    expect(loadConfig({ VOD_WEBHOOK_RETRY_DELAYS_MS: '100, 2000' }).webhookRetryDelaysMs).toEqual([
      100, 2000,
    ]);
    expect(() => loadConfig({ VOD_WEBHOOK_RETRY_DELAYS_MS: '1,soon' })).toThrow(ConfigError);
    expect(() => loadConfig({ VOD_WEBHOOK_RETRY_DELAYS_MS: '-5' })).toThrow(/VOD_WEBHOOK_RETRY_DELAYS_MS/);
    expect(() => loadConfig({ VOD_WEBHOOK_TIMEOUT_MS: '0' })).toThrow(/VOD_WEBHOOK_TIMEOUT_MS/);
  });
});
