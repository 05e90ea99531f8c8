import fs from 'node:fs';
import type { CreatedClip, EncoderJob, Video } from '@vodkit/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollFor, uploadAndProbe } from '../../test/encode-job.ts';
import { clips, tempDir, x264 } from '../../test/fixtures.ts';
import { apiFetcher, startServer, type TestServer } from '../../test/server.ts';

/*
 * `POST /v1/videos/:videoId/clips` (issue 15) over HTTP: a new video and job cut from the same source,
 * its span stored and shown, and every refusal. How the cut is made (copy between keyframes, frame
 * accuracy, A/V sync) is measured in media/clip.test.ts.
 */

let server: TestServer;
let token: string;
let parent: EncoderJob;
const api = apiFetcher(
  () => server.baseUrl,
  () => token,
);

beforeAll(async () => {
  const dir = tempDir('vodkit-clips-');
  const [s, file] = await Promise.all([
    startServer(),
    clips.h264Aac(dir, {
      width: 426,
      height: 240,
      duration: 3,
      video: x264('-crf', '30', '-x264-params', 'keyint=25:min-keyint=25:scenecut=0'),
    }),
  ]);
  server = s;
  token = await server.token();
  const uploaded = await uploadAndProbe(server, token, fs.readFileSync(file), 'match.mp4');
  const res = await api('/v1/encoder/jobs', {
    method: 'POST',
    json: { fileId: uploaded.fileId, presets: [{ format: 'hls', resolutions: ['240'] }] },
  });
  expect(res.status).toBe(201);
  parent = (await res.json()) as EncoderJob;
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const clip = (videoId: string, json: unknown) => api(`/v1/videos/${videoId}/clips`, { method: 'POST', json });

describe('POST /v1/videos/:videoId/clips', () => {
  it('answers 201 {videoId, jobId}: a new video of the span, from the same source, with its own title', async () => {
    const res = await clip(parent.videoId, { start: 1, end: 2, title: 'The goal' });
    expect(res.status, await res.clone().text()).toBe(201);
    const created = (await res.json()) as CreatedClip;
    expect(Object.keys(created).sort()).toEqual(['jobId', 'videoId']);
    expect(created.videoId).not.toBe(parent.videoId);
    const job = await pollFor('the clip encoded', async () => {
      const j = (await (await api(`/v1/encoder/jobs/${created.jobId}`)).json()) as EncoderJob;
      return ['completed', 'failed'].includes(j.status) ? j : undefined;
    });
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.fileId).toBe(parent.fileId);
    expect(job.sourceRange).toEqual({ start: 1, end: 2 });
    const video = (await (await api(`/v1/videos/${created.videoId}`)).json()) as Video;
    expect(video.title).toBe('The goal');
    expect(video.sourceRange).toEqual({ start: 1, end: 2 });
    expect(Math.abs(video.duration! - 1)).toBeLessThanOrEqual(1 / 25);
    // Playable like any video.
    const master = await fetch(video.playback!.hls);
    expect(master.status).toBe(200);
    // Its pictures count from its start: its frame at 0 is the source's at 1 s, and its storyboard
    // spans its own second.
    const still = async (v: string, t: number) =>
      Buffer.from(
        await (await fetch(`${server.baseUrl}/stream/${v}/thumbnail.jpg?time=${t}&width=160`)).arrayBuffer(),
      );
    const [clipAt0, sourceAt1, sourceAt0] = await Promise.all([
      still(created.videoId, 0),
      still(parent.videoId, 1),
      still(parent.videoId, 0),
    ]);
    expect(clipAt0.equals(sourceAt1)).toBe(true);
    expect(clipAt0.equals(sourceAt0)).toBe(false);
    const storyboard = await (
      await fetch(`${server.baseUrl}/stream/${created.videoId}/storyboard.vtt`)
    ).text();
    expect(
      storyboard
        .trim()
        .split('\n')
        .findLast((l) => l.includes('-->')),
    ).toMatch(/--> 00:00:01\.000/);
  }, 60_000);

  it('cuts a clip of a clip from the source: its span is in source seconds', async () => {
    const first = (await (await clip(parent.videoId, { start: 1, end: 2.5 })).json()) as CreatedClip;
    const res = await clip(first.videoId, { start: 0.25, end: 1 });
    expect(res.status).toBe(201);
    const second = (await res.json()) as CreatedClip;
    const job = (await (await api(`/v1/encoder/jobs/${second.jobId}`)).json()) as EncoderJob;
    expect(job.sourceRange).toEqual({ start: 1.25, end: 2 });
    // Past the first clip's end: refused, though the source goes on.
    expect((await clip(first.videoId, { start: 1, end: 2 })).status).toBe(400);
    for (const c of [first, second]) await api(`/v1/encoder/jobs/${c.jobId}`, { method: 'DELETE' });
  });

  it('refuses spans outside the video, empty or reversed ones with 400 validation_failed', async () => {
    for (const body of [
      { start: -0.5, end: 1 },
      { start: 1, end: 3.5 },
      { start: 3, end: 3.2 },
      { start: 2, end: 2 },
      { start: 2, end: 1 },
      { start: 1, end: 1.05 },
      { start: 'one', end: 2 },
      { start: 1 },
    ]) {
      const res = await clip(parent.videoId, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
    }
  });

  it('answers 404 for an unknown video, 403 without allow_encode', async () => {
    expect((await clip('nosuchvideo0000000000', { start: 0, end: 1 })).status).toBe(404);
    const reader = await server.token(['allow_read']);
    const res = await api(`/v1/videos/${parent.videoId}/clips`, {
      method: 'POST',
      bearer: reader,
      json: { start: 0, end: 1 },
    });
    expect(res.status).toBe(403);
  });
});
