import type { MediaMetadata, VideoStreamInfo } from '@vodkit/api';
import { describe, expect, it } from 'vitest';
import { h264Metadata } from '../../test/metadata.ts';
import { capFps, isStandard, planLadder, posterTime } from './ladder.ts';

const meta = h264Metadata;

const sizes = (m: MediaMetadata, resolutions?: Parameters<typeof planLadder>[1]) =>
  planLadder(m, resolutions).rungs.map((r) => `${r.name}:${r.width}x${r.height}`);

describe('planLadder', () => {
  it('builds the standard landscape ladder up to a 1080p source', () => {
    expect(sizes(meta(1920, 1080))).toEqual([
      '240:426x240',
      '360:640x360',
      '480:854x480',
      '720:1280x720',
      '1080:1920x1080',
    ]);
  });

  it('gives a 4K source all seven rungs', () => {
    const plan = planLadder(meta(3840, 2160));
    expect(plan.rungs.map((r) => r.name)).toEqual(['240', '360', '480', '720', '1080', '1440', '2160']);
    expect(plan.rungs.at(-1)).toMatchObject({ width: 3840, height: 2160 });
  });

  it('names portrait rungs by the short side and keeps the display aspect ratio', () => {
    expect(sizes(meta(1080, 1920))).toEqual([
      '240:240x426',
      '360:360x640',
      '480:480x854',
      '720:720x1280',
      '1080:1080x1920',
    ]);
  });

  it('uses the display size given by the probe (rotation already applied)', () => {
    const rotated = meta(720, 1280, { codedWidth: 1280, codedHeight: 720, rotation: 90 });
    expect(sizes(rotated).at(-1)).toBe('720:720x1280');
  });

  it('keeps every dimension even for odd sources', () => {
    const plan = planLadder(meta(1001, 563));
    for (const r of plan.rungs) {
      expect(r.width % 2).toBe(0);
      expect(r.height % 2).toBe(0);
      expect(r.width).toBeLessThanOrEqual(1001);
      expect(r.height).toBeLessThanOrEqual(563);
    }
    expect(sizes(meta(1001, 563))).toEqual(['240:426x240', '360:640x360', '480:854x480', '720:1000x562']);
  });

  it('gives a source smaller than 240 one rung at its own size', () => {
    expect(sizes(meta(176, 144))).toEqual(['240:176x144']);
    expect(sizes(meta(175, 99))).toEqual(['240:174x98']);
  });

  it('gives a source between rungs a top rung at its own size, never larger', () => {
    expect(sizes(meta(1920, 1072)).slice(-2)).toEqual(['720:1290x720', '1080:1920x1072']);
    expect(sizes(meta(1280, 536)).slice(-2)).toEqual(['480:1146x480', '720:1280x536']);
    // 480×270 keeps all its lines, with 240p under it; just above 240 there is no room for both.
    expect(sizes(meta(480, 270))).toEqual(['240:426x240', '360:480x270']);
    expect(sizes(meta(444, 250))).toEqual(['240:444x250']);
  });

  it('never upscales', () => {
    for (const [w, h] of [
      [640, 360],
      [1280, 720],
      [360, 640],
      [2560, 1440],
    ] as const) {
      for (const r of planLadder(meta(w, h)).rungs) {
        expect(r.width).toBeLessThanOrEqual(w);
        expect(r.height).toBeLessThanOrEqual(h);
      }
    }
    expect(sizes(meta(640, 360))).toEqual(['240:426x240', '360:640x360']);
  });

  it('filters the ladder by requested resolutions, still without upscaling', () => {
    expect(sizes(meta(1920, 1080), { resolutions: ['360', '1080', '2160'] })).toEqual([
      '360:640x360',
      '1080:1920x1080',
    ]);
  });

  it('gives the top possible rung when every requested resolution is above the source', () => {
    expect(sizes(meta(1280, 720), { resolutions: ['1080', '2160'] })).toEqual(['720:1280x720']);
    expect(sizes(meta(160, 120), { resolutions: ['720'] })).toEqual(['240:160x120']);
  });

  it('caps the rate per rung with a buffer', () => {
    const plan = planLadder(meta(1920, 1080));
    const [low, , , , top] = plan.rungs;
    expect(low).toMatchObject({ crf: 22, maxrate: 400_000, bufsize: 800_000 });
    expect(top).toMatchObject({ crf: 23, maxrate: 5_000_000, bufsize: 10_000_000 });
    for (const r of plan.rungs) expect(r.bufsize).toBe(2 * r.maxrate);
    const increasing = plan.rungs.map((r) => r.maxrate);
    expect([...increasing].sort((a, b) => a - b)).toEqual(increasing);
  });

  it('gives high frame rates more bits and caps them at 60 fps', () => {
    expect(planLadder(meta(1280, 720, { fps: 60 })).rungs.at(-1)!.maxrate).toBe(4_200_000);
    const fps = (m: MediaMetadata) => planLadder(m).rungs.map((r) => `${r.name}:${r.fps}`);
    // 60 fps stays on 720 and up; the rungs below get half (and the bits of 30 fps).
    expect(fps(meta(1920, 1080, { fps: 59.94 }))).toEqual([
      '240:29.97',
      '360:29.97',
      '480:29.97',
      '720:null',
      '1080:null',
    ]);
    expect(planLadder(meta(1920, 1080, { fps: 60 })).rungs[0]!.maxrate).toBe(400_000);
    expect(fps(meta(1280, 720, { fps: 120 }))).toEqual(['240:30', '360:30', '480:30', '720:60']);
    expect(fps(meta(1280, 720, { fps: 25 })).every((f) => f.endsWith(':null'))).toBe(true);
    expect(capFps(119.88)).toBe(59.94);
    expect(capFps(240)).toBe(60);
    expect(capFps(100)).toBe(50);
    expect(capFps(null)).toBeNull();
  });

  it('starts players at 720p, or the top rung of a smaller source', () => {
    const start = (m: MediaMetadata) => {
      const plan = planLadder(m);
      return plan.rungs[plan.startRung]!.name;
    };
    expect(start(meta(3840, 2160))).toBe('720');
    expect(start(meta(1920, 1080))).toBe('720');
    expect(start(meta(640, 360))).toBe('360');
    expect(start(meta(160, 120))).toBe('240');
    expect(planLadder(meta(1920, 1080), { resolutions: ['1080'] }).startRung).toBe(0);
  });

  it('tone-maps HDR sources only', () => {
    expect(planLadder(meta(3840, 2160, { hdr: true, bitDepth: 10 })).toneMap).toBe(true);
    expect(planLadder(meta(1920, 1080, { bitDepth: 10 })).toneMap).toBe(false);
  });

  it('plans no rung and a waveform poster for audio-only sources', () => {
    const plan = planLadder({ ...meta(0, 0), video: null });
    expect(plan.rungs).toEqual([]);
    expect(plan.audio).toEqual([
      expect.objectContaining({ index: 0, channels: 2, sampleRate: 48000, default: true }),
    ]);
    expect(plan.poster.kind).toBe('waveform');
  });

  it('plans no audio for video-only sources', () => {
    const plan = planLadder({ ...meta(640, 360), audio: null });
    expect(plan.audio).toEqual([]);
  });

  it('plans one AAC rendition per audio track, named by language, the source default first picked', () => {
    const track = { channels: 2, sampleRate: 44100, title: null, default: false };
    const plan = planLadder(meta(640, 360), {
      audioTracks: [
        { ...track, language: 'eng' },
        { ...track, language: 'fra', default: true, channels: 1, sampleRate: 22050 },
        { ...track, language: null, title: 'Commentary' },
        { ...track, language: 'eng' },
      ],
    });
    expect(
      plan.audio.map((a) => [a.name, a.language, a.default, a.channels, a.sampleRate, a.bitrate]),
    ).toEqual([
      ['English', 'eng', false, 2, 44100, 128_000],
      ['French', 'fra', true, 1, 48000, 96_000],
      ['Commentary', null, false, 2, 44100, 128_000],
      ['English 2', 'eng', false, 2, 44100, 128_000],
    ]);
  });

  it('copies only standard sources (H.264 8-bit 4:2:0 SDR, ≤ 1080 short side, ≤ 60 fps, sane bitrate) as the top rung', () => {
    const keyframes = { times: [0, 2, 4, 6, 8], offsetS: 0, interlaced: false };
    const copy = (m: MediaMetadata) =>
      planLadder({ ...m, duration: 10 }, { keyframes }).rungs.map((r) => r.copy);
    expect(copy(meta(1920, 1080, { bitrate: 8_000_000 }))).toEqual([false, false, false, false, true]);
    expect(copy(meta(1080, 1920, { bitrate: 8_000_000, fps: 60 })).at(-1)).toBe(true);
    expect(copy(meta(3840, 2160, { bitrate: 8_000_000 })).at(-1)).toBe(false);
    expect(copy(meta(1920, 1080, { bitrate: 8_000_000, codec: 'hevc' })).at(-1)).toBe(false);
    expect(copy(meta(1920, 1080, { bitrate: 8_000_000, pixFmt: 'yuv422p' })).at(-1)).toBe(false);
    expect(copy(meta(1920, 1080, { bitrate: 8_000_000, rotation: 90 })).at(-1)).toBe(false);
    expect(copy(meta(1920, 1080, { bitrate: 80_000_000 })).at(-1)).toBe(false);
    const interlaced = planLadder(
      { ...meta(1920, 1080, { bitrate: 8_000_000 }), duration: 10 },
      { keyframes: { ...keyframes, interlaced: true } },
    );
    expect(interlaced.rungs.at(-1)!.copy).toBe(false);
    expect(isStandard(meta(1280, 720, { bitrate: 2_000_000, fps: 120 }), 4_200_000)).toBe(false);
    const plan = planLadder({ ...meta(1920, 1080, { bitrate: 8_000_000 }), duration: 10 }, { keyframes });
    expect(plan.forcedKeyframes).toEqual({ times: [2, 4, 6], offsetS: 0 });
    expect(plan.targetDuration).toBe(4);
    expect(plan.rungs.at(-1)).toMatchObject({ maxrate: 12_000_000, fps: null });
  });

  it('deinterlaces what the probe (or the keyframe probe) says is interlaced, at the source rate, never copied', () => {
    const keyframes = { times: [0, 2, 4, 6, 8], offsetS: 0, interlaced: false };
    const plan = (video: Partial<VideoStreamInfo>, interlaced = false) =>
      planLadder(
        { ...meta(1920, 1080, { bitrate: 8_000_000, fps: 25, ...video }), duration: 10 },
        { keyframes: { ...keyframes, interlaced } },
      );
    for (const fieldOrder of ['tt', 'bb', 'tb', 'bt'] as const) {
      const p = plan({ fieldOrder });
      expect(p.deinterlace).toBe(true);
      // A standard H.264 source otherwise: its top rung is encoded, not copied, at 25 fps like the rest.
      expect(p.rungs.map((r) => [r.copy, r.fps])).toEqual(Array(5).fill([false, null]));
      expect(p.sourceFps).toBe(25);
    }
    // A file probed before the field order was recorded: the keyframe probe's says it.
    expect(plan({}, true).deinterlace).toBe(true);
    for (const fieldOrder of ['progressive', 'unknown', undefined] as const) {
      const p = plan({ fieldOrder });
      expect(p.deinterlace).toBe(false);
      expect(p.rungs.at(-1)!.copy).toBe(true);
    }
    // DV in AVI says `unknown`, and SD DV is interlaced: deinterlaced (progressive frames would pass untouched).
    expect(planLadder(meta(720, 576, { codec: 'dvvideo', fieldOrder: 'unknown' })).deinterlace).toBe(true);
    expect(planLadder(meta(1920, 1080, {}, { video: null })).deinterlace).toBe(false);
  });

  it('puts the poster at the top rung size, at most 1280 wide, near 10% in', () => {
    expect(planLadder(meta(1280, 720)).poster).toEqual({
      kind: 'frame',
      width: 1280,
      height: 720,
      atSeconds: 6,
    });
    expect(planLadder(meta(3840, 2160)).poster).toMatchObject({ width: 1280, height: 720 });
    expect(planLadder(meta(1080, 1920)).poster).toMatchObject({ width: 1080, height: 1920 });
    expect(posterTime(4)).toBe(1);
    expect(posterTime(1)).toBe(0.5);
    expect(posterTime(600)).toBe(60);
  });
});
