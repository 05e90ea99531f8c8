import type { MediaMetadata, VideoStreamInfo } from '@vodkit/api';
import { describe, expect, it } from 'vitest';
import { h264Metadata } from '../../test/metadata.ts';
import { buildEncodeArgs, encodeGroups } from './encode-args.ts';
import { parseKeyframes } from './keyframes.ts';
import { planLadder } from './ladder.ts';
import { masterPlaylist, mediaPlaylist } from './playlists.ts';
import {
  boundaries,
  boundary,
  cutsFromKeyframes,
  keyframeExpression,
  targetDuration,
  targetFor,
} from './schedule.ts';

const meta = (width: number, height: number, video: Partial<VideoStreamInfo> = {}): MediaMetadata =>
  h264Metadata(width, height, video, { duration: 30 });

const opts = { input: '/in/src.mp4', outDir: '/out/v', maxDurationS: 14400 };
const optionValue = (args: readonly string[], flag: string) =>
  args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined;

describe('buildEncodeArgs', () => {
  it('decodes once and gives each rung and each audio track its own HLS output', () => {
    const plan = planLadder(meta(1280, 720), {
      audioTracks: [
        { channels: 2, sampleRate: 48000, language: 'eng', title: null, default: true },
        { channels: 1, sampleRate: 44100, language: 'fra', title: null, default: false },
      ],
    });
    const job = buildEncodeArgs(plan, opts);
    expect(job.inputOptions).toEqual(expect.arrayContaining(['-protocol_whitelist', 'file', '-t', '14400']));
    // The pixel cap is a decoder option: it goes on the input, and only when there is one.
    expect(job.inputOptions).not.toContain('-max_pixels');
    const capped = buildEncodeArgs(plan, { ...opts, maxPixels: 2_073_600 }).inputOptions;
    expect(capped.slice(capped.indexOf('-max_pixels'), capped.indexOf('-max_pixels') + 2)).toEqual([
      '-max_pixels',
      '2073600',
    ]);
    // Scaled in steps: only the top rung and the poster read the decoded source; 480 and 360 come
    // from 720's frames, 240 from 480's (an exact halving each where there is one).
    expect(job.filterComplex.split(';')).toEqual([
      '[0:V:0]split=2[s3][sp]',
      '[s0]scale=426:240,setsar=1,format=yuv420p[v0]',
      '[s1]scale=640:360,setsar=1,format=yuv420p[v1]',
      '[s2]scale=854:480,setsar=1,format=yuv420p,split=2[v2][s0]',
      '[s3]scale=1280:720,setsar=1,format=yuv420p,split=3[v3][s1][s2]',
      "[sp]select='gte(t\\,3)',trim=end_frame=1,scale=1280:720,setsar=1[poster]",
    ]);
    expect(job.outputs.map((o) => o.target)).toEqual([
      '/out/v/%v/.ffmpeg.m3u8',
      '/out/v/%v/.ffmpeg.m3u8',
      '/out/v/%v/.ffmpeg.m3u8',
      '/out/v/%v/.ffmpeg.m3u8',
      '/out/v/%v/.ffmpeg.m3u8',
      '/out/v/%v/.ffmpeg.m3u8',
      '/out/v/poster.jpg',
    ]);
    const maps = job.outputs.map(
      (o) => `${optionValue(o.options, '-map')}>${optionValue(o.options, '-var_stream_map')}`,
    );
    expect(maps).toEqual([
      '[v0]>v:0,name:240',
      '[v1]>v:0,name:360',
      '[v2]>v:0,name:480',
      '[v3]>v:0,name:720',
      '0:a:0>a:0,name:audio-0',
      '0:a:1>a:0,name:audio-1',
      '[poster]>undefined',
    ]);
    const top = job.outputs[3]!.options;
    expect(optionValue(top, '-crf')).toBe('23');
    expect(optionValue(top, '-maxrate')).toBe('2800000');
    expect(optionValue(top, '-force_key_frames')).toBe(keyframeExpression({ firstSeconds: 1, seconds: 4 }));
    expect(optionValue(top, '-hls_init_time')).toBe('1');
    expect(optionValue(top, '-hls_time')).toBe('4');
    expect(optionValue(top, '-hls_list_size')).toBe('1');
    const mono = job.outputs[5]!.options;
    expect([optionValue(mono, '-ac'), optionValue(mono, '-ar'), optionValue(mono, '-b:a')]).toEqual([
      '1',
      '44100',
      '96000',
    ]);
  });

  it('caps the decoder, the filter graph and each x264 rung at VOD_ENCODE_THREADS, and leaves ffmpeg its choice without', () => {
    const plan = planLadder(meta(1280, 720));
    const free = buildEncodeArgs(plan, opts);
    expect([free.inputOptions, ...free.outputs.map((o) => o.options)].flat()).not.toContain('-threads');
    expect(free.inputOptions).not.toContain('-filter_complex_threads');
    const held = buildEncodeArgs(plan, { ...opts, threads: 1 });
    expect(optionValue(held.inputOptions, '-threads')).toBe('1');
    expect(optionValue(held.inputOptions, '-filter_complex_threads')).toBe('1');
    const x264 = held.outputs.filter((o) => optionValue(o.options, '-c:v') === 'libx264');
    expect(x264.length).toBe(plan.rungs.length);
    for (const o of x264) expect(optionValue(o.options, '-threads')).toBe('1');
  });

  it('halves a 60 fps source on the rungs under 720 only, once where the rate changes down the steps', () => {
    const job = buildEncodeArgs(planLadder(meta(1920, 1080, { fps: 60 })), opts);
    // 480 and 360 step down from 720's 60 fps frames: halved there; 240 from 480's, already halved.
    expect(job.filterComplex).toContain('[s2]fps=30,scale=854:480');
    expect(job.filterComplex).toContain('[s1]fps=30,scale=640:360');
    expect(job.filterComplex).toContain('[s0]scale=426:240');
    expect(job.filterComplex).toContain('[s3]scale=1280:720');
    expect(job.filterComplex).toContain('[s4]scale=1920:1080');
  });

  it('tone-maps HDR before the split and tags the output BT.709', () => {
    const job = buildEncodeArgs(planLadder(meta(1280, 720, { hdr: true, bitDepth: 10 })), opts);
    expect(job.filterComplex).toMatch(/^\[0:V:0\]zscale=t=linear.*tonemap=tonemap=hable.*split=/);
    expect(optionValue(job.outputs[0]!.options, '-color_trc')).toBe('bt709');
  });

  it('deinterlaces first, once before the split, in both processes; a progressive source is untouched', () => {
    const bwdif = 'bwdif=mode=send_frame:parity=auto:deint=interlaced';
    const plan = planLadder(meta(1920, 1080, { fieldOrder: 'tt', fps: 25 }));
    const [start, rest] = encodeGroups(plan, 5).map((g) => buildEncodeArgs(plan, opts, g).filterComplex);
    expect(start!.split(';')[0]).toBe(`[0:V:0]${bwdif},split=1[s0]`);
    expect(rest!.split(';')[0]).toBe(`[0:V:0]${bwdif},split=2[s4][sp]`);
    // An HDR one: deinterlaced before the start group's early scale and the tone mapping.
    const hdr = planLadder(meta(1920, 1080, { fieldOrder: 'bb', hdr: true, bitDepth: 10 }));
    const lone = buildEncodeArgs(hdr, opts, encodeGroups(hdr, 5)[0]).filterComplex;
    expect(lone).toMatch(new RegExp(`^\\[0:V:0\\]${bwdif},scale=426:240,zscale=t=linear`));
    expect(buildEncodeArgs(planLadder(meta(1920, 1080)), opts).filterComplex).not.toContain('bwdif');
  });

  it('encodes an audio-only source to one rendition per track and a waveform poster', () => {
    const job = buildEncodeArgs(planLadder({ ...meta(0, 0), video: null }), opts);
    expect(job.filterComplex).toBe('[0:a:0]showwavespic=s=1280x720:colors=0x4f8cff[poster]');
    expect(job.outputs.map((o) => optionValue(o.options, '-map'))).toEqual(['0:a:0', '[poster]']);
  });

  it('runs the lowest encoded rung, the copied top rung and the audio apart from the other rungs', () => {
    const times = Array.from({ length: 15 }, (_, i) => i * 2);
    const keyframes = { times, offsetS: 0, interlaced: false };
    const plan = planLadder(meta(1920, 1080, { bitrate: 8_000_000 }), { keyframes });
    expect(plan.rungs.map((r) => `${r.name}${r.copy ? 'c' : ''}`)).toEqual([
      '240',
      '360',
      '480',
      '720',
      '1080c',
    ]);
    // A source that ends within a second of the handoff cut (the third: 6 s): no handoff.
    const groups = encodeGroups(plan, 7);
    expect(groups).toEqual([
      { rungs: [0, 4], audio: [0], poster: false },
      { rungs: [1, 2, 3], audio: [], poster: true },
    ]);
    const [start, rest] = groups.map((g) => buildEncodeArgs(plan, opts, g));
    expect(start!.filterComplex).toBe('[0:V:0]split=1[s0];[s0]scale=426:240,setsar=1,format=yuv420p[v0]');
    const names = (job: typeof start) => job!.outputs.map((o) => optionValue(o.options, '-var_stream_map'));
    expect(names(start)).toEqual(['v:0,name:240', 'v:0,name:1080', 'a:0,name:audio-0']);
    expect(optionValue(start!.outputs[1]!.options, '-c:v')).toBe('copy');
    expect(names(rest)).toEqual(['v:0,name:360', 'v:0,name:480', 'v:0,name:720', undefined, undefined]);
    // It reads the audio too (copied to nothing): ffmpeg rebases an MPEG-TS on the streams a process
    // reads, so both processes share one origin.
    expect(rest!.outputs[3]!.options).toEqual(['-map', '0:a:0', '-c', 'copy', '-f', 'null']);
    expect(rest!.outputs.at(-1)!.target).toBe('/out/v/poster.jpg');
    // Both processes force keyframes at the source's cuts: the segments still line up across rungs.
    const forced = (job: typeof start, i: number) =>
      optionValue(job!.outputs[i]!.options, '-force_key_frames');
    expect(forced(start, 0)).toBe(forced(rest, 0));
    // One encoded rung (or none): nothing to wait for, one process.
    expect(encodeGroups(planLadder(meta(426, 240)))).toHaveLength(1);
    expect(encodeGroups(planLadder(meta(640, 360)), 5)).toHaveLength(2);
  });

  it('hands the lowest rung over from the start group to the rest at the third cut, audio and copy apart', () => {
    const times = Array.from({ length: 15 }, (_, i) => i * 2);
    const plan = planLadder(meta(1920, 1080, { bitrate: 8_000_000 }), {
      keyframes: { times, offsetS: 0, interlaced: false },
    });
    const groups = encodeGroups(plan, 30);
    expect(groups).toEqual([
      { rungs: [0], audio: [], poster: false, untilS: 6 },
      { rungs: [4], audio: [0], poster: false },
      { rungs: [0, 1, 2, 3], audio: [], poster: true, handoff: [0] },
    ]);
    const [start, whole, rest] = groups.map((g) => buildEncodeArgs(plan, opts, g));
    // The start group's video ends at the cut, counted from its first frame like the forced keyframes
    // (1 ms early), and so does its copy of the audio: the process exits there, nothing more decoded.
    expect(start!.filterComplex).toBe(
      '[0:V:0]trim=duration=5.999000,split=1[s0];[s0]scale=426:240,setsar=1,format=yuv420p[v0]',
    );
    expect(start!.outputs[1]!.options).toEqual(['-map', '0:a:0', '-c', 'copy', '-t', '7', '-f', 'null']);
    // The audio and the copied top rung decode no video.
    expect(whole!.filterComplex).toBe('');
    expect(whole!.outputs.map((o) => optionValue(o.options, '-var_stream_map'))).toEqual([
      'v:0,name:1080',
      'a:0,name:audio-0',
    ]);
    // The rest makes 240 too, from the start, into the hidden handoff folder, on the same keyframes.
    const seg = (job: typeof start, i: number) =>
      optionValue(job!.outputs[i]!.options, '-hls_segment_filename');
    expect(seg(rest, 0)).toBe('/out/v/.handoff/%v/seg_%05d.m4s');
    expect(seg(rest, 1)).toBe('/out/v/%v/seg_%05d.m4s');
    expect(seg(start, 0)).toBe('/out/v/%v/seg_%05d.m4s');
    const forced = (job: typeof start) => optionValue(job!.outputs[0]!.options, '-force_key_frames');
    expect(forced(start)).toBe(forced(rest));
    // On the usual schedule the cut is at 5 s (1 + 1 + 3), exactly: keyframes are not forced early there.
    const scheduled = planLadder(meta(1920, 1080));
    const [first] = encodeGroups(scheduled, 30).map((g) => buildEncodeArgs(scheduled, opts, g));
    expect(first!.filterComplex).toMatch(/^\[0:V:0\]trim=duration=5\.000000,/);
    // A clip reads its own range: no handoff.
    const clip = planLadder(meta(1920, 1080), { sourceRange: { start: 1, end: 29 } });
    expect(encodeGroups(clip, 30)).toHaveLength(2);
  });

  it('scales an HDR start group down before tone mapping it (the float chain is the costly part)', () => {
    const plan = planLadder(
      meta(1280, 720, { codec: 'hevc', hdr: true, bitDepth: 10, pixFmt: 'yuv420p10le' }),
    );
    const [start, rest] = encodeGroups(plan, 5).map((g) => buildEncodeArgs(plan, opts, g));
    expect(start!.filterComplex).toMatch(/^\[0:V:0\]scale=426:240,zscale=t=linear/);
    expect(rest!.filterComplex).toMatch(/^\[0:V:0\]zscale=t=linear/);
  });

  it('refuses an output folder with a % (the HLS muxer would expand it)', () => {
    expect(() => buildEncodeArgs(planLadder(meta(640, 360)), { ...opts, outDir: '/out/100%' })).toThrow(/%/);
  });
});

