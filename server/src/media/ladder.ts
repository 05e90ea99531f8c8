import { type MediaMetadata, RESOLUTIONS, type Resolution } from '@vodkit/api';

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
  /** AAC bitrate muxed into this rung, bits per second (0 when the source has no audio). */
  audioBitrate: number;
}

export interface AudioPlan {
  channels: 1 | 2;
  sampleRate: number;
  /** Used for the single `audio` rendition of an audio-only source. */
  bitrate: number;
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
  audio: AudioPlan | null;
  /** Output frame rate when the source is above the cap; null keeps the source timing (VFR stays VFR). */
  fps: number | null;
  /** HDR (PQ/HLG) sources are tone-mapped to SDR BT.709 so every browser shows the right colours. */
  toneMap: boolean;
  /** HLS segment length and keyframe interval, seconds: the same for every rung so switches are seamless. */
  segmentSeconds: number;
  /** x264 preset: speed/size trade-off, the same for all rungs. */
  x264Preset: string;
  poster: PosterPlan;
}

export interface LadderOptions {
  /** Union of `presets[].resolutions` of the job; absent or empty means the whole ladder. */
  resolutions?: readonly Resolution[];
}

export const SEGMENT_SECONDS = 4;
/** Above this the source is halved (or thirded…) rather than resampled to an odd rate, keeping motion even. */
export const MAX_FPS = 60;
/** A source this close below a rung (e.g. 1920×1072, 1280×704) gets that rung at its own size, not the one below. */
const NEAR_RUNG = 0.9;
const POSTER_MAX_WIDTH = 1280;
const START_RUNG_MAX = 720;

interface RungRate {
  crf: number;
  /** kbit/s at ≤ 30 fps; higher frame rates get 1.5×. */
  maxrateK: number;
  audioK: number;
}

/**
 * Capped CRF: quality-driven (CRF) with a ceiling (maxrate) so that a hard scene cannot blow a viewer's
 * bandwidth. Small rungs get a slightly lower CRF because players upscale them and show every artefact.
 */
const RATES: Record<Resolution, RungRate> = {
  '240': { crf: 22, maxrateK: 400, audioK: 64 },
  '360': { crf: 22, maxrateK: 800, audioK: 96 },
  '480': { crf: 23, maxrateK: 1400, audioK: 128 },
  '720': { crf: 23, maxrateK: 2800, audioK: 128 },
  '1080': { crf: 23, maxrateK: 5000, audioK: 160 },
  '1440': { crf: 24, maxrateK: 9000, audioK: 160 },
  '2160': { crf: 24, maxrateK: 16000, audioK: 160 },
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

/**
 * The ladder for one source: rungs by the short side of the DISPLAY size (rotation already applied by
 * the probe), never above the source. A requested set of resolutions filters it; a request entirely
 * above the source gets the top rung the source allows. A source smaller than 240 gets one rung at its
 * own size (named `240`).
 */
export function planLadder(metadata: MediaMetadata, options: LadderOptions = {}): EncodePlan {
  const video = metadata.video;
  const audio: AudioPlan | null = metadata.audio
    ? {
        channels: metadata.audio.channels === 1 ? 1 : 2,
        // AAC in browsers is safest at 44.1/48 kHz; anything else is resampled to 48 kHz.
        sampleRate: metadata.audio.sampleRate === 44100 ? 44100 : 48000,
        bitrate: 160_000,
      }
    : null;
  if (!video) {
    return {
      rungs: [],
      startRung: 0,
      audio,
      fps: null,
      toneMap: false,
      segmentSeconds: SEGMENT_SECONDS,
      x264Preset: 'veryfast',
      poster: { kind: 'waveform', width: POSTER_MAX_WIDTH, height: 720 },
    };
  }

  // The ratio comes from the true display size; only a rung at the source's own size is floored to even.
  const srcW = video.width;
  const srcH = video.height;
  const srcShort = Math.min(srcW, srcH);
  const ownSize = { width: evenFloor(srcW), height: evenFloor(srcH) };
  const fps = capFps(video.fps);
  const fast = (fps ?? video.fps ?? 30) > 31;

  // Each possible rung with its size: standard sizes up to the source, plus the source's own size
  // under the name of the next rung up when it is only a little smaller than that rung (or below 240).
  const possible: { name: Resolution; width: number; height: number }[] = [];
  for (const name of RESOLUTIONS) {
    const short = Number(name);
    if (short <= srcShort) possible.push({ name, ...rungSize(srcW, srcH, short) });
    else {
      if (possible.length === 0 || srcShort >= short * NEAR_RUNG) {
        possible.push({ name, ...ownSize });
      }
      break;
    }
  }

  const wanted = options.resolutions?.length ? new Set(options.resolutions) : null;
  let chosen = wanted ? possible.filter((r) => wanted.has(r.name)) : possible;
  if (chosen.length === 0) chosen = [possible[possible.length - 1]!];

  const rungs: RungPlan[] = chosen.map((r) => {
    const rate = RATES[r.name];
    const maxrate = rate.maxrateK * 1000 * (fast ? 1.5 : 1);
    return {
      ...r,
      crf: rate.crf,
      maxrate,
      bufsize: maxrate * 2,
      audioBitrate: audio ? rate.audioK * 1000 : 0,
    };
  });

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
    fps,
    toneMap: video.hdr,
    segmentSeconds: SEGMENT_SECONDS,
    x264Preset: 'veryfast',
    poster: {
      kind: 'frame',
      width: posterW,
      height: posterW === top.width ? top.height : even((top.height * posterW) / top.width),
      atSeconds: posterTime(metadata.duration),
    },
  };
}
