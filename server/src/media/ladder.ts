import { type MediaMetadata, RESOLUTIONS, type Resolution, type SourceRange } from '@vodkit/api';
import { atEnd, clipKeyframes } from './clip.ts';
import { isInterlaced } from './deinterlace.ts';
import type { SourceKeyframes } from './keyframes.ts';
import { printable } from './playlists.ts';
import { cutsFromKeyframes, targetDuration, targetFor } from './schedule.ts';
import type { WatermarkPlan } from './watermark.ts';

/** One video rung of the HLS ladder, with its capped-CRF rate control. */
export interface RungPlan {
  /** Named by the short side (portrait 1080×1920 is `1080`); also its output folder. */
  name: Resolution;
  width: number;
  height: number;
  /** x264 constant rate factor: quality target while under the cap. */
  crf: number;
  /** Peak video bitrate (VBV maxrate), bits per second: what the master playlist advertises. */
  maxrate: number;
  /** VBV buffer, bits: how long the encoder may exceed the cap before it must give bits back. */
  bufsize: number;
  /**
   * The source's own video, copied (`-c copy`), not encoded: a standard H.264 source is its own top rung.
   * Its segments are cut at the source's keyframes, and every other rung's keyframes are forced there.
   */
  copy: boolean;
  /**
   * Output frame rate of this rung; null keeps the source timing (VFR stays VFR). Above 60 fps the
   * source is divided down; the rungs under 720 of a > 30 fps source get half of that (see docs).
   */
  fps: number | null;
}

/** One audio track of the source, encoded once to AAC and published as an audio rendition. */
export interface AudioPlan {
  /** Position among the source's audio streams (`0:a:<index>`). */
  index: number;
  channels: 1 | 2;
  sampleRate: number;
  bitrate: number;
  /** Language tag from the source (`eng`, `fr`), null when it has none or says `und`. */
  language: string | null;
  /** Shown in players' audio menus. */
  name: string;
  /** The rendition players pick first: the source's default track, else its first. */
  default: boolean;
}

/** What the encoder knows of an audio stream of the source (media/tracks.ts). */
export interface AudioTrackInfo {
  channels: number;
  sampleRate: number;
  language: string | null;
  title: string | null;
  default: boolean;
}

export type PosterPlan =
  | { kind: 'frame'; width: number; height: number; atSeconds: number }
  | { kind: 'waveform'; width: number; height: number };

/** Everything encode.ts needs to build one ffmpeg command; pure data, decided here. */
export interface EncodePlan {
  /** Smallest first; empty for an audio-only source. */
  rungs: RungPlan[];
  /**
   * Index in `rungs` of the variant listed first in the master playlist: Safari starts there and
   * hls.js uses it as its first level before it has measured bandwidth.
   */
  startRung: number;
  /** Every audio track of the source; empty for a video-only source. */
  audio: AudioPlan[];
  /** The source's (capped) frame rate, advertised for rungs that keep it; null when unknown or audio-only. */
  sourceFps: number | null;
  /** HDR (PQ/HLG) sources are tone-mapped to SDR BT.709 so every browser shows the right colours. */
  toneMap: boolean;
  /** Interlaced sources are deinterlaced (media/deinterlace.ts) before anything else; never copied. */
  deinterlace: boolean;
  /** HLS segment length and keyframe interval, seconds: the same for every rung so switches are seamless. */
  segmentSeconds: number;
  /** The first segments' length, seconds: short so that a player can start at once (see media/schedule.ts). */
  firstSegmentSeconds: number;
  /**
   * When the top rung is copied: the instants (seconds from the first frame, and the offset of that frame
   * in the encoders' clock) where every encoded rung must put a keyframe. Null: the schedule's own.
   */
  forcedKeyframes: { times: number[]; offsetS: number } | null;
  /** `#EXT-X-TARGETDURATION`, fixed from the first playlist on. */
  targetDuration: number;
  /** x264 preset: speed/size trade-off, the same for all rungs. */
  x264Preset: string;
  poster: PosterPlan;
  /** A clip's span of the source (media/clip.ts); null: the whole source. */
  sourceRange: SourceRange | null;
  /** A copied clip's top rung stops after this many frames (media/clip.ts `countFrames`); null: at the end. */
  copyFrames: number | null;
  /** A logo burned into every encoded rung (media/watermark.ts); a watermarked plan copies nothing. */
  watermark: WatermarkPlan | null;
}

