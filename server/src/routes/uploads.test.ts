import fs from 'node:fs';
import path from 'node:path';
import type { FileRecord } from '@vodkit/api';
import { signToken } from '@vodkit/api/sign';
import { type DetailedError, Upload } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { apiFetcher, sqliteDb, startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, type TusUploadOptions, tusUpload as upload } from '../../test/upload.ts';

let server: TestServer;
let token: string;
let clipDir: string;
let mp4: Buffer;

beforeAll(async () => {
  clipDir = tempDir('vodkit-upload-clips-');
  [server, mp4] = await Promise.all([
    startServer(),
    clips.h264Aac(clipDir, { duration: 2 }).then((f) => fs.readFileSync(f)),
  ]);
  token = await server.token();
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(clipDir, { recursive: true, force: true });
});

/** tus-js-client against this file's server and token unless told otherwise; resolves with the upload URL. */
const tusUpload = (data: Buffer, options: Partial<TusUploadOptions> = {}): Promise<string> =>
  upload(data, { baseUrl: server.baseUrl, bearer: token, ...options });

const idOf = fileIdOf;

const api = apiFetcher(
  () => server.baseUrl,
  () => token,
);

async function getFile(fileId: string, bearer: string = token): Promise<FileRecord> {
  const res = await api(`/v1/files/${fileId}`, { bearer });
  expect(res.status).toBe(200);
  return (await res.json()) as FileRecord;
}

const createHeaders = (length: number, extra: Record<string, string> = {}) => ({
  'tus-resumable': '1.0.0',
  'upload-length': String(length),
  ...extra,
});

