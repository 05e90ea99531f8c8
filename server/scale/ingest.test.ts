import fs from 'node:fs';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { FileRecord } from '@vodkit/api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { S3BlobStore } from '../src/storage/s3-blob-store.ts';
import { makeClip, tempDir, x264 } from '../test/fixtures.ts';
import { type Origin, serveBytes, startOrigin } from '../test/origin.ts';
import { apiFetcher, startServer, type TestServer } from '../test/server.ts';
import { clusterEnv } from './cluster.ts';

/*
 * Link ingest scaled out (issue 15 §1): an API node on PostgreSQL + S3 (radosgw) downloads from an
 * origin on loopback straight into the bucket, as a multipart upload (lib-storage) that one dropped
 * connection and its Range resume do not break, and probes the object from its presigned URL.
 */

const scale = inject('scaleEnv');

let env: Record<string, string>;
let node: TestServer;
let origin: Origin;
let source: Buffer;
let token: string;

beforeAll(async () => {
  env = await clusterEnv(scale, { VOD_INGEST_ALLOW_PRIVATE: '1', VOD_LOG_LEVEL: 'silent' });
  const dir = tempDir('vodkit-scale-ingest-');
  // Lossless H.264 of noise: ~10 MB in 2 s of video, so the object spans two 8 MiB parts.
  const clip = await makeClip(path.join(dir, 'noise.mp4'), {
    duration: 2,
    width: 480,
    height: 270,
    video: x264('-qp', '0'),
    audio: null,
    extra: ['-vf', "geq=lum='random(1)*255':cb=128:cr=128"],
  });
  source = fs.readFileSync(clip);
  [node, origin] = await Promise.all([startServer(env), startOrigin()]);
  token = await node.token();
}, 120_000);

afterAll(async () => {
  await Promise.all([node?.close(), origin?.close()]);
});

describe('link ingest into S3', () => {
  it('streams a download into the bucket as multipart, resumes a dropped connection, and probes it', async () => {
    expect(source.length).toBeGreaterThan(9 * 1024 * 1024);
    const cut = 5 * 1024 * 1024 + 12_345;
    const whole = serveBytes(source, '"noise-1"');
    let first = true;
    origin.route('/videos/noise.mp4', (req, res) => {
      if (!first) return whole(req, res);
      first = false;
      res.writeHead(200, {
        'content-type': 'video/mp4',
        'content-length': String(source.length),
        'accept-ranges': 'bytes',
        etag: '"noise-1"',
      });
      res.write(source.subarray(0, cut), () => res.socket?.destroy());
    });
    const api = apiFetcher(
      () => node.baseUrl,
      () => token,
    );
    const created = await api('/v1/files', {
      method: 'POST',
      json: { url: origin.url('/videos/noise.mp4') },
    });
    expect(created.status).toBe(201);
    const { fileId, status, title } = (await created.json()) as FileRecord;
    expect({ status, title }).toEqual({ status: 'downloading', title: 'noise.mp4' });

    let file!: FileRecord;
    await expect
      .poll(
        async () => {
          file = (await (await api(`/v1/files/${fileId}`)).json()) as FileRecord;
          return file.status;
        },
        { timeout: 60_000, interval: 100 },
      )
      .toMatch(/^(ready|rejected)$/);
    expect(file.reason).toBeNull();
    expect(file).toMatchObject({
      status: 'ready',
      size: source.length,
      progress: { bytes: source.length, total: source.length },
      metadata: { video: { codec: 'h264', width: 480, height: 270 } },
    });
    expect(origin.requests.filter((r) => r.path === '/videos/noise.mp4').map((r) => r.headers.range)).toEqual(
      [undefined, `bytes=${cut}-`],
    );
    // The object where a tus upload's would be, sent in two parts, byte for byte; nothing on disk.
    const blobs = new S3BlobStore({ ...scale.s3, bucket: env.VOD_S3_BUCKET! });
    const head = await blobs.client.send(new HeadObjectCommand({ Bucket: blobs.bucket, Key: fileId }));
    expect(head.ETag).toMatch(/-2"$/);
    const object = await blobs.get(fileId);
    expect((await buffer(object!.stream)).equals(source)).toBe(true);
    expect(fs.existsSync(path.join(node.dataDir, 'uploads', fileId))).toBe(false);
  });
});
