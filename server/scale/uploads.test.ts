import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import type { EncoderJob, FileRecord } from '@vodkit/api';
import { signToken } from '@vodkit/api/sign';
import pg from 'pg';
import { Upload } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newId } from '../src/ids.ts';
import { startEncode } from '../src/media/encode.ts';
import { planLadder } from '../src/media/ladder.ts';
import { mp4Keyframes } from '../src/media/mp4-index.ts';
import { probeFile } from '../src/media/probe.ts';
import { SignedSourceUrl } from '../src/media/source.ts';
import { S3BlobStore } from '../src/storage/s3-blob-store.ts';
import type { S3UploadsStore } from '../src/storage/s3-uploads-store.ts';
import { makeClip, tempDir } from '../test/fixtures.ts';
import { startServer, type TestServer } from '../test/server.ts';
import { clusterEnv } from './cluster.ts';

/*
 * Our real upload routes on two app instances sharing S3 (radosgw) and the PostgreSQL tus lock:
 * tus-js-client starts on node A and resumes on node B; B probes the finished upload from a
 * presigned URL. Each node has its own SQLite database for now (the PostgreSQL repositories come
 * with VOD_DATABASE_URL once they are wired, and this test then runs on them unchanged): the
 * nodes share the API key because B's database is seeded with A's before it boots.
 */

const scale = inject('scaleEnv');
const { s3 } = scale;
/** A database of this file's own (cluster.ts), so the first node creates the development key. */
let databaseUrl = '';
const bucket = `vodkit-up-${crypto.randomBytes(4).toString('hex')}`;
const blobs = new S3BlobStore({ ...s3, bucket });
const paths = {
  ffmpegPath: process.env.FFMPEG_PATH || 'ffmpeg',
  ffprobePath: process.env.FFPROBE_PATH || 'ffprobe',
};

const scaleEnv = (): Record<string, string> => ({
  VOD_DATABASE_URL: databaseUrl,
  VOD_S3_ENDPOINT: s3.endpoint,
  VOD_S3_REGION: s3.region,
  VOD_S3_BUCKET: bucket,
  VOD_S3_ACCESS_KEY_ID: s3.accessKeyId,
  VOD_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  VOD_S3_FORCE_PATH_STYLE: s3.forcePathStyle ? '1' : '0',
});

let dir: string;
let source: Buffer;
let clip: string;
let a: TestServer;
let b: TestServer;
let token: string;
/** The upload that went from node A to node B and became a file. */
let finishedId = '';

beforeAll(async () => {
  databaseUrl = (await clusterEnv(scale)).VOD_DATABASE_URL;
  await blobs.ensureBucket(['*']);
  dir = tempDir('vodkit-scale-uploads-');
  // Lossless 720p: about 10 MB with the moov at the end, so the upload spans several PATCHes.
  clip = await makeClip(path.join(dir, 'clip.mp4'), {
    duration: 4,
    width: 1280,
    height: 720,
    video: ['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p'],
  });
  source = fs.readFileSync(clip);
  a = await startServer(scaleEnv());
  // Node B shares A's database (keys included); the test reads the key from B's folder too.
  const dataB = tempDir();
  fs.copyFileSync(path.join(a.dataDir, 'dev-key.json'), path.join(dataB, 'dev-key.json'));
  b = await startServer(scaleEnv(), dataB);
  token = await a.token();
}, 180_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** True once some session holds the advisory lock of upload `id` (node A's PATCH has it). */
async function lockHeld(id: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
         AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)`,
      [id],
    );
    return rows[0]!.n > 0;
  } finally {
    await c.end();
  }
}

const api = (node: TestServer, pathname: string, init: RequestInit = {}) =>
  fetch(`${node.baseUrl}${pathname}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', ...init.headers },
  });

/** Sends chunks with tus-js-client until `stopAfter` bytes are acknowledged (all when absent). */
function tus(options: { endpoint?: string; uploadUrl?: string; stopAfter?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload: Upload = new Upload(source, {
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.uploadUrl ? { uploadUrl: options.uploadUrl } : {}),
      headers: { Authorization: `Bearer ${token}` },
      metadata: { filename: 'clip.mp4', filetype: 'video/mp4', title: 'Across nodes' },
      chunkSize: 3 * 1024 * 1024,
      retryDelays: [],
      onChunkComplete: (_chunk, accepted) => {
        if (options.stopAfter !== undefined && accepted >= options.stopAfter) {
          void upload.abort().then(() => resolve(upload.url!));
        }
      },
      onSuccess: () => resolve(upload.url!),
      onError: reject,
    });
    upload.start();
  });
}

