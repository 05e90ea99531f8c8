import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CreatedWebhookEndpoint, WebhookPayload } from '@vodkit/api';
import { signToken } from '@vodkit/api/sign';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../test/fixtures.ts';
import { startReceiver } from '../test/receiver.ts';
import { freePort, sqliteDb, startServer, type TestServer } from '../test/server.ts';
import { fileIdOf, tusUpload } from '../test/upload.ts';
import { SecretKeyMissingError } from './db/keys.ts';
import { WebhooksRepo } from './db/webhooks.ts';
import type { DevKey } from './services/auth.ts';

/** Issue 5, defect 8: secrets at rest. */

const dirs: string[] = [];
const dir = (prefix: string) => {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('file modes', () => {
  it('npm start keeps the data dir 0700 and its files 0600, and never prints the secret', async () => {
    const dataDir = path.join(dir('vodkit-modes-'), 'data');
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'main.ts')], {
      env: { ...process.env, VOD_DATA_DIR: dataDir, VOD_PORT: String(port), VOD_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    try {
      await expect.poll(() => stdout, { timeout: 30_000 }).toContain('dev-key.json');
      const key = JSON.parse(fs.readFileSync(path.join(dataDir, 'dev-key.json'), 'utf8')) as DevKey;
      expect(stdout).not.toContain(key.secret);
      expect(stdout).toContain(key.apiKey);
      expect(stdout).toContain(path.join(dataDir, 'dev-key.json'));

      const clipDir = dir('vodkit-modes-clip-');
      const clip = fs.readFileSync(await clips.h264Aac(clipDir, { duration: 1 }));
      const bearer = await signToken({ ...key, permissions: ['allow_upload'] });
      const fileId = fileIdOf(await tusUpload(clip, { baseUrl, bearer }));
      // An unfinished one, too.
      await fetch(`${baseUrl}/v1/uploads`, {
        method: 'POST',
        headers: { authorization: bearer, 'tus-resumable': '1.0.0', 'upload-length': '100' },
      });

      expect(mode(dataDir)).toBe(0o700);
      expect(mode(path.join(dataDir, 'uploads'))).toBe(0o700);
      expect(mode(path.join(dataDir, 'videos'))).toBe(0o700);
      for (const f of ['vodkit.sqlite', 'vodkit.sqlite-wal', 'vodkit.sqlite-shm', 'dev-key.json']) {
        expect(mode(path.join(dataDir, f)), f).toBe(0o600);
      }
      for (const f of fs.readdirSync(path.join(dataDir, 'uploads'))) {
        expect(mode(path.join(dataDir, 'uploads', f)), f).toBe(0o600);
      }
      expect(fs.existsSync(path.join(dataDir, 'uploads', fileId))).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    }
  });

  it('tightens a data dir an older version left world-readable', async () => {
    const dataDir = dir('vodkit-old-modes-');
    const first = await startServer({}, dataDir);
    await first.close();
    fs.chmodSync(dataDir, 0o755);
    fs.chmodSync(path.join(dataDir, 'vodkit.sqlite'), 0o644);
    fs.chmodSync(path.join(dataDir, 'uploads'), 0o755);
    const second = await startServer({}, dataDir);
    try {
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(path.join(dataDir, 'vodkit.sqlite'))).toBe(0o600);
      expect(mode(path.join(dataDir, 'uploads'))).toBe(0o700);
    } finally {
      await second.close();
    }
  });
});

