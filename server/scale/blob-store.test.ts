import crypto from 'node:crypto';
import { GetBucketCorsCommand } from '@aws-sdk/client-s3';
import { expect, inject, it } from 'vitest';
import { S3BlobStore } from '../src/storage/s3-blob-store.ts';
import { blobStoreContract } from '../test/blob-store-contract.ts';

const { s3 } = inject('scaleEnv');
const bucket = `vodkit-${crypto.randomBytes(4).toString('hex')}`;
const origin = 'https://app.example';
const store = new S3BlobStore({ ...s3, bucket });

blobStoreContract('S3 (radosgw)', async () => {
  await store.ensureBucket([origin]);
  return store;
});

it('sets the bucket CORS rule at start-up, so a player on another origin can fetch presigned segments', async () => {
  await store.ensureBucket([origin]);
  await store.ensureBucket([origin]); // start-up runs it on every boot: the second call must not fail
  const cors = await store.client.send(new GetBucketCorsCommand({ Bucket: bucket }));
  expect(cors.CORSRules?.[0]?.AllowedOrigins).toEqual([origin]);

  await store.putStream('cors/seg.m4s', (await import('node:stream')).Readable.from([Buffer.from('x')]), 1);
  const url = await store.presignGet('cors/seg.m4s', 60);
  const preflight = await fetch(url, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'range',
    },
  });
  expect(preflight.status).toBe(200);
  expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
  const get = await fetch(url, { headers: { Origin: origin } });
  expect(get.status).toBe(200);
  expect(get.headers.get('access-control-allow-origin')).toBe(origin);
  const stranger = await fetch(url, {
    method: 'OPTIONS',
    headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' },
  });
  expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  await store.deletePrefix('cors/');
});