describe('segment schedule', () => {
  const s = { firstSeconds: 1, seconds: 4 };
  it('cuts at 1, 2, then every 4 s from 5', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => boundary(s, n))).toEqual([0, 1, 2, 5, 9, 13]);
    expect(boundaries(s, 14)).toEqual([1, 2, 5, 9, 13]);
    expect(targetDuration(s)).toBe(4);
  });

  it('follows a source GOP the way the HLS muxer will cut it', () => {
    const every = (gop: number, end: number) =>
      Array.from({ length: Math.ceil(end / gop) }, (_, i) => i * gop);
    // 1 s GOPs: the schedule itself.
    expect(cutsFromKeyframes(every(1, 20), s, 20)).toEqual({ cuts: [1, 2, 5, 9, 13, 17], longestS: 4 });
    // 2 s GOPs: 2, 2, 2, then 4.
    expect(cutsFromKeyframes(every(2, 20), s, 20)).toEqual({ cuts: [2, 4, 6, 10, 14, 18], longestS: 4 });
    // Irregular GOPs up to 6 s: copyable, with the target duration of the longest segment.
    expect(cutsFromKeyframes([0, 1, 2, 7, 12, 13], s, 15)).toEqual({ cuts: [1, 2, 7, 12, 13], longestS: 5 });
    expect(targetFor(5)).toBe(5);
    // A long first GOP would make every rung's first segment long (slow to start): encode instead.
    expect(cutsFromKeyframes(every(5, 20), s, 20)).toBeNull();
    expect(cutsFromKeyframes([0], s, 6)).toBeNull();
    expect(cutsFromKeyframes([0], s, 2)).toEqual({ cuts: [], longestS: 2 });
    // Over 6 s, missing keyframes, or not starting on one: encode instead.
    expect(cutsFromKeyframes(every(8, 40), s, 40)).toBeNull();
    expect(cutsFromKeyframes([0], s, 30)).toBeNull();
    expect(cutsFromKeyframes([0, 2, 4, 12, 14], s, 16)).toBeNull();
    expect(cutsFromKeyframes([0.5, 2], s, 3)).toBeNull();
  });

  it('reads keyframes from packet flags relative to the first frame', () => {
    const csv = ['0.066667,K_', '0.100000,__', '2.066667,K_', '2.1,__', 'progressive', '0.000000', ''].join(
      '\n',
    );
    expect(parseKeyframes(csv)).toEqual({ times: [0, 2], offsetS: 0.066667, interlaced: false, startS: 0 });
    expect(parseKeyframes(['0.0,K_', 'tt', '0.0'].join('\n')).interlaced).toBe(true);
  });
});