describe('VOD_SECRET_KEY', () => {
  it('keeps API secrets out of the database files, and needs the same key to start again', async () => {
    const dataDir = dir('vodkit-sealed-');
    const secretKey = randomBytes(32).toString('hex');
    const server = await startServer({ VOD_SECRET_KEY: secretKey }, dataDir);
    const other = await server.app.vodkit.auth.createKey('app');
    const token = await server.token(['allow_read']);
    expect((await fetch(`${server.baseUrl}/v1/files`, { headers: { authorization: token } })).status).toBe(
      200,
    );
    const otherToken = await signToken({ ...other, permissions: ['allow_read'] });
    expect(
      (await fetch(`${server.baseUrl}/v1/files`, { headers: { authorization: otherToken } })).status,
    ).toBe(200);
    const raw = ['vodkit.sqlite', 'vodkit.sqlite-wal']
      .filter((f) => fs.existsSync(path.join(dataDir, f)))
      .map((f) => fs.readFileSync(path.join(dataDir, f)).toString('latin1'))
      .join('');
    expect(raw).toContain(other.apiKey);
    expect(raw).not.toContain(other.secret);
    expect(raw).not.toContain(server.devKey.secret);
    await server.close();

    await expect(startServer({}, dataDir)).rejects.toBeInstanceOf(SecretKeyMissingError);
    const wrongKey = randomBytes(32).toString('hex');
    await expect(startServer({ VOD_SECRET_KEY: wrongKey }, dataDir)).rejects.toBeInstanceOf(
      SecretKeyMissingError,
    );

    const again = await startServer({ VOD_SECRET_KEY: secretKey }, dataDir);
    try {
      expect(
        (await fetch(`${again.baseUrl}/v1/files`, { headers: { authorization: otherToken } })).status,
      ).toBe(200);
    } finally {
      await again.close();
    }
  });

  it('seals the secrets of keys made before the key was set', async () => {
    const dataDir = dir('vodkit-seal-later-');
    const plain = await startServer({}, dataDir);
    const secret = plain.devKey.secret;
    await plain.close();
    const sealed = await startServer({ VOD_SECRET_KEY: randomBytes(32).toString('base64') }, dataDir);
    try {
      const row = sqliteDb(sealed.app).prepare('SELECT secret FROM api_keys').get() as { secret: string };
      expect(row.secret).toMatch(/^v1:/);
      expect(row.secret).not.toContain(secret);
      const token = await sealed.token(['allow_read']);
      expect((await fetch(`${sealed.baseUrl}/v1/files`, { headers: { authorization: token } })).status).toBe(
        200,
      );
    } finally {
      await sealed.close();
    }
  });
});

