import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures.ts';
import { startServer, type TestServer } from '../../test/server.ts';

let site: string;
let server: TestServer;

beforeAll(async () => {
  site = tempDir('vodkit-site-');
  for (const page of ['index', 'player', 'uploader', 'embed']) {
    fs.writeFileSync(path.join(site, `${page}.html`), `<!doctype html><title>${page}</title>`);
  }
  fs.mkdirSync(path.join(site, 'sdk'));
  fs.writeFileSync(path.join(site, 'sdk', 'vodkit-player.js'), 'export {}');
  // The demo is off: the product pages stay, the demo's pages go.
  server = await startServer({ VOD_DEMO: '0', VOD_DEMO_DIR: site });
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(site, { recursive: true, force: true });
});

describe('site', () => {
  it('serves the SDK bundles to other origins, revalidated', async () => {
    const res = await fetch(`${server.baseUrl}/sdk/vodkit-player.js`, {
      headers: { origin: 'https://customer.example' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });

  it('hides the demo pages and the token endpoint when the demo is off', async () => {
    expect((await fetch(`${server.baseUrl}/`)).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/uploader.html`)).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/demo-app/token`, { method: 'POST' })).status).toBe(404);
    expect(await (await fetch(`${server.baseUrl}/player.html`)).text()).toContain('<title>player</title>');
  });

  it('answers an embed of an unknown or malformed video id with a 404 page', async () => {
    for (const id of ['abcdefgh1234', '..%2F..%2Fetc', 'UPPER']) {
      const res = await fetch(`${server.baseUrl}/embed/${id}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('text/html');
    }
  });

  it('validates oEmbed requests', async () => {
    const bad = await fetch(
      `${server.baseUrl}/oembed?url=${encodeURIComponent('https://elsewhere.example/watch')}`,
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
    const unknown = await fetch(
      `${server.baseUrl}/oembed?url=${encodeURIComponent(`${server.baseUrl}/embed/abcdefgh1234`)}`,
    );
    expect(unknown.status).toBe(404);
  });
});