describe('playlists', () => {
  it('writes an EVENT media playlist with real durations, ENDLIST once complete', () => {
    const text = mediaPlaylist({
      init: 'init.mp4',
      segments: [
        { uri: 'seg_00000.m4s', duration: 1 },
        { uri: 'seg_00001.m4s', duration: 0.9667 },
      ],
      targetDuration: 4,
      ended: true,
    });
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:EVENT',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXTINF:1.000000,',
        'seg_00000.m4s',
        '#EXTINF:0.966700,',
        'seg_00001.m4s',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });

  it('writes a master with an audio group: codecs of both, the audio peak added to each variant', () => {
    const text = masterPlaylist(
      [
        {
          uri: '720/index.m3u8',
          width: 1280,
          height: 720,
          bandwidth: 2_800_000,
          codec: 'avc1.64001f',
          frameRate: 30,
        },
        {
          uri: '240/index.m3u8',
          width: 426,
          height: 240,
          bandwidth: 400_000,
          codec: 'avc1.640015',
          frameRate: null,
        },
      ],
      [
        {
          uri: 'audio-0/index.m3u8',
          name: 'English',
          language: 'eng',
          default: true,
          bandwidth: 128_000,
          codec: 'mp4a.40.2',
          channels: 2,
        },
        {
          uri: 'audio-1/index.m3u8',
          name: 'Fr "x"',
          language: null,
          default: false,
          bandwidth: 96_000,
          codec: 'mp4a.40.2',
          channels: 1,
        },
      ],
    );
    expect(text.split('\n')).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="eng",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio-0/index.m3u8"',
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Fr 'x'",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="1",URI="audio-1/index.m3u8"`,
      '#EXT-X-STREAM-INF:BANDWIDTH=2928000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO="audio"',
      '720/index.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=528000,CODECS="avc1.640015,mp4a.40.2",RESOLUTION=426x240,AUDIO="audio"',
      '240/index.m3u8',
      '',
    ]);
  });
});
