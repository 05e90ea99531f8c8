import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ObjectStoreOutputs } from '../src/storage/outputs.ts';
import { MIN_PART_BYTES, S3BlobStore } from '../src/storage/s3-blob-store.ts';
import { tempDir } from '../test/fixtures.ts';

// How objects are written to a real radosgw: above the multipart threshold as a multipart upload
// (one PutObject stops at 5 GiB, and a 4 h MP4 download reaches ~9 GB), and retried by the client
// alone, so a failing PUT costs the configured attempts, not their product with a second layer.

const { s3 } = inject('scaleEnv');
const bucket = `vodkit-w-${crypto.randomBytes(4).toString('hex')}`;
const VIDEO = 'abcdefghij0123456789';
let dir: string;

/** A store with a small threshold, so radosgw's multipart path runs on a file of a few MiB. */
const store = new S3BlobStore({
  ...s3,
  bucket,
  multipartThresholdBytes: MIN_PART_BYTES + 1024 * 1024,
  partSizeBytes: MIN_PART_BYTES,
});

beforeAll(async () => {
  dir = tempDir('vodkit-s3-writes-');
  await store.ensureBucket(['*']);
});
afterAll(async () => {
  await store.deletePrefix('w/').catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
});

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
async function readAll(key: string): Promise<Buffer> {
  const body = await store.get(key);
  if (!body) throw new Error(`no ${key}`);
  const chunks: Buffer[] = [];
  for await (const c of body.stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
const etagOf = async (key: string) =>
  (await store.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag ?? '';

describe('large objects', () => {
  it('go up as a multipart upload above the threshold and read back byte-identical', async () => {
    // Three parts: two of 5 MiB and a short last one.
    const bytes = crypto.randomBytes(2 * MIN_PART_BYTES + 123_457);
    const file = path.join(dir, 'big.mp4');
    fs.writeFileSync(file, bytes);
    await store.putFile('w/big.mp4', file, 'video/mp4');
    // S3's multipart ETag is "<md5 of the part md5s>-<parts>"; a single PUT's is the body's MD5.
    expect(await etagOf('w/big.mp4')).toMatch(/-3"$/);
    expect(await store.stat('w/big.mp4')).toEqual({ size: bytes.length, contentType: 'video/mp4' });
    expect(sha(await readAll('w/big.mp4'))).toBe(sha(bytes));

    const small = crypto.randomBytes(MIN_PART_BYTES);
    fs.writeFileSync(path.join(dir, 'small.m4s'), small);
    await store.putFile('w/small.m4s', path.join(dir, 'small.m4s'));
    expect(await etagOf('w/small.m4s')).toBe(`"${crypto.createHash('md5').update(small).digest('hex')}"`);
  });

  it('refuse a body that ends short and leave neither the object nor parts behind', async () => {
    const size = 2 * MIN_PART_BYTES + 10;
    // 10 MiB of the 10 MiB + 10 B announced: the first part is up before the body turns out short.
    const short = Readable.from(Array.from({ length: 10 }, () => crypto.randomBytes(1024 * 1024)));
    await expect(store.putStream('w/short.mp4', short, size)).rejects.toThrow(/ended at 10485760 of/);
    expect(await store.stat('w/short.mp4')).toBeNull();
    const uploads = await store.client.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'w/short.mp4' }),
    );
    expect(uploads.Uploads ?? []).toEqual([]);
  });
});

/**
 * A loopback proxy in front of radosgw that answers 503 to the first `failPuts` PUTs it sees (every
 * one when Infinity) and forwards everything else as it came (the signature covers the Host header,
 * which it keeps).
 */
async function flakyProxy(
  failPuts: number,
): Promise<{ url: string; puts: () => number; close(): Promise<void> }> {
  const upstream = new URL(s3.endpoint);
  let puts = 0;
  const server = http.createServer((req, res) => {
    if (req.method === 'PUT' && ++puts <= failPuts) {
      req.resume();
      req.once('end', () => {
        res.writeHead(503, { 'Content-Type': 'application/xml' });
        res.end('<?xml version="1.0"?><Error><Code>ServiceUnavailable</Code><Message>busy</Message></Error>');
      });
      return;
    }
    const headers = { ...req.headers };
    delete headers.expect; // not signed; node has already answered 100-continue to the client
    const up = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.once('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    puts: () => puts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('retries', () => {
  it('cost the configured attempts once: a failing segment is PUT maxAttempts times, not attempts × retries', async () => {
    const proxy = await flakyProxy(Number.POSITIVE_INFINITY);
    try {
      const viaProxy = new S3BlobStore({ ...s3, endpoint: proxy.url, bucket, maxAttempts: 3 });
      const outputs = new ObjectStoreOutputs({
        store: viaProxy,
        scratchDir: path.join(dir, 'scratch'),
        proxy: false,
        attemptOf: () => 1,
      });
      const sink = await outputs.openSink(VIDEO, 1);
      fs.writeFileSync(path.join(sink.dir, 'seg_00000.m4s'), crypto.randomBytes(1000));
      const err = await sink.files(['seg_00000.m4s']).then(
        () => null,
        (e: unknown) => e,
      );
      expect(proxy.puts()).toBe(3);
      expect(err).toMatchObject({ $metadata: { httpStatusCode: 503, attempts: 3 } });
      await sink.close();
    } finally {
      await proxy.close();
    }
  });

  it('carry a PUT through transient 503s with the same bytes', async () => {
    const proxy = await flakyProxy(2);
    try {
      const viaProxy = new S3BlobStore({ ...s3, endpoint: proxy.url, bucket, maxAttempts: 3 });
      const bytes = crypto.randomBytes(300_000);
      fs.writeFileSync(path.join(dir, 'retried.m4s'), bytes);
      await viaProxy.putFile('w/retried.m4s', path.join(dir, 'retried.m4s'));
      expect(proxy.puts()).toBe(3);
      expect(sha(await readAll('w/retried.m4s'))).toBe(sha(bytes));
    } finally {
      await proxy.close();
    }
  });
});
