import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { sqliteDb, startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';
import { loadConfig } from '../config.ts';

let site: string;
let server: TestServer;

beforeAll(async () => {
  site = tempDir('vodkit-demo-site-');
  fs.writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>demo</title>');
  fs.writeFileSync(path.join(site, 'player.html'), '<!doctype html><title>player</title>');
  fs.mkdirSync(path.join(site, 'assets'));
  fs.writeFileSync(path.join(site, 'assets', 'main-abc123.js'), 'console.log(1)');
  server = await startServer({ VOD_DEMO: '1', VOD_DEMO_DIR: site });
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(site, { recursive: true, force: true });
});

describe('demo site', () => {
  it('serves the built pages and fingerprinted assets', async () => {
    const index = await fetch(`${server.baseUrl}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>demo</title>');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(await (await fetch(`${server.baseUrl}/player.html`)).text()).toContain('player');
    expect(await (await fetch(`${server.baseUrl}/player`)).text()).toContain('player');
    const asset = await fetch(`${server.baseUrl}/assets/main-abc123.js`);
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('does not shadow the API', async () => {
    const files = await fetch(`${server.baseUrl}/v1/files`);
    expect(files.status).toBe(401);
    expect(((await files.json()) as { error: { code: string } }).error.code).toBe('auth_missing');
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    const missing = await fetch(`${server.baseUrl}/no-such-page`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect((await fetch(`${server.baseUrl}/v1/nothing-here`)).status).toBe(404);
  });

  it('hands out short-lived tokens like an app server, signed with the sandbox key (not the dev key)', async () => {
    const res = await fetch(`${server.baseUrl}/demo-app/token`, {
      method: 'POST',
      headers: { origin: server.baseUrl, 'sec-fetch-site': 'same-origin' },
    });
    expect(res.status).toBe(200);
    const { token, expiresAt } = (await res.json()) as { token: string; expiresAt: string };
    const ttl = Date.parse(expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(9 * 60_000);
    expect(ttl).toBeLessThanOrEqual(10 * 60_000);
    const principal = await server.app.vodkit.auth.authenticate(token);
    expect(principal.apiKey).not.toBe(server.devKey.apiKey);
    expect(await server.app.vodkit.auth.sandboxApiKeys()).toEqual([principal.apiKey]);
    expect([...principal.permissions].sort()).toEqual(['allow_encode', 'allow_read', 'allow_upload']);
    expect((await fetch(`${server.baseUrl}/v1/files`, { headers: { authorization: token } })).status).toBe(
      200,
    );
  });

  it('refuses cross-origin pages (Origin or Sec-Fetch-Site), without CORS headers', async () => {
    for (const headers of [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: server.baseUrl, 'sec-fetch-site': 'same-site' },
    ] as Record<string, string>[]) {
      const res = await fetch(`${server.baseUrl}/demo-app/token`, { method: 'POST', headers });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('cross_origin_refused');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    const preflight = await fetch(`${server.baseUrl}/demo-app/token`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('gives demo tokens nothing of the dev key and no way to cancel jobs', async () => {
    const devToken = await server.token();
    const dir = tempDir('vodkit-demo-clip-');
    const clip = fs.readFileSync(await clips.h264Aac(dir, { duration: 1 }));
    fs.rmSync(dir, { recursive: true, force: true });
    const fileId = fileIdOf(await tusUpload(clip, { baseUrl: server.baseUrl, bearer: devToken }));
    const created = await fetch(`${server.baseUrl}/v1/encoder/jobs`, {
      method: 'POST',
      headers: { authorization: devToken, 'content-type': 'application/json' },
      body: JSON.stringify({ fileId }),
    });
    const { jobId } = (await created.json()) as { jobId: string };

    const res = await fetch(`${server.baseUrl}/demo-app/token`, { method: 'POST' });
    const { token } = (await res.json()) as { token: string };
    const list = (await (
      await fetch(`${server.baseUrl}/v1/files`, { headers: { authorization: token } })
    ).json()) as { data: { fileId: string }[] };
    expect(list.data.map((f) => f.fileId)).not.toContain(fileId);
    const cancel = await fetch(`${server.baseUrl}/v1/encoder/jobs/${jobId}`, {
      method: 'DELETE',
      headers: { authorization: token },
    });
    expect(cancel.status).toBe(403);
    expect(((await cancel.json()) as { error: { code: string } }).error.code).toBe('permission_denied');
    // Cancelling takes allow_delete even for the job's own key.
    const encodeOnly = await server.token(['allow_encode', 'allow_read']);
    const own = await fetch(`${server.baseUrl}/v1/encoder/jobs/${jobId}`, {
      method: 'DELETE',
      headers: { authorization: encodeOnly },
    });
    expect(own.status).toBe(403);
    const job = (await (
      await fetch(`${server.baseUrl}/v1/encoder/jobs/${jobId}`, { headers: { authorization: devToken } })
    ).json()) as { status: string };
    expect(job.status).not.toBe('cancelled');
  });
});

describe('demo sandbox sweep', () => {
  it("deletes the sandbox key's files once older than VOD_DEMO_SWEEP_MS, and leaves other keys alone", async () => {
    const s = await startServer({ VOD_DEMO: '1', VOD_DEMO_DIR: site, VOD_DEMO_SWEEP_MS: '3600000' });
    try {
      const dir = tempDir('vodkit-demo-clip-');
      const clip = fs.readFileSync(await clips.h264Aac(dir, { duration: 1 }));
      fs.rmSync(dir, { recursive: true, force: true });
      const { token } = (await (await fetch(`${s.baseUrl}/demo-app/token`, { method: 'POST' })).json()) as {
        token: string;
      };
      const sandboxFile = fileIdOf(await tusUpload(clip, { baseUrl: s.baseUrl, bearer: token }));
      const created = await fetch(`${s.baseUrl}/v1/encoder/jobs`, {
        method: 'POST',
        headers: { authorization: token, 'content-type': 'application/json' },
        body: JSON.stringify({ fileId: sandboxFile }),
      });
      const { jobId } = (await created.json()) as { jobId: string };
      const unfinished = await fetch(`${s.baseUrl}/v1/uploads`, {
        method: 'POST',
        headers: { authorization: token, 'tus-resumable': '1.0.0', 'upload-length': '100' },
      });
      const unfinishedId = fileIdOf(unfinished.headers.get('location')!);
      const devToken = await s.token();
      const devFile = fileIdOf(await tusUpload(clip, { baseUrl: s.baseUrl, bearer: devToken }));
      const fileStatus = (id: string, bearer: string) =>
        fetch(`${s.baseUrl}/v1/files/${id}`, { headers: { authorization: bearer } }).then((r) => r.status);

      // Younger than the sweep age: kept.
      await s.app.vodkit.sandbox.sweep();
      expect(await fileStatus(sandboxFile, token)).toBe(200);
      // Two hours on: the job is cancelled, the file, its video and the unfinished upload are gone.
      await s.app.vodkit.sandbox.sweep(Date.now() + 2 * 3600_000);
      expect(await fileStatus(sandboxFile, token)).toBe(404);
      expect(fs.existsSync(s.app.vodkit.storage.uploadPath(sandboxFile))).toBe(false);
      expect(fs.existsSync(s.app.vodkit.storage.uploadPath(unfinishedId))).toBe(false);
      expect(sqliteDb(s.app).prepare('SELECT 1 FROM jobs WHERE job_id = ?').get(jobId)).toBeUndefined();
      expect(await fileStatus(devFile, devToken)).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('runs by itself every VOD_DEMO_SWEEP_MS / 2', async () => {
    const s = await startServer({ VOD_DEMO: '1', VOD_DEMO_DIR: site, VOD_DEMO_SWEEP_MS: '1000' });
    try {
      const { token } = (await (await fetch(`${s.baseUrl}/demo-app/token`, { method: 'POST' })).json()) as {
        token: string;
      };
      const unfinished = await fetch(`${s.baseUrl}/v1/uploads`, {
        method: 'POST',
        headers: { authorization: token, 'tus-resumable': '1.0.0', 'upload-length': '100' },
      });
      const id = fileIdOf(unfinished.headers.get('location')!);
      await vi.waitFor(() => expect(fs.existsSync(s.app.vodkit.storage.uploadPath(id))).toBe(false), {
        timeout: 30_000,
        interval: 250,
      });
    } finally {
      await s.close();
    }
  });
});

describe('demo default', () => {
  it('is on for loopback only unless VOD_DEMO=1 opts in', async () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({}).demo).toBe(true);
    expect(loadConfig({ VOD_HOST: '::1' }).demo).toBe(true);
    expect(loadConfig({ VOD_HOST: '0.0.0.0' }).demo).toBe(false);
    expect(loadConfig({ VOD_HOST: '192.168.1.10' }).demo).toBe(false);
    expect(loadConfig({ VOD_HOST: '0.0.0.0', VOD_DEMO: '1' }).demo).toBe(true);
    expect(loadConfig({ VOD_DEMO: '0' }).demo).toBe(false);
    const open = await startServer({ VOD_HOST: '0.0.0.0', VOD_DEMO: '', VOD_DEMO_DIR: site });
    try {
      const res = await fetch(`${open.baseUrl}/demo-app/token`, { method: 'POST' });
      expect(res.status).toBe(404);
    } finally {
      await open.close();
    }
  });
});

describe('demo site not built', () => {
  it('says how to build it', async () => {
    const empty = tempDir('vodkit-demo-empty-');
    const s = await startServer({ VOD_DEMO: '1', VOD_DEMO_DIR: path.join(empty, 'dist') });
    try {
      const res = await fetch(`${s.baseUrl}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain('npm run build');
    } finally {
      await s.close();
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