describe('uploads across two API nodes on S3 with the PostgreSQL tus lock', () => {
  it('each node stores uploads in S3 and locks them in PostgreSQL', () => {
    for (const node of [a, b]) {
      expect(node.app.vodkit.uploads.kind).toBe('s3');
      expect(node.app.vodkit.uploads.locker.constructor.name).toBe('PgLocker');
    }
  });

  it('starts on node A, resumes on node B, completes whole and is probed from its presigned URL', async () => {
    const url = await tus({ endpoint: `${a.baseUrl}/v1/uploads`, stopAfter: 3 * 1024 * 1024 });
    const id = url.split('/').pop()!;
    expect(url.startsWith(a.baseUrl)).toBe(true);

    // Node B sees node A's progress: the offset comes from S3, not from a node's memory.
    const head = await api(b, `/v1/uploads/${id}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBeGreaterThanOrEqual(3 * 1024 * 1024);
    expect(offset).toBeLessThan(source.length);

    await tus({ uploadUrl: `${b.baseUrl}/v1/uploads/${id}` });
    finishedId = id;

    // Whole: the object tus assembled is the source, byte for byte.
    const stored = await blobs.get(id);
    expect(stored).not.toBeNull();
    expect((await buffer(stored!.stream)).equals(source)).toBe(true);
    // Node B's last PATCH was answered after the probe: the record is ready, with the right metadata.
    const res = await api(b, `/v1/files/${id}`);
    expect(res.status).toBe(200);
    const record = (await res.json()) as FileRecord;
    expect(record.status).toBe('ready');
    expect(record.size).toBe(source.length);
    expect(record.title).toBe('Across nodes');
    const local = await probeFile(paths, clip, { timeoutMs: 30_000 });
    expect(record.metadata).toEqual(local.metadata);
    // B never had the bytes on its disk: the probe read the presigned URL.
    expect(fs.readdirSync(b.app.vodkit.storage.uploadsDir)).toEqual([]);
    // And node A, asked afterwards, says the upload is complete (no stale per-node cache).
    const headA = await api(a, `/v1/uploads/${id}`, { method: 'HEAD' });
    expect(headA.headers.get('upload-offset')).toBe(String(source.length));

    // A node that missed the finish (it crashed, or it is another node) finds the upload in S3 and
    // records it at boot; with a shared files table it already knows it.
    await a.app.vodkit.files.reconcile();
    const onA = await api(a, `/v1/files/${id}`);
    expect(((await onA.json()) as FileRecord).metadata).toEqual(local.metadata);
  });

  it('hands a PATCH stalled on node A over to tus-js-client resuming on node B (our routes, PgLocker)', async () => {
    const res = await api(a, '/v1/uploads', {
      method: 'POST',
      headers: { 'upload-length': String(source.length) },
    });
    expect(res.status).toBe(201);
    const id = res.headers.get('location')!.split('/').pop()!;
    // A client sends the first megabyte to node A, then goes quiet without closing the request.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(source.subarray(0, 1024 * 1024));
      },
    });
    const stalled = fetch(`${a.baseUrl}/v1/uploads/${id}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${token}`,
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body,
      duplex: 'half',
    } as RequestInit).then(
      (r) => `answered ${r.status}`,
      () => 'connection closed',
    );
    while (!(await lockHeld(id))) await new Promise((r) => setTimeout(r, 50));
    // B's HEAD needs the lock A's PATCH holds: B asks A (NOTIFY), A's request lets go, B resumes.
    await tus({ uploadUrl: `${b.baseUrl}/v1/uploads/${id}` });
    expect(await stalled).toMatch(/answered|closed/);
    expect((await buffer((await blobs.get(id))!.stream)).equals(source)).toBe(true);
    expect(((await (await api(b, `/v1/files/${id}`)).json()) as FileRecord).status).toBe('ready');
  });

  it('encodes the file with the source read from its presigned URL (keyframes, audio tracks, pictures too)', async () => {
    expect(finishedId).not.toBe('');
    const created = await api(b, '/v1/encoder/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fileId: finishedId, presets: [{ resolutions: ['360'] }] }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { jobId, videoId } = (await created.json()) as EncoderJob;
    const until = Date.now() + 240_000;
    let job: EncoderJob;
    for (;;) {
      job = (await (await api(b, `/v1/encoder/jobs/${jobId}`)).json()) as EncoderJob;
      if (['completed', 'failed', 'cancelled'].includes(job.status) || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.renditions.map((r) => r.name)).toContain('360');
    // The poster was cut from the URL too, and stored with the other outputs in S3.
    expect(await b.app.vodkit.outputs.locate(videoId, 'thumbs/poster.jpg', true)).not.toBeNull();
    expect(fs.readdirSync(b.app.vodkit.storage.uploadsDir)).toEqual([]);
  }, 300_000);

  it("on S3 too, another key's id answers 404, a forged owner in metadata is ignored, and query strings are refused", async () => {
    // A key that node B knows (a shared keys table will make the second insert unnecessary).
    // Created on A, known to B: the keys table is shared.
    const other = await a.app.vodkit.auth.createKey('other');
    const otherToken = await signToken({
      apiKey: other.apiKey,
      secret: other.secret,
      permissions: ['allow_upload'],
    });
    const b64 = (v: string) => Buffer.from(v).toString('base64');
    const res = await api(a, '/v1/uploads', {
      method: 'POST',
      headers: {
        'upload-length': String(source.length),
        // The client tries to claim the other key's ownership: the server records its own.
        'upload-metadata': `filename ${b64('mine.mp4')},apikey ${b64(other.apiKey)}`,
      },
    });
    expect(res.status).toBe(201);
    const created = res.headers.get('location')!;
    const id = created.split('/').pop()!;
    expect((await a.app.vodkit.uploads.info(id))?.metadata.apikey).toBe(a.devKey.apiKey);
    for (const node of [a, b]) {
      for (const method of ['HEAD', 'PATCH', 'DELETE']) {
        const res = await fetch(`${node.baseUrl}/v1/uploads/${id}`, {
          method,
          headers: {
            authorization: `Bearer ${otherToken}`,
            'tus-resumable': '1.0.0',
            'upload-offset': '0',
            'content-type': 'application/offset+octet-stream',
          },
          ...(method === 'PATCH' ? { body: Buffer.from('x') } : {}),
        });
        expect(res.status, `${method} on ${node.baseUrl}`).toBe(404);
      }
      const own = (await api(node, `/v1/uploads/${id}`, { method: 'HEAD' })).status;
      expect(own).toBe(200);
      const query = await api(node, `/v1/uploads/${id}?x=/${id}`, { method: 'DELETE' });
      expect(query.status).toBe(400);
    }
    expect(await a.app.vodkit.uploads.info(id)).not.toBeNull();
    expect((await api(b, `/v1/uploads/${id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('an upload terminated on node B is gone on node A too, and the sweep removes unfinished ones only', async () => {
    const url = await tus({ endpoint: `${a.baseUrl}/v1/uploads`, stopAfter: 1 });
    const id = url.split('/').pop()!;
    expect((await api(a, `/v1/uploads/${id}`, { method: 'HEAD' })).status).toBe(200);
    expect((await api(b, `/v1/uploads/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(a, `/v1/uploads/${id}`, { method: 'HEAD' })).status).toBe(404);
    expect(await blobs.stat(`${id}.info`)).toBeNull();

    // Another unfinished upload, swept as expired: its multipart upload, .info and .part all go.
    const stale = (await tus({ endpoint: `${b.baseUrl}/v1/uploads`, stopAfter: 1 })).split('/').pop()!;
    const listed = await a.app.vodkit.uploads.list();
    expect(listed.map((u) => u.id)).toContain(stale);
    const removed = await a.app.vodkit.files.sweepExpiredUploads(0, Date.now() + 1000);
    expect(removed).toBeGreaterThanOrEqual(1);
    expect(await a.app.vodkit.uploads.info(stale)).toBeNull();
    expect(await blobs.list('').then((keys) => keys.filter((k) => k.startsWith(stale)))).toEqual([]);
    // A multipart upload whose `.info` was never written (a crash inside creation) is swept too.
    const orphan = newId();
    await blobs.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: orphan }));
    expect((await a.app.vodkit.uploads.list()).find((u) => u.id === orphan)).toMatchObject({ size: null });
    expect(await a.app.vodkit.files.sweepExpiredUploads(0, Date.now() + 1000)).toBeGreaterThanOrEqual(1);
    const left = await blobs.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: orphan }));
    expect(left.Uploads ?? []).toEqual([]);
    // Finished sources are never swept.
    const finished = listed.filter((u) => u.size !== null && u.offset === u.size);
    expect(finished.length).toBeGreaterThan(0);
    for (const u of finished) expect(await a.app.vodkit.uploads.info(u.id)).not.toBeNull();
  });

  it('presigns sources for at least the encode timeout', () => {
    const store = a.app.vodkit.uploads as S3UploadsStore;
    expect(store.sourceUrlSeconds * 1000).toBeGreaterThanOrEqual(a.config.encodeTimeoutMs);
  });
});

/**
 * A transparent HTTP proxy in front of radosgw that counts GETs. URLs presigned for the proxy's
 * address are valid through it: radosgw checks the signature against the Host the proxy passes on.
 */
async function countingProxy(upstream: string) {
  const target = new URL(upstream);
  const counts = { gets: 0, bytes: 0, ranges: [] as string[] };
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      counts.gets++;
      counts.ranges.push(req.headers.range ?? '');
    }
    const forward = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        // Bytes handed on to the client (give or take a stream buffer), not what radosgw could send.
        const counter = new Transform({
          transform(chunk: Buffer, _enc, done) {
            counts.bytes += chunk.length;
            done(null, chunk);
          },
        });
        res.on('close', () => up.destroy());
        up.pipe(counter).pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    counts,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;

describe('reading sources from presigned URLs (figures)', () => {
  it('probes a moov-at-end MP4 over its URL with a few GETs; reads its keyframes from the moov by range', async () => {
    const proxy = await countingProxy(s3.endpoint);
    const viaProxy = new S3BlobStore({ ...s3, endpoint: proxy.url, bucket });
    await viaProxy.putFile('bench-moov-at-end.mp4', clip);
    const signed = SignedSourceUrl.presigned(await viaProxy.presignGet('bench-moov-at-end.mp4', 600));

    let t0 = performance.now();
    const local = await probeFile(paths, clip, { timeoutMs: 30_000 });
    const localMs = ms(t0);
    proxy.counts.gets = 0;
    proxy.counts.bytes = 0;
    proxy.counts.ranges = [];
    t0 = performance.now();
    const remote = await probeFile(paths, signed, { timeoutMs: 30_000 });
    const probeUrlMs = ms(t0);
    const probe = { ...proxy.counts, ranges: [...proxy.counts.ranges] };
    expect(remote.metadata).toEqual(local.metadata);

    proxy.counts.gets = 0;
    proxy.counts.bytes = 0;
    const stats = { gets: 0 };
    t0 = performance.now();
    const keys = await mp4Keyframes(signed, stats);
    const keyframesMs = ms(t0);
    expect(keys).toEqual(await mp4Keyframes(clip));
    expect(stats.gets).toBe(proxy.counts.gets);
    console.log(
      `scale/uploads bench ${JSON.stringify({
        sourceBytes: source.length,
        probeLocalMs: localMs,
        probeUrlMs,
        probeUrlGets: probe.gets,
        probeUrlBytes: probe.bytes,
        probeUrlRanges: probe.ranges,
        keyframesUrlMs: keyframesMs,
        keyframesUrlGets: proxy.counts.gets,
        keyframesUrlBytes: proxy.counts.bytes,
      })}`,
    );
    // ffprobe seeks to the moov at the end instead of reading the media in between: a ranged GET
    // starts in the file's second half. (Not a byte count: its first GET is open-ended, and how much
    // of it loopback pushes into the socket before the seek is up to the scheduler; 1.8–7.6 MB seen.)
    const starts = probe.ranges.map((r) => Number(/^bytes=(\d+)-/.exec(r)?.[1] ?? -1));
    expect(starts.some((start) => start > source.length / 2)).toBe(true);
    expect(probe.gets).toBeLessThanOrEqual(5);
    await proxy.close();
  });

  it('encodes a short source from its URL as from the local file (ratio printed)', async () => {
    const short = await makeClip(path.join(dir, 'short.mp4'), { duration: 6, width: 640, height: 360 });
    await blobs.putFile('bench-short.mp4', short);
    const signed = SignedSourceUrl.presigned(await blobs.presignGet('bench-short.mp4', 600));
    const { metadata } = await probeFile(paths, short, { timeoutMs: 30_000 });
    const plan = planLadder(metadata);
    const encodeOnce = async (input: string | SignedSourceUrl, name: string) => {
      const t0 = performance.now();
      const result = await startEncode({
        paths,
        input,
        outDir: path.join(dir, name),
        plan,
        durationS: metadata.duration,
        maxDurationS: 3600,
        timeoutMs: 120_000,
      }).done;
      return { ms: ms(t0), durationS: result.durationS };
    };
    // One warm-up (page cache, ffmpeg's first start), then alternated in both orders, so load from
    // the other work on this machine falls on both alike.
    await encodeOnce(short, 'warm-up');
    const runs: { local: number[]; url: number[] } = { local: [], url: [] };
    for (let i = 0; i < 2; i++) {
      const first = i % 2 === 0;
      const l = first ? await encodeOnce(short, `local-${i}`) : null;
      const u = await encodeOnce(signed, `url-${i}`);
      const l2 = l ?? (await encodeOnce(short, `local-${i}`));
      expect(u.durationS).toBeCloseTo(l2.durationS, 1);
      runs.local.push(l2.ms);
      runs.url.push(u.ms);
    }
    const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
    console.log(
      `scale/uploads bench ${JSON.stringify({
        encodeLocalMs: runs.local,
        encodeUrlMs: runs.url,
        urlOverLocal: Math.round((sum(runs.url) / sum(runs.local)) * 100) / 100,
      })}`,
    );
  }, 300_000);
});
