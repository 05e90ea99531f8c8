import path from 'node:path';
import { scaleParents } from './cascade.ts';
import { rangeInputOptions, rangeVideoFilters } from './clip.ts';
import { deinterlaceFilters } from './deinterlace.ts';
import type { EncodePlan } from './ladder.ts';
import {
  audioFolder,
  FFMPEG_PLAYLIST,
  HANDOFF_FOLDER,
  INIT_FILE,
  POSTER_FILE,
  SEGMENT_PATTERN,
} from './layout.ts';
import type { FfmpegJob } from './process.ts';
import { gridCut, hlsTimingOptions, keyframeExpression, type SegmentSchedule } from './schedule.ts';
import { type SourceInput, sourceInputOptions } from './source.ts';
import { watermarkGraph } from './watermark.ts';

export interface EncodeArgsOptions {
  input: SourceInput;
  outDir: string;
  /** Reading stops here (`-t`): a source whose header lies about its length cannot run longer. */
  maxDurationS: number;
  /** `-max_pixels`: the decoder refuses a larger frame (one that appears after the probed first). */
  maxPixels?: number;
  /** The logo of `plan.watermark` (a still image, untrusted like the source). */
  watermarkInput?: SourceInput;
  /**
   * The threads of the decoder, the filter graph and each x264 rung (`VOD_ENCODE_THREADS`); absent:
   * ffmpeg's choice (about one per core for each of them).
   */
  threads?: number;
  /** One chunk of the source (chunked encoding, media/chunks.ts): only its frames are encoded. */
  chunk?: ChunkWindow;
}

/**
 * A chunk as its ffmpeg sees it, in ffmpeg's clock (seconds from the format's start: `-copyts
 * -start_at_zero` keeps the source's timestamps on it, so the init segment's edit list says where the
 * chunk starts and the publisher's retiming puts it there, as it does for any late-starting track).
 */
export interface ChunkWindow {
  /** The source keyframe the decode starts from (`-ss`, nothing decoded before it). */
  decodeFromS: number;
  /** Its frames: those shown from `fromS` (included) to `toS` (excluded; null: the source's end). */
  fromS: number;
  toS: number | null;
  /** Where its encoded rungs force keyframes (its grid cuts): the HLS muxer cuts at each of them. */
  keyframesS: number[];
  /** The number of its first segment on the global grid (`-start_number`). */
  firstSegment: number;
}

/** How much a chunk reads past its end: frames shown before it whose packets come after (B-frames, open GOPs). */
const CHUNK_READ_MARGIN_S = 1;
/** A hair before each chunk instant, so a frame exactly on it is never lost to rounding. */
const CHUNK_EPSILON_S = 0.001;

/**
 * The renditions one ffmpeg process makes: indices into `plan.rungs` and `plan.audio`, and whether it
 * renders the poster.
 */
export interface EncodeGroup {
  rungs: number[];
  audio: number[];
  poster: boolean;
  /**
   * A start group that covers only the first grid segments: its video ends this many seconds after
   * its first frame (`trim`, which ends the stream, so the process stops decoding there and exits).
   */
  untilS?: number;
  /**
   * Rungs this process also makes from the start, into the hidden `HANDOFF_FOLDER`: from the start
   * group's last segment on, theirs are the rung's (media/handoff.ts moves them in).
   */
  handoff?: number[];
}

/** Every rendition and the poster in one process. */
export const wholePlan = (plan: EncodePlan): EncodeGroup => ({
  rungs: plan.rungs.map((_, i) => i),
  audio: plan.audio.map((_, i) => i),
  poster: true,
});

/** The start group covers this many grid segments (1 + 1 + 3 s on the usual schedule), then hands over. */
export const HANDOFF_SEGMENTS = 3;

/**
 * Where the start group hands over to the rest (seconds from the first frame shown): the grid's
 * `HANDOFF_SEGMENTS`th cut, or null when there is none, the source ends within a second of it (the
 * rest would only redo the start group's work), or the plan is a clip (its read range is the clip's).
 */