describe('webhook secrets with VOD_SECRET_KEY', () => {
  const webhookEnv = { VOD_WEBHOOK_ALLOW_PRIVATE: '1', VOD_WEBHOOK_POLL_MS: '100' };
  /** Both database files as text, as someone holding a copy of them would read them. */
  const rawDb = (dataDir: string) =>
    ['vodkit.sqlite', 'vodkit.sqlite-wal']
      .filter((f) => fs.existsSync(path.join(dataDir, f)))
      .map((f) => fs.readFileSync(path.join(dataDir, f)).toString('latin1'))
      .join('');
  const storedSecrets = (server: TestServer) =>
    [
      ...(sqliteDb(server.app).prepare('SELECT secret FROM webhook_endpoints').all() as { secret: string }[]),
      ...(sqliteDb(server.app).prepare('SELECT secret FROM webhook_secrets').all() as { secret: string }[]),
    ].map((r) => r.secret);
  const api = async <T>(server: TestServer, pathname: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${server.baseUrl}${pathname}`, {
      method: 'POST',
      headers: { authorization: await server.token(['allow_admin']), 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as T;
  };

  it('seals endpoint and signing secrets, keeps deliveries verifiable, and across a restart', async () => {
    const dataDir = dir('vodkit-webhook-sealed-');
    const clip = fs.readFileSync(await clips.h264Aac(dir('vodkit-webhook-sealed-clip-'), { duration: 1 }));
    const receiver = await startReceiver();
    const secretKey = randomBytes(32).toString('hex');
    const server = await startServer({ ...webhookEnv, VOD_SECRET_KEY: secretKey }, dataDir);
    let again: TestServer | undefined;
    try {
      const endpoint = await api<CreatedWebhookEndpoint>(server, '/v1/webhooks', {
        url: receiver.url('/sealed'),
        events: ['file.ready'],
      });
      const signing = await api<{ secret: string }>(server, '/v1/webhooks/signing-secret');
      for (const stored of storedSecrets(server)) expect(stored).toMatch(/^v1:/);
      sqliteDb(server.app).pragma('wal_checkpoint(PASSIVE)');
      const raw = rawDb(dataDir);
      expect(raw).toContain(endpoint.endpointId);
      for (const secret of [endpoint.secret, signing.secret]) {
        expect(raw).not.toContain(secret);
        expect(raw).not.toContain(secret.replace(/^whsec_/, ''));
      }

      const first = fileIdOf(
        await tusUpload(clip, { baseUrl: server.baseUrl, bearer: await server.token() }),
      );
      const sent = await receiver.waitFor((r) => r.path === '/sealed' && r.body.includes(first));
      expect(new Webhook(endpoint.secret).verify(sent.body, sent.headers)).toMatchObject({
        type: 'file.ready',
        data: { fileId: first },
      });
      await server.close();

      again = await startServer({ ...webhookEnv, VOD_SECRET_KEY: secretKey }, dataDir);
      const second = fileIdOf(await tusUpload(clip, { baseUrl: again.baseUrl, bearer: await again.token() }));
      const resent = await receiver.waitFor((r) => r.path === '/sealed' && r.body.includes(second));
      expect(new Webhook(endpoint.secret).verify(resent.body, resent.headers)).toMatchObject({
        data: { fileId: second },
      });
      // A job's own webhookUrl is signed with the key's (sealed) signing secret.
      const payload: WebhookPayload = { type: 'file.ready', timestamp: new Date().toISOString(), data: {} };
      await again.app.vodkit.repos.webhooks.enqueue(
        { eventId: 'evt-sealed', apiKey: again.devKey.apiKey, type: 'file.ready', payload },
        [{ deliveryId: 'dlv-sealed', endpointId: null, url: receiver.url('/job') }],
      );
      const job = await receiver.waitFor((r) => r.path === '/job');
      expect(new Webhook(signing.secret).verify(job.body, job.headers)).toMatchObject({ type: 'file.ready' });
    } finally {
      await (again ?? server).close();
      await receiver.close();
    }
  });

  it('stores them as before without the key, and seals them once the key is set', async () => {
    const dataDir = dir('vodkit-webhook-plain-');
    const receiver = await startReceiver();
    const plain = await startServer(webhookEnv, dataDir);
    const endpoint = await api<CreatedWebhookEndpoint>(plain, '/v1/webhooks', {
      url: receiver.url('/later'),
      events: ['file.ready'],
    });
    const signing = await api<{ secret: string }>(plain, '/v1/webhooks/signing-secret');
    expect(storedSecrets(plain).sort()).toEqual([endpoint.secret, signing.secret].sort());
    await plain.close();

    const secretKey = randomBytes(32).toString('hex');
    const sealed = await startServer({ ...webhookEnv, VOD_SECRET_KEY: secretKey }, dataDir);
    try {
      const stored = storedSecrets(sealed);
      expect(stored).toHaveLength(2);
      for (const s of stored) {
        expect(s).toMatch(/^v1:/);
        expect(s).not.toContain(endpoint.secret.replace(/^whsec_/, ''));
      }
      const clip = fs.readFileSync(await clips.h264Aac(dir('vodkit-webhook-plain-clip-'), { duration: 1 }));
      const fileId = fileIdOf(
        await tusUpload(clip, { baseUrl: sealed.baseUrl, bearer: await sealed.token() }),
      );
      const sent = await receiver.waitFor((r) => r.path === '/later' && r.body.includes(fileId));
      expect(new Webhook(endpoint.secret).verify(sent.body, sent.headers)).toMatchObject({
        data: { fileId },
      });
      // A sealed webhook secret does not open under another key, nor without one.
      expect(() => new WebhooksRepo(sqliteDb(sealed.app), randomBytes(32))).toThrow(SecretKeyMissingError);
      expect(() => new WebhooksRepo(sqliteDb(sealed.app))).toThrow(SecretKeyMissingError);
    } finally {
      await sealed.close();
      await receiver.close();
    }
  });
});
