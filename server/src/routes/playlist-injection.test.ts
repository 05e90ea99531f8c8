import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeToEnd, uploadAndProbe } from '../../test/encode-job.ts';
import { tempDir } from '../../test/fixtures.ts';
import { startServer, type TestServer } from '../../test/server.ts';

/** Issue 19 finding 4: a track title from the source must not write lines of its own into the master. */

const run = promisify(execFile);
const TITLE = 'A\r#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1.42e00a"\r//evil.example/x?';

let server: TestServer;
let token: string;
let mkv: Buffer;

beforeAll(async () => {
  const dir = tempDir('vodkit-injection-');
  const file = path.join(dir, 'titled.mkv');
  // biome-ignore format: one ffmpeg option per line pair
  await run(process.env.FFMPEG_PATH || 'ffmpeg', [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=1',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac',
    '-metadata:s:a:0', `title=${TITLE}`,
    file,
  ]);
  [server, mkv] = await Promise.all([startServer(), fs.promises.readFile(file)]);
  token = await server.token();
});
afterAll(async () => {
  await server?.close();
});

describe('a track title holding CRs and a playlist line', () => {
  it('is one NAME of one #EXT-X-MEDIA line in the served master', async () => {
    const file = await uploadAndProbe(server, token, mkv, 'titled.mkv');
    expect(file.status, JSON.stringify(file.reason)).toBe('ready');
    const job = await encodeToEnd(server, token, file.fileId);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');

    const res = await fetch(`${server.baseUrl}/stream/${job.videoId}/master.m3u8`);
    expect(res.status).toBe(200);
    const master = await res.text();
    expect(master).not.toMatch(/[\r\u2028\u2029]/);
    expect(master).not.toContain('evil.example/x?\n');
    // hls.js and Safari split lines on CR as well as LF: count them the way a player would.
    const lines = master.split(/\r\n|\r|\n/).filter((l) => l.length > 0);
    expect(lines.filter((l) => l.startsWith('#EXT-X-STREAM-INF:'))).toHaveLength(1);
    expect(lines.filter((l) => !l.startsWith('#'))).toEqual([expect.stringMatching(/^240\/index\.m3u8/)]);
    const media = lines.filter((l) => l.startsWith('#EXT-X-MEDIA:'));
    expect(media).toHaveLength(1);
    // The whole title is the NAME (cut to the ladder's 64 characters), and the line goes on after it.
    expect(media[0]).toMatch(
      /NAME="A #EXT-X-STREAM-INF:BANDWIDTH=1,CODECS='avc1\.42e00a' \/\/evil[^"]*",DEFAULT=YES,/,
    );
    expect(lines.map((l) => l.replace(/:.*/, ''))).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-MEDIA',
      '#EXT-X-STREAM-INF',
      '240/index.m3u8',
      '#EXT-X-I-FRAME-STREAM-INF',
    ]);
  });
});