export function handoffCut(plan: EncodePlan, durationS?: number): number | null {
  if (plan.sourceRange) return null;
  const cut = gridCut(scheduleOf(plan), plan.forcedKeyframes?.times ?? null, HANDOFF_SEGMENTS);
  if (cut === null || (durationS !== undefined && durationS <= cut + 1)) return null;
  return cut;
}

/**
 * Lowest rungs first: the processes a plan runs in. The first (the "start group") makes what a player
 * needs to start: the lowest encoded rung (and, below, the audio and a copied top rung); it decodes the
 * source only to feed one small encode, so its first segments exist within a fraction of a second. A
 * plan with at most one encoded rung (or none) runs whole in one process: there is nothing to wait for.
 *
 * Handoff (issue 17 #1): the start group makes only the first `HANDOFF_SEGMENTS` segments of its rung
 * and stops, so the source is not decoded twice to the end; the rest makes that rung too, from the
 * start (one more small encode), and its segments from there on are the rung's. The audio and a copied
 * top rung, which decode no video, run in a process of their own beside them. Without a handoff (short
 * sources, clips): the start group makes its rung, the copied top rung and the audio to the end, and the
 * rest the other encoded rungs and the poster.
 */
export function encodeGroups(plan: EncodePlan, durationS?: number): EncodeGroup[] {
  const encoded = plan.rungs.flatMap((r, i) => (r.copy ? [] : [i]));
  if (encoded.length < 2) return [wholePlan(plan)];
  const copied = plan.rungs.flatMap((r, i) => (r.copy ? [i] : []));
  const audio = plan.audio.map((_, i) => i);
  const untilS = handoffCut(plan, durationS);
  if (untilS === null) {
    return [
      { rungs: [encoded[0]!, ...copied], audio, poster: false },
      { rungs: encoded.slice(1), audio: [], poster: true },
    ];
  }
  return [
    { rungs: [encoded[0]!], audio: [], poster: false, untilS },
    ...(copied.length > 0 || audio.length > 0 ? [{ rungs: copied, audio, poster: false }] : []),
    { rungs: encoded, audio: [], poster: true, handoff: [encoded[0]!] },
  ];
}

export const scheduleOf = (plan: EncodePlan): SegmentSchedule => ({
  firstSeconds: plan.firstSegmentSeconds,
  seconds: plan.segmentSeconds,
});

/**
 * The ffmpeg command for a plan, pure and unit-tested: one decode feeding every rung (split → scale →
 * yuv420p), each rung and each audio track its own HLS output (fMP4 init + segments; ffmpeg's playlists
 * are hidden and ignored), and the poster from the same graph. One muxer per rendition because the
 * HLS muxer's segment clock is shared between the variants of one output: its switch from the short
 * first segments to the full length, made by whichever variant gets there first, would stretch another's.
 */
