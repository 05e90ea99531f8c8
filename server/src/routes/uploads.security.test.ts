import fs from 'node:fs';
import { signToken } from '@vodkit/api/sign';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';

let server: TestServer;
let clipDir: string;
let mp4: Buffer;

beforeAll(async () => {
  clipDir = tempDir('vodkit-upload-sec-clips-');
  [server, mp4] = await Promise.all([
    startServer(),
    clips.h264Aac(clipDir, { duration: 1 }).then((f) => fs.readFileSync(f)),
  ]);
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(clipDir, { recursive: true, force: true });
});

const tus = (bearer: string, extra: Record<string, string> = {}) => ({
  'tus-resumable': '1.0.0',
  authorization: `Bearer ${bearer}`,
  ...extra,
});

async function keyToken(): Promise<string> {
  const key = await server.app.vodkit.auth.createKey('attacker');
  return signToken({
    apiKey: key.apiKey,
    secret: key.secret,
    permissions: ['allow_upload', 'allow_read', 'allow_delete'],
  });
}

describe('tus ids cannot be smuggled through the query string', () => {
  it('HEAD/PATCH/DELETE on own-id?x=/victim-id neither read, complete nor delete the victim upload', async () => {
    const victim = await server.token();
    const attacker = await keyToken();
    // The victim's unfinished upload: 100 bytes declared, none sent.
    const created = await fetch(`${server.baseUrl}/v1/uploads`, {
      method: 'POST',
      headers: tus(victim, { 'upload-length': '100' }),
    });
    expect(created.status).toBe(201);
    const victimUrl = created.headers.get('location')!;
    const victimId = fileIdOf(victimUrl);
    // The attacker's own upload, which fastify will happily authorize.
    const own = await fetch(`${server.baseUrl}/v1/uploads`, {
      method: 'POST',
      headers: tus(attacker, { 'upload-length': '100' }),
    });
    const ownUrl = own.headers.get('location')!;
    const smuggled = `${ownUrl}?x=/${victimId}`;

    const head = await fetch(smuggled, { method: 'HEAD', headers: tus(attacker) });
    expect(head.status).toBe(400);
    expect(head.headers.get('upload-offset')).toBeNull();
    expect((await fetch(smuggled, { headers: tus(attacker) })).status).toBeGreaterThanOrEqual(400);

    const patch = await fetch(smuggled, {
      method: 'PATCH',
      headers: tus(attacker, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }),
      body: Buffer.alloc(100, 0x41),
    });
    expect(patch.status).toBe(400);
    expect(((await patch.json()) as { error: { code: string } }).error.code).toBe('query_not_allowed');

    const del = await fetch(smuggled, { method: 'DELETE', headers: tus(attacker) });
    expect(del.status).toBe(400);
    expect(((await del.json()) as { error: { code: string } }).error.code).toBe('query_not_allowed');

    // The victim's upload is untouched: still there, still at offset 0, no file record.
    const check = await fetch(victimUrl, { method: 'HEAD', headers: tus(victim) });
    expect(check.status).toBe(200);
    expect(check.headers.get('upload-offset')).toBe('0');
    expect(fs.existsSync(server.app.vodkit.storage.uploadPath(victimId))).toBe(true);
    expect(fs.statSync(server.app.vodkit.storage.uploadPath(victimId)).size).toBe(0);
    expect((await fetch(`${server.baseUrl}/v1/files/${victimId}`, { headers: tus(victim) })).status).toBe(
      404,
    );

    // Other spellings of the same trick: a slash in a bare query, a trailing segment, an encoded slash.
    for (const url of [`${ownUrl}?/${victimId}`, `${ownUrl}/${victimId}`, `${ownUrl}%2F${victimId}`]) {
      const res = await fetch(url, { method: 'HEAD', headers: tus(attacker) });
      expect(res.status, url).toBeGreaterThanOrEqual(400);
      expect(res.headers.get('upload-offset'), url).toBeNull();
    }
    // The legitimate owner still completes it.
    const finish = await fetch(victimUrl, {
      method: 'PATCH',
      headers: tus(victim, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }),
      body: Buffer.alloc(100, 0x42),
    });
    expect(finish.status).toBe(204);
  });

  it('leaves real tus-js-client uploads working', async () => {
    const url = await tusUpload(mp4, { baseUrl: server.baseUrl, bearer: await server.token() });
    expect(url).toMatch(/\/v1\/uploads\/[a-z0-9]{20}$/);
  });
});
