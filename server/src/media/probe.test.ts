import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, interlacedClip, makeClip, rotatedCopy, tempDir } from '../../test/fixtures.ts';
import { injectSphericalV1 } from '../../test/spherical.ts';
import { isInterlaced } from './deinterlace.ts';
import { ProbeError, parseProbeJson, probeFile, toMetadata } from './probe.ts';

const paths = {
  ffmpegPath: process.env.FFMPEG_PATH || 'ffmpeg',
  ffprobePath: process.env.FFPROBE_PATH || 'ffprobe',
};
const probe = (file: string, timeoutMs = 10_000) => probeFile(paths, file, { timeoutMs });

let dir: string;
beforeAll(() => {
  dir = tempDir('vodkit-probe-');
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('probeFile on generated clips', () => {
  it('reads an H.264/AAC mp4', async () => {
    const file = await clips.h264Aac(dir);
    const { metadata: m, streamCount } = await probe(file);
    expect(streamCount).toBe(2);
    expect(m.container).toContain('mp4');
    expect(m.duration).toBeCloseTo(3, 0);
    expect(m.size).toBe(fs.statSync(file).size);
    expect(m.bitrate).toBeGreaterThan(0);
    expect(m.video).toMatchObject({
      codec: 'h264',
      width: 640,
      height: 360,
      codedWidth: 640,
      codedHeight: 360,
      fps: 25,
      pixFmt: 'yuv420p',
      bitDepth: 8,
      hdr: false,
      rotation: 0,
      projection: 'flat',
      fieldOrder: 'progressive',
    });
    expect(m.video?.profile).toBeTruthy();
    expect(m.audio).toMatchObject({ codec: 'aac', channels: 1, sampleRate: 48000 });
  });

  it('records the field order of interlaced sources: H.264 in TS, bottom-first MPEG-2, DV in AVI', async () => {
    const size = { width: 160, height: 128, duration: 0.4 };
    const [h264, mpeg2] = await Promise.all([
      interlacedClip(path.join(dir, 'i.ts'), size),
      interlacedClip(path.join(dir, 'i.mpg'), {
        ...size,
        order: 'bff',
        video: ['-c:v', 'mpeg2video', '-flags', '+ilme+ildct', '-b:v', '2M'],
      }),
    ]);
    expect((await probe(h264)).metadata.video?.fieldOrder).toBe('tt');
    expect((await probe(mpeg2)).metadata.video?.fieldOrder).toBe('bb');
    // DV in AVI does not say (its frames are flagged interlaced): `unknown`, which deinterlaces DV.
    const dv = await interlacedClip(path.join(dir, 'i.avi'), {
      width: 720,
      height: 576,
      duration: 0.2,
      order: 'bff',
      video: ['-c:v', 'dvvideo'],
    });
    const video = (await probe(dv)).metadata.video!;
    expect([video.codec, video.fieldOrder, isInterlaced(video)]).toEqual(['dvvideo', 'unknown', true]);
  });

  it('reads a VP8/Vorbis webm', async () => {
    const file = await clips.vp8Vorbis(dir, { width: 320, height: 240 });
    const { metadata: m } = await probe(file);
    expect(m.container).toBe('matroska,webm');
    expect(m.video).toMatchObject({ codec: 'vp8', width: 320, height: 240, bitDepth: 8 });
    expect(m.audio).toMatchObject({ codec: 'vorbis', sampleRate: 48000 });
    expect(m.duration).toBeCloseTo(3, 0);
  });

  it('reads audio-only and video-only files', async () => {
    const audio = await probe(await clips.audioOnly(dir));
    expect(audio.metadata.video).toBeNull();
    expect(audio.metadata.audio?.codec).toBe('aac');
    const video = await probe(await clips.videoOnly(dir));
    expect(video.metadata.audio).toBeNull();
    expect(video.metadata.video?.codec).toBe('h264');
    expect(video.streamCount).toBe(1);
  });

  it('applies the display matrix: a sideways video reports its display size', async () => {
    const src = await clips.videoOnly(dir, { duration: 1 });
    const rotated = await rotatedCopy(src, path.join(dir, 'rotated.mp4'));
    const { metadata: m } = await probe(rotated);
    // ffprobe says 90° counter-clockwise (what ffmpeg's autorotate does): 270° clockwise.
    expect(m.video).toMatchObject({
      rotation: 270,
      width: 360,
      height: 640,
      codedWidth: 640,
      codedHeight: 360,
    });
  });

  it('reports 10-bit and HDR (PQ) sources', async () => {
    const file = await makeClip(path.join(dir, 'hdr10.mp4'), {
      duration: 1,
      width: 320,
      height: 240,
      audio: null,
      video: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le'],
      extra: ['-color_trc', 'smpte2084', '-color_primaries', 'bt2020', '-colorspace', 'bt2020nc'],
    });
    const { metadata: m } = await probe(file);
    expect(m.video).toMatchObject({ bitDepth: 10, hdr: true, pixFmt: 'yuv420p10le', profile: 'High 10' });
  });

  it('recognises spherical (GSpherical v1) video as equirectangular', async () => {
    const src = await makeClip(path.join(dir, 'flat360.mp4'), {
      duration: 1,
      width: 512,
      height: 256,
      audio: null,
    });
    const spherical = path.join(dir, 'spherical.mp4');
    injectSphericalV1(src, spherical);
    expect((await probe(src)).metadata.video?.projection).toBe('flat');
    expect((await probe(spherical)).metadata.video?.projection).toBe('equirectangular');
  });
});

describe('probeFile on hostile input', () => {
  // A hang would end as probe_timeout, not probe_failed: the code says it failed of itself.
  const expectProbeError = async (file: string, formatRefused?: boolean) => {
    const err = await probe(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeError);
    expect((err as ProbeError).code).toBe('probe_failed');
    expect((err as ProbeError).message).not.toContain(dir);
    if (formatRefused !== undefined) expect((err as ProbeError).formatRefused).toBe(formatRefused);
  };

  it('refuses a text file', async () => {
    const file = path.join(dir, 'notes.mp4');
    fs.writeFileSync(file, 'this is not a video, just some words\n'.repeat(50));
    await expectProbeError(file);
  });

  it('refuses an HLS playlist that points at a local file', async () => {
    await clips.h264Aac(dir);
    const file = path.join(dir, 'evil.m3u8');
    fs.writeFileSync(
      file,
      `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\n${path.join(dir, 'h264-aac.mp4')}\n#EXTINF:3.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n`,
    );
    await expectProbeError(file, true);
    // Same bytes under an innocent name: detection is by content, not extension.
    const disguised = path.join(dir, 'holiday.mp4');
    fs.copyFileSync(file, disguised);
    await expectProbeError(disguised, true);
  });

  it('refuses an ffconcat list', async () => {
    const file = path.join(dir, 'list.ffconcat');
    fs.writeFileSync(
      file,
      `ffconcat version 1.0\nfile '${path.join(dir, 'h264-aac.mp4')}'\nfile '/etc/passwd'\n`,
    );
    await expectProbeError(file, true);
  });

  it('refuses an empty file and a missing file', async () => {
    const empty = path.join(dir, 'empty.mp4');
    fs.writeFileSync(empty, '');
    await expectProbeError(empty);
    await expectProbeError(path.join(dir, 'does-not-exist.mp4'));
  });

  it('kills a hanging ffprobe after the timeout', async () => {
    const fake = path.join(dir, 'hanging-ffprobe.sh');
    const pidFile = path.join(dir, 'hanging.pid');
    fs.writeFileSync(fake, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 30\n`, { mode: 0o755 });
    // The fake sleeps 30 s and then exits without output: only the kill at 300 ms says probe_timeout.
    const err = await probeFile({ ...paths, ffprobePath: fake }, path.join(dir, 'x.mp4'), {
      timeoutMs: 300,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeError);
    expect((err as ProbeError).code).toBe('probe_timeout');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow(); // gone
  });

  it('reports a missing ffprobe as probe_failed', async () => {
    const err = await probeFile({ ...paths, ffprobePath: '/nonexistent/ffprobe' }, 'x.mp4', {
      timeoutMs: 1000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeError);
    expect((err as ProbeError).code).toBe('probe_failed');
  });
});

describe('parseProbeJson: the JSON boundary (found by the fuzzer)', () => {
  it('drops fields of the wrong type instead of handing them to toMetadata', () => {
    // Each of these threw a TypeError in toMetadata (streams.find, v.split, null.codec_type).
    const hostile = [
      '{"streams":{"0":{}},"format":{}}',
      '{"streams":[{"codec_type":"video","avg_frame_rate":30,"r_frame_rate":["30/1"],"width":"640"}]}',
      '{"streams":[null,{"codec_type":"audio","channels":"2","tags":{"x":{}}}],"format":{"tags":[1]}}',
      '{"streams":[{"codec_type":"video","side_data_list":{"rotation":90},"disposition":null}]}',
    ];
    for (const text of hostile) expect(() => toMetadata(parseProbeJson(text))).not.toThrow();
    const m = toMetadata(
      parseProbeJson('{"streams":[{"codec_type":"video","avg_frame_rate":30,"width":"640","height":360}]}'),
    );
    expect(m.video).toMatchObject({ width: 0, height: 360, fps: null });
  });

  it('refuses text that is not a JSON object with probe_failed', () => {
    for (const text of ['', 'nope', '[]', 'null', '"x"']) {
      expect(() => parseProbeJson(text)).toThrow(ProbeError);
    }
  });
});

describe('toMetadata', () => {
  it('ignores cover art, reads legacy rotate tags and cubemap side data', () => {
    const m = toMetadata({
      format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '10.5', size: '1000', bit_rate: '800' },
      streams: [
        {
          codec_type: 'video',
          codec_name: 'mjpeg',
          disposition: { attached_pic: 1 },
          width: 600,
          height: 600,
        },
        { codec_type: 'audio', codec_name: 'mp3', channels: 2, sample_rate: '44100', bit_rate: '128000' },
      ],
    });
    expect(m.video).toBeNull();
    expect(m.audio).toEqual({ codec: 'mp3', channels: 2, sampleRate: 44100, bitrate: 128000 });
    expect(m.duration).toBe(10.5);

    const v = toMetadata({
      streams: [
        {
          codec_type: 'video',
          codec_name: 'hevc',
          width: 1920,
          height: 1080,
          pix_fmt: 'p010le',
          color_transfer: 'arib-std-b67',
          avg_frame_rate: '0/0',
          r_frame_rate: '30000/1001',
          tags: { rotate: '90' },
          side_data_list: [{ side_data_type: 'Spherical Mapping', projection: 'cubemap' }],
        },
      ],
    }).video!;
    expect(v).toMatchObject({ rotation: 90, width: 1080, height: 1920, bitDepth: 10, hdr: true, fps: 29.97 });
    expect(v.projection).toBe('cubemap');
    // No field_order (or `unknown`) is unknown; swapped orders are kept as ffprobe says them.
    expect(v.fieldOrder).toBe('unknown');
    const order = (field_order: string) =>
      toMetadata({ streams: [{ codec_type: 'video', field_order }] }).video!.fieldOrder;
    expect([order('tb'), order('bt'), order('unknown'), order('weird')]).toEqual([
      'tb',
      'bt',
      'unknown',
      'unknown',
    ]);
  });
});