export function buildEncodeArgs(
  plan: EncodePlan,
  o: EncodeArgsOptions,
  group: EncodeGroup = wholePlan(plan),
): FfmpegJob {
  if (o.outDir.includes('%')) {
    // The HLS muxer expands %d patterns in its paths; a literal % would be misread.
    throw new Error(`output folder must not contain "%": ${o.outDir}`);
  }
  const schedule = scheduleOf(plan);
  const filters: string[] = [];
  const outputs: FfmpegJob['outputs'][number][] = [];
  const poster = plan.poster;
  const hasVideo = group.rungs.length > 0;
  const inGroup = new Set(group.rungs);
  const rungs = plan.rungs.map((r, i) => ({ r, i })).filter(({ i }) => inGroup.has(i));
  const posterFrame = group.poster && poster.kind === 'frame';
  const extraInputs: NonNullable<FfmpegJob['extraInputs']>[number][] = [];

  const hls = (
    folder: string,
    stream: 'v:0' | 'a:0',
    base = o.outDir,
  ): { options: string[]; target: string } => ({
    options: [
      // Location and other tags from phones stay out of what we publish.
      '-map_metadata',
      '-1',
      '-map_chapters',
      '-1',
      // Negative timestamps (B-frame decode times, the AAC priming) stay as they are, so the edit list of
      // each init.mp4 says where its track starts on the source's timeline; the publisher moves that into
      // the fragments' timestamps (media/retime.ts). The default shifts each rendition by its own amount.
      '-avoid_negative_ts',
      'disabled',
      '-f',
      'hls',
      ...(o.chunk && stream === 'v:0'
        ? [
            // A chunk's muxer cuts at every keyframe (it only has those of the grid), numbering its
            // segments on the global grid; the edit list in 1/90000 s, not ms, places it exactly.
            '-hls_time',
            '0.001',
            '-hls_list_size',
            '1',
            '-start_number',
            String(o.chunk.firstSegment),
            '-hls_segment_options',
            'movie_timescale=90000',
          ]
        : hlsTimingOptions(schedule)),
      '-hls_segment_type',
      'fmp4',
      // temp_file: each segment is written to *.tmp and renamed, so what we list is always whole.
      '-hls_flags',
      'independent_segments+temp_file',
      '-hls_fmp4_init_filename',
      INIT_FILE,
      // A one-variant map: only then does ffmpeg 5.1 put the init segment beside the media segments.
      '-var_stream_map',
      `${stream},name:${folder}`,
      '-hls_segment_filename',
      path.join(base, '%v', SEGMENT_PATTERN),
    ],
    target: path.join(base, '%v', FFMPEG_PLAYLIST),
  });

  if (hasVideo) {
    const encoded = rungs.filter(({ r }) => !r.copy);
    // Deinterlaced once, before the split: every rung and the poster get whole frames.
    // A clip's video ends at its `end` on the clip's own clock (media/clip.ts).
    const pre: string[] = [...rangeVideoFilters(plan.sourceRange), ...deinterlaceFilters(plan.deinterlace)];
    // A chunk's frames only (after the deinterlacer, which reads the neighbours of the first and last).
    if (o.chunk) pre.push(chunkSelect(o.chunk));
    // A start group that hands over ends its video at the handoff cut, counted like the keyframes: from
    // its first frame (a copied source's cuts are forced 1 ms early, so it ends 1 ms early too).
    if (group.untilS !== undefined) {
      const end = group.untilS - (plan.forcedKeyframes ? 0.001 : 0);
      pre.push(`trim=duration=${end.toFixed(6)}`);
    }
    const lone = encoded.length === 1 && !posterFrame ? encoded[0]!.r : null;
    // A start group's one small rung is scaled before the tone mapping (float, the costly part), not after.
    if (plan.toneMap && lone) pre.push(`scale=${lone.width}:${lone.height}`);
    if (plan.toneMap) {
      // PQ/HLG → linear light → BT.709 primaries → Hable tone curve → BT.709 8-bit limited range.
      pre.push(
        'zscale=t=linear:npl=100',
        'format=gbrpf32le',
        'zscale=p=bt709',
        'tonemap=tonemap=hable:desat=0',
        'zscale=t=bt709:m=bt709:r=tv',
        'format=yuv420p',
      );
    }
    // Scaled in steps (media/cascade.ts): a rung reads the source only when no larger rung can feed it.
    const parents = scaleParents(encoded.map(({ r }) => r));
    const children = encoded.map((_, k) =>
      encoded.filter((__, c) => parents[c] === k).map(({ i }) => `[s${i}]`),
    );
    const branches = encoded.filter((_, k) => parents[k] === null).map(({ i }) => `[s${i}]`);
    if (posterFrame) branches.push('[sp]');
    const head = [...pre, `split=${branches.length}`].join(',');
    if (branches.length > 0) filters.push(`[0:V:0]${head}${branches.join('')}`);
    const logo =
      plan.watermark && o.watermarkInput && encoded.length > 0
        ? watermarkGraph(
            plan.watermark,
            1,
            encoded.map(({ r, i }) => ({ label: String(i), width: r.width, height: r.height })),
          )
        : null;
    if (logo && o.watermarkInput) {
      extraInputs.push({ input: o.watermarkInput, options: sourceInputOptions(o.watermarkInput) });
      filters.push(...logo.logo);
    }
    encoded.forEach(({ r, i }, k) => {
      const parentFps = parents[k] === null ? null : encoded[parents[k]!]!.r.fps;
      const fps = r.fps !== null && r.fps !== parentFps ? `fps=${r.fps},` : '';
      // 8-bit 4:2:0 from the first step on: the later steps scale the smallest frames there are.
      const scaled = `[s${i}]${fps}scale=${r.width}:${r.height},setsar=1,format=yuv420p`;
      const out = logo ? `[b${i}]` : `[v${i}]`;
      const feeds = children[k]!;
      filters.push(
        feeds.length > 0 ? `${scaled},split=${feeds.length + 1}${out}${feeds.join('')}` : `${scaled}${out}`,
      );
      if (logo) filters.push(`${logo.overlay(String(i), `b${i}`, `o${i}`)}`, `[o${i}]format=yuv420p[v${i}]`);
    });
    if (posterFrame && poster.kind === 'frame') {
      // trim ends this branch after one frame so split stops feeding it.
      filters.push(
        `[sp]select='gte(t\\,${poster.atSeconds})',trim=end_frame=1,scale=${poster.width}:${poster.height},setsar=1[poster]`,
      );
    }
    const forced = o.chunk
      ? o.chunk.keyframesS.map((t) => Math.max(0, t - CHUNK_EPSILON_S).toFixed(6)).join(',')
      : plan.forcedKeyframes
        ? // A hair early, so rounding to the encoder's time base never pushes a keyframe onto the next frame.
          plan.forcedKeyframes.times
            .map((t) => Math.max(0, t + plan.forcedKeyframes!.offsetS - 0.001).toFixed(6))
            .join(',')
        : keyframeExpression(schedule);
    const handoff = new Set(group.handoff ?? []);
    rungs.forEach(({ r, i }) => {
      const out = hls(r.name, 'v:0', handoff.has(i) ? path.join(o.outDir, HANDOFF_FOLDER) : o.outDir);
      if (r.copy) {
        // The source's own H.264, cut at its own keyframes: no decode, no encode, no quality lost.
        // A clip's copy stops after its own frames (media/clip.ts).
        out.options.unshift(
          '-map',
          '0:V:0',
          '-c:v',
          'copy',
          ...(plan.copyFrames !== null ? ['-frames:v', String(plan.copyFrames)] : []),
        );
        outputs.push(out);
        return;
      }
      out.options.unshift(
        '-map',
        `[v${i}]`,
        '-c:v',
        'libx264',
        '-preset',
        plan.x264Preset,
        '-profile:v',
        'high',
        '-crf',
        String(r.crf),
        '-maxrate',
        String(r.maxrate),
        '-bufsize',
        String(r.bufsize),
        // Every rung cuts a keyframe at the same instants: segments line up across rungs.
        // (None to force when the copied source is a single GOP: the first frame is a keyframe anyway.)
        ...(forced ? ['-force_key_frames', forced] : []),
        '-sc_threshold',
        '0',
        // Long enough never to insert a keyframe of its own before the next forced one (≤ 60 fps).
        '-g',
        String(plan.segmentSeconds * 60 * 2),
        // Keep the source timing (VFR stays VFR) but drop frames with duplicate timestamps.
        '-fps_mode',
        'vfr',
        // The source's time base, not 1/fps: a first frame 21 ms after the audio stays there (1/30 s
        // rounded it to 33 ms, 1/25 s to 40 ms), and so does every frame of a rate that is not whole.
        '-enc_time_base:v',
        '-1',
        ...(plan.toneMap ? ['-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709'] : []),
        // Frame and lookahead threads of this rung's x264 (with 1, x264 runs in ffmpeg's own thread).
        ...(o.threads ? ['-threads', String(o.threads)] : []),
      );
      outputs.push(out);
    });
  }
  if (group.poster && poster.kind === 'waveform' && plan.audio.length > 0) {
    filters.push(`[0:a:0]showwavespic=s=${poster.width}x${poster.height}:colors=0x4f8cff[poster]`);
  }
  for (const a of plan.audio.filter((_, i) => group.audio.includes(i))) {
    const out = hls(audioFolder(a.index), 'a:0');
    out.options.unshift(
      '-map',
      `0:a:${a.index}`,
      '-c:a',
      'aac',
      '-b:a',
      String(a.bitrate),
      '-ac',
      String(a.channels),
      '-ar',
      String(a.sampleRate),
    );
    outputs.push(out);
  }
  // ffmpeg 5.1 rebases an MPEG-TS (any AVFMT_TS_DISCONT input) on the earliest start of the streams a
  // process reads ("Correcting start time"), not on the file's: a process without the audio would put its
  // rungs a TS's usual 21 ms audio lead early. Every process reads the planned audio, so every process
  // has one origin; a copy to the null muxer costs only the demux it already does.
  const unread = plan.audio.filter((_, i) => !group.audio.includes(i));
  if (unread.length > 0) {
    outputs.push({
      options: [
        ...unread.flatMap((a) => ['-map', `0:a:${a.index}`]),
        '-c',
        'copy',
        // A start group that hands over exits once its video has ended: this output must end too.
        ...(group.untilS !== undefined ? ['-t', String(group.untilS + 1)] : []),
        '-f',
        'null',
      ],
      target: '-',
    });
  }
  if (filters.some((f) => f.endsWith('[poster]'))) {
    outputs.push({
      // atomic_writing: poster.jpg.tmp then rename, like the segments.
      options: ['-map', '[poster]', '-frames:v', '1', '-q:v', '3', '-update', '1', '-atomic_writing', '1'],
      target: path.join(o.outDir, POSTER_FILE),
    });
  }
  return {
    inputOptions: [
      ...sourceInputOptions(o.input),
      // A clip reads only its span (`-ss`, `-t`), and never more than the limit either; a chunk its
      // own (clips are never chunked: services/job-run.ts chunksOf).
      ...(o.chunk
        ? [...chunkInputOptions(o.chunk), '-t', String(chunkReadS(o.chunk, o.maxDurationS))]
        : rangeInputOptions(plan.sourceRange, o.maxDurationS)),
      ...(o.maxPixels ? ['-max_pixels', String(o.maxPixels)] : []),
      // The decoder's threads, and the filter graph's (a global option: ffmpeg takes it anywhere).
      ...(o.threads ? ['-threads', String(o.threads), '-filter_complex_threads', String(o.threads)] : []),
    ],
    input: o.input,
    ...(extraInputs.length > 0 ? { extraInputs } : {}),
    filterComplex: filters.join(';'),
    outputs,
  };
}

