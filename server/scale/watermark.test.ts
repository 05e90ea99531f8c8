/*
 * Issue 15 scaled out: a watermarked encode on a worker. One API node and one encoding worker as
 * separate processes on PostgreSQL and radosgw; the video and the logo are uploaded through the API
 * node into the bucket, and the worker reads both from presigned URLs. The rung it publishes, fetched
 * back through the API's 302s, carries the logo where the plan puts it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EncoderJob, FileRecord } from '@vodkit/api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { watermarkBox } from '../src/media/watermark.ts';
import { pollFor } from '../test/encode-job.ts';
import { makeClip, stillImage, tempDir } from '../test/fixtures.ts';
import { boxCentreRgb, isLogoRed } from '../test/pictures.ts';
import { apiFetcher, devKeyToken } from '../test/server.ts';
import { fileIdOf, tusUpload } from '../test/upload.ts';
import { clusterEnv, dropClusterDatabase, type Node, startApi, startWorker } from './cluster.ts';

const scale = inject('scaleEnv');
const dir = tempDir('vodkit-scale-watermark-');

let env: Record<string, string>;
let api: Node;
let worker: Node;
let bearer = '';
const call = apiFetcher(
  () => api.baseUrl!,
  () => bearer,
);

beforeAll(async () => {
  env = await clusterEnv(scale, { VOD_ENCODE_CONCURRENCY: '1' });
  [api, worker] = await Promise.all([startApi('api-wm', env), startWorker('worker-wm', env)]);
  bearer = await devKeyToken(api.dataDir, ['allow_upload', 'allow_encode', 'allow_read']);
}, 120_000);

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  if (env) await dropClusterDatabase(scale, env);
});

async function upload(file: string): Promise<string> {
  const fileId = fileIdOf(
    await tusUpload(fs.readFileSync(file), {
      baseUrl: api.baseUrl!,
      bearer,
      metadata: { filename: path.basename(file), filetype: '' },
    }),
  );
  const ready = await pollFor(`file ${fileId} probed`, async () => {
    const f = (await (await call(`/v1/files/${fileId}`)).json()) as FileRecord;
    return f.status === 'ready' || f.status === 'rejected' ? f : undefined;
  });
  expect(ready.status, JSON.stringify(ready.reason)).toBe('ready');
  return fileId;
}

describe('a watermarked encode on a worker', () => {
  it('burns the logo, read from the bucket, into the rung the worker publishes', async () => {
    const [videoId, logoId] = await Promise.all([
      makeClip(path.join(dir, 'talk.mp4'), { width: 426, height: 240, duration: 1.5 }).then(upload),
      stillImage(path.join(dir, 'logo.png')).then(upload),
    ]);
    const watermark = { fileId: logoId, position: 'top-left' as const, widthPercent: 30, marginPercent: 5 };
    const res = await call('/v1/encoder/jobs', {
      method: 'POST',
      json: { fileId: videoId, presets: [{ format: 'hls', resolutions: ['240'] }], watermark },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const { jobId } = (await res.json()) as EncoderJob;
    const job = await pollFor(
      'the worker encoded the job',
      async () => {
        const j = (await (await call(`/v1/encoder/jobs/${jobId}`)).json()) as EncoderJob;
        return ['completed', 'failed'].includes(j.status) ? j : undefined;
      },
      180_000,
    );
    expect(job.status, `${JSON.stringify(job.error)}\n${worker.output()}`).toBe('completed');
    const rung = job.renditions[0]!;

    // The rung as a player gets it: the API's playlist, its init and segments through the 302s.
    const playlistUrl = new URL(`/stream/${job.videoId}/${rung.playlist}`, api.baseUrl!).toString();
    const playlist = await (await fetch(playlistUrl)).text();
    const uris = [
      /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]!,
      ...playlist.split('\n').filter((l) => l.trim() && !l.startsWith('#')),
    ];
    const parts = await Promise.all(
      uris.map(async (u) => Buffer.from(await (await fetch(new URL(u, playlistUrl))).arrayBuffer())),
    );
    const joined = path.join(dir, 'rung.mp4');
    fs.writeFileSync(joined, Buffer.concat(parts));

    const box = watermarkBox(
      {
        image: { width: 64, height: 32 },
        position: 'top-left',
        widthPercent: 30,
        marginPercent: 5,
        opacity: 1,
      },
      rung.width,
      rung.height,
    );
    const rgb = await boxCentreRgb(joined, box);
    expect(isLogoRed(rgb), `rgb ${rgb.join(' ')}`).toBe(true);
  }, 240_000);
});
