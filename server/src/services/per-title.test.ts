import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { encodeToEnd, uploadAndProbe } from '../../test/encode-job.ts';
import { makeClip, tempDir } from '../../test/fixtures.ts';
import { h264Metadata } from '../../test/metadata.ts';
import { startServer } from '../../test/server.ts';
import { planLadder } from '../media/ladder.ts';
import { perTitleLaterPlan } from './per-title.ts';

const metadata = h264Metadata(1280, 720, {}, { audio: null });

const config = {
  perTitleMinSeconds: 10,
  ffmpegPath: process.env.FFMPEG_PATH || 'ffmpeg',
  ffprobePath: process.env.FFPROBE_PATH || 'ffprobe',
  perTitleWaitMs: 10_000,
  maxPixels: 1 << 24,
  encodeThreads: 1,
};
const warned: unknown[] = [];
const log = { info: () => {}, warn: (o: unknown) => void warned.push(o) };

describe('per-title in a job', () => {
  it('keeps the fixed ladder when the probe fails: the job never fails for it', async () => {
    const plan = planLadder(metadata);
    const missing = path.join(tempDir('vodkit-per-title-'), 'gone.mp4');
    const later = perTitleLaterPlan(config, missing, metadata, plan, 60, log, 'job');
    expect(later).toBeDefined();
    await expect(later).resolves.toBe(plan);
    expect(warned).toHaveLength(1);
  });

  it('does not apply when turned off, to a short source, or to an encode in one process', () => {
    const plan = planLadder(metadata);
    expect(
      perTitleLaterPlan({ ...config, perTitleMinSeconds: null }, 'x', metadata, plan, 60, log, 'j'),
    ).toBeUndefined();
    expect(perTitleLaterPlan(config, 'x', metadata, plan, 9.9, log, 'j')).toBeUndefined();
    const one = planLadder(metadata, { resolutions: ['720'] });
    expect(perTitleLaterPlan(config, 'x', metadata, one, 60, log, 'j')).toBeUndefined();
  });
});

describe('a per-title job, end to end', () => {
  it('plays: the start group keeps the fixed rung, the later one is tuned, every rung decodes whole', async () => {
    const dir = tempDir('vodkit-per-title-job-');
    // A long probe timeout: on a loaded machine the probe (nice 10) would otherwise fall back to the fixed ladder.
    const server = await startServer(
      { VOD_PER_TITLE_MIN_S: '0', VOD_PER_TITLE_WAIT_MS: '120000' },
      path.join(dir, 'data'),
    );
    try {
      // MPEG-4 Part 2: never copied, so both rungs are encoded, in two groups.
      const file = await makeClip(path.join(dir, 'still.mp4'), {
        content: 'static',
        duration: 2,
        video: ['-c:v', 'mpeg4', '-q:v', '2'],
      });
      const token = await server.token();
      const record = await uploadAndProbe(server, token, fs.readFileSync(file), 'still.mp4');
      const job = await encodeToEnd(server, token, record.fileId, [{ format: 'hls' }]);
      expect(job.status).toBe('completed');
      const caps = Object.fromEntries(job.renditions.map((r) => [r.name, r.maxBitrate]));
      // 240 is the start group's (fixed: 400 kbit/s); 360's cap is the still picture's, under the fixed 800.
      expect(caps['240']).toBe(400_000);
      expect(caps['360']).toBeLessThan(800_000);
      for (const rung of ['240', '360']) {
        const folder = path.join(server.dataDir, 'videos', job.videoId, rung);
        const playlist = fs.readFileSync(path.join(folder, 'index.m3u8'), 'utf8');
        const parts = ['init.mp4', ...playlist.split('\n').filter((l) => l && !l.startsWith('#'))];
        const joined = path.join(dir, `${rung}.mp4`);
        fs.writeFileSync(joined, Buffer.concat(parts.map((p) => fs.readFileSync(path.join(folder, p)))));
        const { stdout } = await promisify(execFile)(config.ffprobePath, [
          '-v',
          'error',
          '-count_frames',
          '-select_streams',
          'v:0',
          '-show_entries',
          'stream=nb_read_frames,profile',
          '-of',
          'csv=p=0',
          joined,
        ]);
        expect(stdout.trim()).toBe('High,50');
      }
    } finally {
      await server.close();
    }
  }, 300_000);
});
