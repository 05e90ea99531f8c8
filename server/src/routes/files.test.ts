import fs from 'node:fs';
import type { FileRecord, HealthStatus, Page } from '@vodkit/api';
import { signToken } from '@vodkit/api/sign';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';
import { buildApp } from '../app.ts';
import { loadConfig } from '../config.ts';

let server: TestServer;
let token: string;
let clipDir: string;
let clip: Buffer;

beforeAll(async () => {
  clipDir = tempDir('vodkit-files-route-');
  [server, clip] = await Promise.all([
    startServer(),
    clips.audioOnly(clipDir, { duration: 1 }).then((f) => fs.readFileSync(f)),
  ]);
  token = await server.token();
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(clipDir, { recursive: true, force: true });
});

const upload = (title: string): Promise<string> =>
  tusUpload(clip, {
    baseUrl: server.baseUrl,
    bearer: token,
    metadata: { filename: `${title}.m4a`, filetype: 'audio/mp4', title },
  }).then(fileIdOf);

const get = (path: string, bearer: string | null = token) =>
  fetch(`${server.baseUrl}${path}`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });

describe('/v1/files', () => {
  it('lists the key’s files, paginated, newest first', async () => {
    const ids: string[] = [];
    for (const title of ['one', 'two', 'three']) ids.push(await upload(title));
    const page1 = (await (await get('/v1/files?perPage=2')).json()) as Page<FileRecord>;
    expect(page1.pageInfo).toEqual({ page: 1, perPage: 2, total: 3, lastPage: 2 });
    expect(page1.data.map((f) => f.title)).toEqual(['three', 'two']);
    expect(page1.data[0]).toMatchObject({
      status: 'ready',
      metadata: { video: null, audio: { codec: 'aac' } },
    });
    const page2 = (await (await get('/v1/files?page=2&perPage=2')).json()) as Page<FileRecord>;
    expect(page2.data.map((f) => f.fileId)).toEqual([ids[0]]);
    const defaults = (await (await get('/v1/files')).json()) as Page<FileRecord>;
    expect(defaults.pageInfo).toMatchObject({ page: 1, perPage: 20 });
    expect(JSON.stringify(defaults)).not.toContain(server.devKey.apiKey);

    const other = await server.app.vodkit.auth.createKey('lister');
    const otherToken = await signToken({
      apiKey: other.apiKey,
      secret: other.secret,
      permissions: ['allow_read'],
    });
    const theirs = (await (await get('/v1/files', otherToken)).json()) as Page<FileRecord>;
    expect(theirs.pageInfo.total).toBe(0);
  });

  it('validates paging and needs allow_read', async () => {
    for (const q of ['perPage=101', 'perPage=0', 'page=0', 'page=abc']) {
      const res = await get(`/v1/files?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
    }
    expect((await get('/v1/files', null)).status).toBe(401);
    const uploadOnly = await server.token(['allow_upload']);
    const res = await get('/v1/files', uploadOnly);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('permission_denied');
  });

  it('answers 404 for unknown or malformed ids', async () => {
    for (const id of ['abcdefghij0123456789', 'NOT-AN-ID', 'x'.repeat(64)]) {
      const res = await get(`/v1/files/${id}`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
  });

  it('deletes a file and its bytes with allow_delete', async () => {
    const fileId = await upload('doomed');
    const bytes = server.app.vodkit.storage.uploadPath(fileId);
    expect(fs.existsSync(bytes)).toBe(true);
    const del = (bearer: string) =>
      fetch(`${server.baseUrl}/v1/files/${fileId}`, { method: 'DELETE', headers: { authorization: bearer } });

    expect((await del(await server.token(['allow_read']))).status).toBe(403);
    const other = await server.app.vodkit.auth.createKey('deleter');
    const otherToken = await signToken({
      apiKey: other.apiKey,
      secret: other.secret,
      permissions: ['allow_delete'],
    });
    expect((await del(otherToken)).status).toBe(404);
    expect(fs.existsSync(bytes)).toBe(true);

    const res = await del(token);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(fs.existsSync(bytes)).toBe(false);
    expect(fs.existsSync(`${bytes}.json`)).toBe(false);
    expect((await get(`/v1/files/${fileId}`)).status).toBe(404);
    expect((await del(token)).status).toBe(404);
  });
});

describe('/healthz', () => {
  it('is 200 when the server can work, without naming the ffmpeg build', async () => {
    const res = await fetch(`${server.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as HealthStatus;
    expect(body).toMatchObject({ ok: true, database: true, version: '0.1.0' });
    expect(body.ffmpeg).toBe(true);
  });

  it('is 503 without ffmpeg', async () => {
    const dir = tempDir('vodkit-health-');
    const app = await buildApp(loadConfig({ VOD_DATA_DIR: dir, VOD_DEMO: '0', VOD_LOG_LEVEL: 'silent' }), {
      logger: false,
      startWorkers: false,
      ffmpegVersion: null,
    });
    try {
      const res = await app.inject('/healthz');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ ok: false, ffmpeg: false, database: true });
    } finally {
      await app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
