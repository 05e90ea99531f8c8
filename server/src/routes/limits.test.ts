import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeToEnd, pollFor, uploadAndProbe } from '../../test/encode-job.ts';
import { growingTs, tempDir } from '../../test/fixtures.ts';
import { startServer, type TestServer } from '../../test/server.ts';

/**
 * Issue 19 finding 5: VOD_MAX_PIXELS and VOD_MAX_DURATION_S hold for what a file holds, not only for
 * what its first frame and its header say.
 */

const run = promisify(execFile);
const ffmpeg = process.env.FFMPEG_PATH || 'ffmpeg';
const MAX_PIXELS = 100_000;
const MAX_DURATION_S = 10;

let server: TestServer;
let token: string;
let dir: string;

/** A video-only H.264 clip of `seconds` at `size`, in the format `-f` names. */
async function h264(file: string, size: string, seconds: number, format: string): Promise<Buffer> {
  // biome-ignore format: option pairs
  await run(ffmpeg, [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '250',
    '-f', format, path.join(dir, file),
  ]);
  return fs.promises.readFile(path.join(dir, file));
}

beforeAll(async () => {
  dir = tempDir('vodkit-limits-');
  server = await startServer({
    VOD_MAX_PIXELS: String(MAX_PIXELS),
    VOD_MAX_DURATION_S: String(MAX_DURATION_S),
  });
  token = await server.token();
});
afterAll(async () => {
  await server?.close();
});

describe('a raw H.264 stream (no container, no stated duration)', () => {
  it('holding more than VOD_MAX_DURATION_S of frames is rejected at probe with too_long', async () => {
    const data = await h264('long.h264', '64x64', 30, 'h264');
    const file = await uploadAndProbe(server, token, data, 'long.h264');
    expect(file.status).toBe('rejected');
    expect(file.reason).toMatchObject({ code: 'too_long', message: expect.stringMatching(/lasts 30 s/) });
  });

  it('within the limit is measured and accepted', async () => {
    const data = await h264('short.h264', '64x64', 3, 'h264');
    const file = await uploadAndProbe(server, token, data, 'short.h264');
    expect(file.status, JSON.stringify(file.reason)).toBe('ready');
    expect(file.metadata!.duration).toBeCloseTo(3, 1);
  });
});

describe('two MPEG-TS files joined, 64×64 then 1280×720', () => {
  it('passes the probe (it reads the first frame), then the job fails with too_many_pixels and nothing is served', async () => {
    const joined = await fs.promises.readFile(await growingTs(dir));
    const file = await uploadAndProbe(server, token, joined, 'joined.ts');
    expect(file.status, JSON.stringify(file.reason)).toBe('ready');
    expect(file.metadata!.video).toMatchObject({ width: 64, height: 64 });

    const job = await encodeToEnd(server, token, file.fileId);
    expect(job.status).toBe('failed');
    expect(job.error).toMatchObject({
      code: 'too_many_pixels',
      message: expect.stringMatching(/1280x720, more than the 100000 pixels/),
    });
    expect((await fetch(`${server.baseUrl}/stream/${job.videoId}/master.m3u8`)).status).toBe(404);
    // The pictures it had started are stopped by the failure; what they wrote goes right after.
    const videoDir = server.app.vodkit.storage.videoDir(job.videoId);
    await pollFor('the video folder gone', async () => (fs.existsSync(videoDir) ? undefined : true), 10_000);
  });
});