export interface LadderOptions {
  /** Union of `presets[].resolutions` of the job; absent or empty means the whole ladder. */
  resolutions?: readonly Resolution[];
  /** Every audio stream of the source; absent means the one the probe reported (metadata.audio). */
  audioTracks?: readonly AudioTrackInfo[];
  /** The source's keyframes (media/keyframes.ts); absent means the top rung is always encoded. */
  keyframes?: SourceKeyframes;
  /** Only this span of the source (a clip); its keyframes are the source's within it. */
  sourceRange?: SourceRange;
  /**
   * The frames of `sourceRange` (media/clip.ts `countFrames`): a clip that ends before the video
   * does is copied only when this is known.
   */
  copyFrames?: number;
  /** Burned into every rung: the top rung is then encoded too. */
  watermark?: WatermarkPlan;
}

export const SEGMENT_SECONDS = 4;
export const FIRST_SEGMENT_SECONDS = 1;
/** Rungs from this one up keep a 60 fps source's rate; the ones below get half (YouTube does the same). */
const FULL_RATE_FROM = 720;
const AUDIO_BITRATE = { mono: 96_000, stereo: 128_000 };
const SCHEDULE = { firstSeconds: FIRST_SEGMENT_SECONDS, seconds: SEGMENT_SECONDS };
/** A copied top rung may run this much above the cap an encode of it would get (1080p: 20 Mbit/s, like Mux's standard input); else it is encoded. */
const COPY_MAX_RATE_FACTOR = 4;
const COPY_PIX_FMTS = new Set(['yuv420p', 'yuvj420p']);

/**
 * A source every browser plays as it is: H.264 8-bit 4:2:0, up to 1080 lines (short side) and 60 fps,
 * SDR, no rotation to apply, at a bitrate a viewer of that rung can take. (Audio is encoded anyway.)
 */
export function isStandard(metadata: MediaMetadata, rungMaxrate: number): boolean {
  const v = metadata.video;
  if (!v) return false;
  const bitrate = v.bitrate ?? metadata.bitrate;
  return (
    v.codec === 'h264' &&
    COPY_PIX_FMTS.has(v.pixFmt ?? '') &&
    v.bitDepth === 8 &&
    !v.hdr &&
    v.rotation === 0 &&
    Math.min(v.width, v.height) <= 1080 &&
    (v.fps ?? 0) > 0 &&
    (v.fps ?? 0) <= 60.5 &&
    bitrate !== null &&
    bitrate <= rungMaxrate * COPY_MAX_RATE_FACTOR
  );
}
/** Above this the source is halved (or thirded…) rather than resampled to an odd rate, keeping motion even. */
export const MAX_FPS = 60;
/** A source at least this much larger than the rung below it keeps that rung under its own-size top rung. */
const KEEP_BELOW = 1.1;
const POSTER_MAX_WIDTH = 1280;
const START_RUNG_MAX = 720;

interface RungRate {
  crf: number;
  /** kbit/s at ≤ 30 fps; higher frame rates get 1.5×. */
  maxrateK: number;
}

/**
 * Capped CRF: quality-driven (CRF) with a ceiling (maxrate) so that a hard scene cannot blow a viewer's
 * bandwidth. Small rungs get a slightly lower CRF because players upscale them and show every artefact.
 */
const RATES: Record<Resolution, RungRate> = {
  '240': { crf: 22, maxrateK: 400 },
  '360': { crf: 22, maxrateK: 800 },
  '480': { crf: 23, maxrateK: 1400 },
  '720': { crf: 23, maxrateK: 2800 },
  '1080': { crf: 23, maxrateK: 5000 },
  '1440': { crf: 24, maxrateK: 9000 },
  '2160': { crf: 24, maxrateK: 16000 },
};

const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2);
const evenFloor = (n: number): number => Math.max(2, Math.floor(n / 2) * 2);

/** Output rate for a source rate: unchanged up to MAX_FPS, else divided by the smallest integer that fits. */
export function capFps(fps: number | null): number | null {
  if (fps === null || !Number.isFinite(fps) || fps <= MAX_FPS) return null;
  const k = Math.ceil(fps / MAX_FPS - 1e-9);
  return Math.round((fps / k) * 1000) / 1000;
}

