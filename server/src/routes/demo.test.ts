import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures.ts';
import { startServer, type TestServer } from '../../test/server.ts';

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

  it('hands out short-lived tokens like an app server, signed with the dev key', async () => {
    const res = await fetch(`${server.baseUrl}/demo-app/token`, { method: 'POST' });
    expect(res.status).toBe(200);
    const { token, expiresAt } = (await res.json()) as { token: string; expiresAt: string };
    const ttl = Date.parse(expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(9 * 60_000);
    expect(ttl).toBeLessThanOrEqual(10 * 60_000);
    const principal = await server.app.vodkit.auth.authenticate(token);
    expect(principal.apiKey).toBe(server.devKey.apiKey);
    expect([...principal.permissions].sort()).toEqual(['allow_encode', 'allow_read', 'allow_upload']);
    expect((await fetch(`${server.baseUrl}/v1/files`, { headers: { authorization: token } })).status).toBe(
      200,
    );
  });

  it('answers 503 with a clear message when dev-key.json is gone', async () => {
    const file = path.join(server.dataDir, 'dev-key.json');
    const saved = fs.readFileSync(file);
    fs.rmSync(file);
    try {
      const res = await fetch(`${server.baseUrl}/demo-app/token`, { method: 'POST' });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('unavailable');
      expect(body.error.message).toContain('dev-key.json');
    } finally {
      fs.writeFileSync(file, saved);
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