describe('tus uploads', () => {
  it('uploads with tus-js-client and has the metadata ready when the upload resolves', async () => {
    const url = await tusUpload(mp4);
    const fileId = idOf(url);
    expect(url).toBe(`${server.baseUrl}/v1/uploads/${fileId}`);
    expect(fileId).toMatch(/^[a-z0-9]{20}$/);
    const file = await getFile(fileId);
    expect(file).toMatchObject({
      fileId,
      status: 'ready',
      filename: 'clip.mp4',
      filetype: 'video/mp4',
      title: 'A test clip',
      size: mp4.length,
      reason: null,
    });
    expect(file).not.toHaveProperty('apiKey');
    expect(JSON.stringify(file)).not.toContain(server.devKey.apiKey);
    expect(file.metadata?.video).toMatchObject({ codec: 'h264', width: 640, height: 360, fps: 25 });
    expect(file.metadata?.audio).toMatchObject({ codec: 'aac', sampleRate: 48000 });
    expect(file.metadata?.duration).toBeCloseTo(2, 0);
    expect(file.probeMs).toBeGreaterThan(0);
  });

  it('supports creation-with-upload', async () => {
    const url = await tusUpload(mp4, { uploadDataDuringCreation: true });
    expect((await getFile(idOf(url))).status).toBe('ready');
  });

  it('rejects a hostile file with a reason code, and keeps serving', async () => {
    const playlist = Buffer.from(
      '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n',
    );
    const file = await getFile(idOf(await tusUpload(playlist, { metadata: { filename: 'x.mp4' } })));
    expect(file.status).toBe('rejected');
    expect(file.reason?.code).toBe('unsupported_container');
    expect(file.metadata).toBeNull();

    const text = Buffer.from('hello, I am not a video\n'.repeat(100));
    const textFile = await getFile(idOf(await tusUpload(text)));
    expect(textFile.status).toBe('rejected');
    expect(textFile.reason?.code).toBe('probe_failed');
    expect(textFile.reason?.message).not.toContain(server.dataDir);
  });

  it('answers 401 with a JSON error without a token or with a bad one', async () => {
    const none = await api('/v1/uploads', { method: 'POST', bearer: null, headers: createHeaders(10) });
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toContain('application/json');
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('auth_missing');

    const garbage = await api('/v1/uploads', {
      method: 'POST',
      bearer: 'not-a-jwt',
      headers: createHeaders(10),
    });
    expect(garbage.status).toBe(401);
    expect(((await garbage.json()) as { error: { code: string } }).error.code).toBe('auth_malformed');

    const forged = await signToken({
      apiKey: server.devKey.apiKey,
      secret: 'not-the-secret',
      permissions: ['allow_upload'],
    });
    const err = (await tusUpload(mp4, { bearer: forged }).catch((e: unknown) => e)) as DetailedError;
    expect(err.originalResponse?.getStatus()).toBe(401);
    expect(JSON.parse(err.originalResponse!.getBody()).error.code).toBe('auth_bad_signature');
  });

  it('answers 403 to a token without allow_upload', async () => {
    const readOnly = await server.token(['allow_read']);
    const res = await api('/v1/uploads', { method: 'POST', bearer: readOnly, headers: createHeaders(10) });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('permission_denied');
  });

  it('answers 413 above VOD_MAX_UPLOAD_BYTES', async () => {
    const small = await startServer({ VOD_MAX_UPLOAD_BYTES: '1000' });
    try {
      const smallToken = await small.token();
      const res = await fetch(`${small.baseUrl}/v1/uploads`, {
        method: 'POST',
        headers: { ...createHeaders(1001), authorization: smallToken },
      });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upload_too_large');
      // Through a real client, too.
      const err = (await tusUpload(mp4, { baseUrl: small.baseUrl, bearer: smallToken }).catch(
        (e: unknown) => e,
      )) as DetailedError;
      expect(err.originalResponse?.getStatus()).toBe(413);
      // A deferred length is held to the limit by tus itself, with our JSON body.
      const deferred = await fetch(`${small.baseUrl}/v1/uploads`, {
        method: 'POST',
        headers: { 'tus-resumable': '1.0.0', 'upload-defer-length': '1', authorization: smallToken },
      });
      expect(deferred.status).toBe(201);
      const patch = await fetch(deferred.headers.get('location')!, {
        method: 'PATCH',
        headers: {
          'tus-resumable': '1.0.0',
          'upload-offset': '0',
          'upload-length': '5000',
          'content-type': 'application/offset+octet-stream',
          authorization: smallToken,
        },
        body: Buffer.alloc(10),
      });
      expect(patch.status).toBe(413);
      expect(((await patch.json()) as { error: { code: string } }).error.code).toBe('upload_too_large');
    } finally {
      await small.close();
    }
  });

  it('lets only the key that created an upload see, resume or terminate it', async () => {
    const other = await server.app.vodkit.auth.createKey('other');
    const otherToken = await signToken({
      apiKey: other.apiKey,
      secret: other.secret,
      permissions: ['allow_upload', 'allow_read', 'allow_delete'],
    });
    // The client tries to claim the other key's ownership through metadata: ignored.
    const url = await tusUpload(mp4, { metadata: { filename: 'mine.mp4', apikey: other.apiKey } });
    const fileId = idOf(url);
    for (const method of ['HEAD', 'DELETE'] as const) {
      const res = await fetch(url, {
        method,
        headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${otherToken}` },
      });
      expect(res.status).toBe(404);
    }
    const patch = await fetch(url, {
      method: 'PATCH',
      headers: {
        'tus-resumable': '1.0.0',
        'upload-offset': String(mp4.length),
        'content-type': 'application/offset+octet-stream',
        authorization: otherToken,
      },
      body: Buffer.alloc(1),
    });
    expect(patch.status).toBe(404);
    expect((await api(`/v1/files/${fileId}`, { bearer: otherToken })).status).toBe(404);
    const own = await fetch(url, {
      method: 'HEAD',
      headers: { 'tus-resumable': '1.0.0', authorization: token },
    });
    expect(own.status).toBe(200);
    expect(own.headers.get('upload-offset')).toBe(String(mp4.length));
    expect((await getFile(fileId)).filename).toBe('mine.mp4');
  });

  it('resumes an interrupted upload at the same URL, bytes identical', async () => {
    const chunkSize = 64 * 1024;
    expect(mp4.length).toBeGreaterThan(2 * chunkSize);
    let firstUrl = '';
    await new Promise<void>((resolve, reject) => {
      const upload: Upload = new Upload(mp4, {
        endpoint: `${server.baseUrl}/v1/uploads`,
        headers: { Authorization: `Bearer ${token}` },
        metadata: { filename: 'resumed.mp4' },
        chunkSize,
        retryDelays: [],
        onChunkComplete: () => {
          firstUrl = upload.url!;
          upload.abort().then(resolve, reject);
        },
        onSuccess: () => reject(new Error('should have been aborted')),
        onError: reject,
      });
      upload.start();
    });
    const head = await fetch(firstUrl, {
      method: 'HEAD',
      headers: { 'tus-resumable': '1.0.0', authorization: token },
    });
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBe(chunkSize);
    expect(head.headers.get('upload-expires')).toBeNull(); // HEAD does not carry it; PATCH does
    const fileId = idOf(firstUrl);
    expect(sqliteDb(server.app).prepare('SELECT 1 FROM files WHERE file_id = ?').get(fileId)).toBeUndefined();

    const resumedUrl = await tusUpload(mp4, { uploadUrl: firstUrl, chunkSize });
    expect(resumedUrl).toBe(firstUrl);
    const stored = fs.readFileSync(server.app.vodkit.storage.uploadPath(fileId));
    expect(stored.equals(mp4)).toBe(true);
    expect((await getFile(fileId)).status).toBe('ready');
  });

  it('gives Upload-Expires on unfinished uploads and terminates them', async () => {
    const created = await api('/v1/uploads', { method: 'POST', headers: createHeaders(100) });
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^${server.baseUrl}/v1/uploads/[a-z0-9]{20}$`));
    const expires = Date.parse(created.headers.get('upload-expires')!);
    expect(expires - Date.now()).toBeGreaterThan(23 * 3600_000);
    const del = await fetch(location, {
      method: 'DELETE',
      headers: { 'tus-resumable': '1.0.0', authorization: token },
    });
    expect(del.status).toBe(204);
    const head = await fetch(location, {
      method: 'HEAD',
      headers: { 'tus-resumable': '1.0.0', authorization: token },
    });
    expect(head.status).toBe(404);
    expect(fs.existsSync(server.app.vodkit.storage.uploadPath(idOf(location)))).toBe(false);
  });

  it('refuses to terminate a finished upload (that is DELETE /v1/files)', async () => {
    const url = await tusUpload(mp4);
    const del = await fetch(url, {
      method: 'DELETE',
      headers: { 'tus-resumable': '1.0.0', authorization: token },
    });
    expect(del.status).toBe(400);
    expect(((await del.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
    expect((await getFile(idOf(url))).status).toBe('ready');
  });

  it('answers tus discovery (OPTIONS without a token)', async () => {
    const res = await fetch(`${server.baseUrl}/v1/uploads`, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('tus-version')).toBe('1.0.0');
    expect(res.headers.get('tus-max-size')).toBe(String(server.config.maxUploadBytes));
    expect(res.headers.get('tus-extension')).toContain('creation-with-upload');
    expect(res.headers.get('tus-extension')).toContain('termination');
    expect(res.headers.get('tus-extension')).toContain('expiration');
  });

  it('lets a browser on another origin upload (CORS)', async () => {
    const origin = 'https://customer.example';
    const preflight = await fetch(`${server.baseUrl}/v1/uploads/abcdefghij0123456789`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'PATCH',
        'access-control-request-headers':
          'authorization,content-type,tus-resumable,upload-offset,x-app-trace',
      },
    });
    expect(preflight.status).toBe(204);
    expect(['*', origin]).toContain(preflight.headers.get('access-control-allow-origin'));
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH');
    const allowed = preflight.headers.get('access-control-allow-headers')!.toLowerCase();
    for (const h of ['authorization', 'content-type', 'tus-resumable', 'upload-offset', 'x-app-trace']) {
      expect(allowed).toContain(h);
    }

    const post = await api('/v1/uploads', { method: 'POST', headers: { ...createHeaders(10), origin } });
    expect(post.status).toBe(201);
    const acao = post.headers.get('access-control-allow-origin');
    expect(['*', origin]).toContain(acao); // exactly one value, not "origin, *"
    const exposed = post.headers.get('access-control-expose-headers')!.toLowerCase();
    for (const h of ['location', 'upload-offset', 'upload-expires']) expect(exposed).toContain(h);

    const denied = await api('/v1/uploads', {
      method: 'POST',
      bearer: null,
      headers: { ...createHeaders(10), origin },
    });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('probes once: an empty PATCH at the final offset does not probe again', async () => {
    const url = await tusUpload(mp4);
    const before = await getFile(idOf(url));
    const again = await fetch(url, {
      method: 'PATCH',
      headers: {
        'tus-resumable': '1.0.0',
        'upload-offset': String(mp4.length),
        'content-type': 'application/offset+octet-stream',
        authorization: token,
      },
    });
    expect(again.status).toBe(204);
    expect((await getFile(idOf(url))).updatedAt).toBe(before.updatedAt);
  });

  it('does not serve upload bytes back over GET', async () => {
    const url = await tusUpload(mp4);
    const res = await fetch(url, { headers: { authorization: token } });
    expect(res.status).toBe(404);
  });
});

describe('reconcile at boot', () => {
  it('probes a completed upload whose record is missing, and files stuck in probing', async () => {
    const dataDir = tempDir('vodkit-reconcile-');
    const first = await startServer({}, dataDir);
    const firstToken = await first.token();
    const lost = idOf(await tusUpload(mp4, { baseUrl: first.baseUrl, bearer: firstToken }));
    const stuck = idOf(await tusUpload(mp4, { baseUrl: first.baseUrl, bearer: firstToken }));
    // An unfinished upload must stay an upload.
    const partial = await fetch(`${first.baseUrl}/v1/uploads`, {
      method: 'POST',
      headers: { ...createHeaders(mp4.length), authorization: firstToken },
    });
    const partialId = idOf(partial.headers.get('location')!);
    // Simulate a crash between the last byte and the probe, and one during a probe.
    sqliteDb(first.app).prepare('DELETE FROM files WHERE file_id = ?').run(lost);
    sqliteDb(first.app)
      .prepare("UPDATE files SET status = 'probing', metadata = NULL WHERE file_id = ?")
      .run(stuck);
    await first.close();

    const second = await startServer({}, dataDir);
    try {
      const t = await second.token();
      for (const id of [lost, stuck]) {
        const res = await fetch(`${second.baseUrl}/v1/files/${id}`, { headers: { authorization: t } });
        const file = (await res.json()) as FileRecord;
        expect(file.status).toBe('ready');
        expect(file.metadata?.video?.codec).toBe('h264');
        expect(file.filename).toBe('clip.mp4');
      }
      const res = await fetch(`${second.baseUrl}/v1/files/${partialId}`, { headers: { authorization: t } });
      expect(res.status).toBe(404);
      expect(fs.existsSync(path.join(dataDir, 'uploads', partialId))).toBe(true);
    } finally {
      await second.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