/** Near 10% of the duration, but about 1 s in for short clips (the first frames are often black). */
export function posterTime(durationS: number): number {
  if (!(durationS > 0)) return 0;
  const t = Math.max(Math.min(1, durationS / 2), durationS * 0.1);
  return Math.round(t * 1000) / 1000;
}

/** Width × height of a rung whose short side is `short`, keeping the display aspect ratio. */
function rungSize(srcW: number, srcH: number, short: number): { width: number; height: number } {
  const portrait = srcH > srcW;
  const srcShort = portrait ? srcW : srcH;
  const srcLong = portrait ? srcH : srcW;
  // Rounding to even may go one pixel past an odd source; the floor to even never does.
  const long = Math.min(even((short * srcLong) / srcShort), evenFloor(srcLong));
  return portrait ? { width: short, height: long } : { width: long, height: short };
}

/** The audio renditions: every track of the source (or the one the probe saw), AAC at 44.1/48 kHz. */
function planAudio(metadata: MediaMetadata, tracks: readonly AudioTrackInfo[] | undefined): AudioPlan[] {
  const list: readonly AudioTrackInfo[] =
    tracks ??
    (metadata.audio
      ? [
          {
            channels: metadata.audio.channels,
            sampleRate: metadata.audio.sampleRate,
            language: null,
            title: null,
            default: true,
          },
        ]
      : []);
  const defaultIndex = Math.max(
    0,
    list.findIndex((t) => t.default),
  );
  const seen = new Map<string, number>();
  return list.map((t, index) => {
    const channels = t.channels === 1 ? 1 : 2;
    // Unique as written in the playlist: compared after cleaning.
    let name = printable(t.title ?? '', 64) || languageName(t.language) || `Audio ${index + 1}`;
    // Names must be unique within the group.
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    if (n > 1) name = `${name} ${n}`;
    return {
      index,
      channels,
      // AAC in browsers is safest at 44.1/48 kHz; anything else is resampled to 48 kHz.
      sampleRate: t.sampleRate === 44100 ? 44100 : 48000,
      bitrate: channels === 1 ? AUDIO_BITRATE.mono : AUDIO_BITRATE.stereo,
      language: t.language,
      name,
      default: index === defaultIndex,
    };
  });
}