/** A chunk's frames: those shown in [fromS, toS), a hair early so rounding never moves one across. */
function chunkSelect(c: ChunkWindow): string {
  const from = Math.max(0, c.fromS - CHUNK_EPSILON_S).toFixed(6);
  const to = c.toS === null ? null : (c.toS - CHUNK_EPSILON_S).toFixed(6);
  return to === null ? `select='gte(t\\,${from})'` : `select='gte(t\\,${from})*lt(t\\,${to})'`;
}

/**
 * Source timestamps kept (from the format's start, ffmpeg's usual clock), and the decode started at
 * the chunk's keyframe: `-ss` seeks to the keyframe at or before it and, without accurate seek, keeps
 * every frame (the select filter picks the chunk's).
 */
function chunkInputOptions(c: ChunkWindow): string[] {
  const keep = ['-copyts', '-start_at_zero'];
  if (c.decodeFromS <= 0) return keep;
  return [...keep, '-ss', (c.decodeFromS + CHUNK_EPSILON_S).toFixed(6), '-noaccurate_seek'];
}

/** How long a chunk reads from its seek point: to its end plus a margin, never past the source's cap. */
function chunkReadS(c: ChunkWindow, maxDurationS: number): number {
  const cap = Math.max(0, maxDurationS - c.decodeFromS);
  if (c.toS === null) return cap;
  return Math.min(cap, Math.ceil((c.toS - c.decodeFromS + CHUNK_READ_MARGIN_S) * 1000) / 1000);
}