function languageName(tag: string | null): string | null {
  if (!tag) return null;
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

/**
 * The ladder for one source: rungs by the short side of the DISPLAY size (rotation already applied by
 * the probe), never above the source. A source between two standard rungs gets a top rung at its own
 * size (named after the rung above it), with the standard rung under it kept when the source is at
 * least 10% larger. A requested set of resolutions filters it; a request entirely above the source
 * gets the top rung the source allows. A source smaller than 240 gets one rung at its own size (`240`).
 */
export function planLadder(metadata: MediaMetadata, options: LadderOptions = {}): EncodePlan {
  const video = metadata.video;
  const audio = planAudio(metadata, options.audioTracks);
  const range = options.sourceRange ?? null;
  const rangeExtra = { sourceRange: range, copyFrames: null, watermark: options.watermark ?? null };
  const duration = range ? range.end - range.start : metadata.duration;
  if (!video) {
    return {
      rungs: [],
      startRung: 0,
      audio,
      sourceFps: null,
      toneMap: false,
      deinterlace: false,
      segmentSeconds: SEGMENT_SECONDS,
      firstSegmentSeconds: FIRST_SEGMENT_SECONDS,
      forcedKeyframes: null,
      targetDuration: targetDuration(SCHEDULE),
      x264Preset: 'veryfast',
      poster: { kind: 'waveform', width: POSTER_MAX_WIDTH, height: 720 },
      ...rangeExtra,
      watermark: null,
    };
  }

  // The ratio comes from the true display size; only a rung at the source's own size is floored to even.
  const srcW = video.width;
  const srcH = video.height;
  const srcShort = Math.min(srcW, srcH);
  const ownSize = { width: evenFloor(srcW), height: evenFloor(srcH) };
  const cappedFps = capFps(video.fps);
  const sourceFps = cappedFps ?? video.fps ?? 30;
  const fast = sourceFps > 31;
  // The keyframe probe reads the field order too: it also covers files probed before it was recorded.
  const deinterlace = isInterlaced(video) || options.keyframes?.interlaced === true;

  const possible: { name: Resolution; width: number; height: number }[] = [];
  for (const name of RESOLUTIONS) {
    const short = Number(name);
    if (short <= srcShort) {
      possible.push({ name, ...rungSize(srcW, srcH, short) });
      continue;
    }
    const below = possible.at(-1);
    if (!below) possible.push({ name: '240', ...ownSize });
    else if (srcShort >= Number(below.name) * KEEP_BELOW) possible.push({ name, ...ownSize });
    else if (srcShort > Number(below.name) && evenFloor(srcShort) > Number(below.name)) {
      // Only a little above the rung below: that rung at the source's own size, not a second one.
      possible[possible.length - 1] = { name: below.name, ...ownSize };
    }
    break;
  }

  const wanted = options.resolutions?.length ? new Set(options.resolutions) : null;
  let chosen = wanted ? possible.filter((r) => wanted.has(r.name)) : possible;
  if (chosen.length === 0) chosen = [possible[possible.length - 1]!];

  const rungs: RungPlan[] = chosen.map((r) => {
    const rate = RATES[r.name];
    const halve = fast && Number(r.name) < FULL_RATE_FROM;
    const rungFast = fast && !halve;
    const maxrate = rate.maxrateK * 1000 * (rungFast ? 1.5 : 1);
    return {
      ...r,
      crf: rate.crf,
      maxrate,
      bufsize: maxrate * 2,
      fps: halve ? Math.round((sourceFps / 2) * 1000) / 1000 : cappedFps,
      copy: false,
    };
  });

  // Remux first: a standard source whose GOPs suit HLS is its own top rung, copied.
  let forcedKeyframes: EncodePlan['forcedKeyframes'] = null;
  let target = targetDuration(SCHEDULE);
  const topRung = rungs[rungs.length - 1]!;
  // A clip copies only between keyframes, and only frames it has counted unless it runs to the end.
  const keyframes =
    range && options.keyframes
      ? options.copyFrames !== undefined || atEnd(range, metadata.duration)
        ? clipKeyframes(options.keyframes, range, metadata.duration)
        : undefined
      : options.keyframes;
  const cuts =
    keyframes &&
    !options.watermark &&
    !deinterlace &&
    topRung.width === srcW &&
    topRung.height === srcH &&
    isStandard(metadata, topRung.maxrate)
      ? cutsFromKeyframes(keyframes.times, SCHEDULE, duration)
      : null;
  if (cuts && keyframes) {
    const bitrate = metadata.video?.bitrate ?? metadata.bitrate;
    rungs[rungs.length - 1] = {
      ...topRung,
      copy: true,
      fps: null,
      maxrate: bitrate ? Math.round(bitrate * 1.5) : topRung.maxrate,
    };
    forcedKeyframes = { times: cuts.cuts, offsetS: keyframes.offsetS };
    target = targetFor(cuts.longestS);
  }
  const copied = forcedKeyframes !== null;

  const top = rungs[rungs.length - 1]!;
  // Start around 720p (about 2–3 Mbit/s, Apple's advice for a first variant), never above.
  const startRung = Math.max(
    0,
    rungs.findLastIndex((r) => Number(r.name) <= START_RUNG_MAX),
  );
  const posterW = Math.min(top.width, POSTER_MAX_WIDTH);
  return {
    rungs,
    startRung,
    audio,
    sourceFps: cappedFps ?? video.fps,
    toneMap: video.hdr,
    deinterlace,
    segmentSeconds: SEGMENT_SECONDS,
    firstSegmentSeconds: FIRST_SEGMENT_SECONDS,
    forcedKeyframes,
    targetDuration: target,
    x264Preset: 'veryfast',
    poster: {
      kind: 'frame',
      width: posterW,
      height: posterW === top.width ? top.height : even((top.height * posterW) / top.width),
      atSeconds: posterTime(duration),
    },
    ...rangeExtra,
    copyFrames: copied && range && !atEnd(range, metadata.duration) ? (options.copyFrames ?? null) : null,
  };
}
