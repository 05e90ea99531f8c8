import { spawn } from 'node:child_process';
import type {
  AudioStreamInfo,
  FieldOrder,
  ImageInfo,
  MediaMetadata,
  Projection,
  VideoStreamInfo,
} from '@vodkit/api';
import { type FfmpegPaths, IMAGE_DEMUXERS } from './ffmpeg.ts';
import { capture } from './process.ts';
import { type SourceInput, sourceInputOptions, sourceRedactions, sourceTarget } from './source.ts';

/*
 * Why we spawn ffprobe here instead of fluent-ffmpeg's `ffprobe()` (checked against 2.1.3):
 * - it keeps no handle on the child process, so a probe that hangs on a hostile file can
 *   neither be timed out nor killed — it would outlive the request forever;
 * - it parses ffprobe's default INI output: the nested `[SIDE_DATA]` blocks (display matrix
 *   rotation, spherical mapping) are flattened into the stream object, where they overwrite
 *   each other's keys (`side_data_type`), and values are coerced to numbers by regex.
 * (Extra options do land before the input there, so the allowlist alone would have worked.)
 * `-of json` gives us `side_data_list` intact; the command stays one `spawn` with our own
 * timeout, an output cap and a SIGKILL.
 */

export type ProbeErrorCode = 'probe_failed' | 'probe_timeout';

/** ffprobe could not read the file (or took too long). `message` is safe to show: no paths. */
export class ProbeError extends Error {
  override readonly name = 'ProbeError';
  constructor(
    readonly code: ProbeErrorCode,
    message: string,
    /** True when ffprobe recognised the format but it is not on our demuxer allowlist. */
    readonly formatRefused = false,
  ) {
    super(message);
  }
}

export interface ProbeOptions {
  /** Kill ffprobe and throw `probe_timeout` after this many milliseconds. */
  timeoutMs: number;
}

/** What media/ reports; the caller decides what is acceptable. */
export interface ProbeResult {
  metadata: MediaMetadata;
  /** Every stream in the container (video, audio, subtitles, data, attachments). */
  streamCount: number;
}

/** More JSON than this means a file built to flood us (thousands of streams): refuse it. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Probes one source (a local file or a signed URL) with the safe input options; throws ProbeError, never hangs. */
export async function probeFile(
  paths: FfmpegPaths,
  source: SourceInput,
  options: ProbeOptions,
): Promise<ProbeResult> {
  const started = Date.now();
  const raw = await runFfprobe(paths.ffprobePath, source, options.timeoutMs);
  const metadata = toMetadata(raw);
  if (metadata.duration <= 0 && metadata.video && !metadata.image) {
    const left = options.timeoutMs - (Date.now() - started);
    metadata.duration = await measureDuration(paths.ffprobePath, source, raw, left);
  }
  return { metadata, streamCount: raw.streams?.length ?? 0 };
}

/**
 * The duration of a video that states none (a raw H.264/HEVC elementary stream: no container, no
 * header), which would otherwise pass any duration limit (issue 19 #5): the first video stream's
 * packets counted over the frame rate ffmpeg will decode them at (its own 25 fps default when the
 * stream names none). Packets are read, never decoded; the pass shares the probe's time budget.
 */
async function measureDuration(
  ffprobePath: string,
  source: SourceInput,
  raw: RawProbe,
  timeoutMs: number,
): Promise<number> {
  const stream = raw.streams?.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const fps = rate(stream?.avg_frame_rate) ?? rate(stream?.r_frame_rate) ?? 25;
  if (timeoutMs <= 0) throw new ProbeError('probe_timeout', 'no time was left to measure the duration');
  let out: string;
  try {
    out = await capture(
      ffprobePath,
      [
        '-v',
        'error',
        ...sourceInputOptions(source),
        '-select_streams',
        String(stream?.index ?? 'v:0'),
        '-count_packets',
        '-show_entries',
        'stream=nb_read_packets',
        '-of',
        'json',
        sourceTarget(source),
      ],
      timeoutMs,
      64 << 10,
    );
  } catch (err) {
    const timedOut = err instanceof Error && /did not finish/.test(err.message);
    throw timedOut
      ? new ProbeError(
          'probe_timeout',
          `counting the frames of a stream without a duration took over ${timeoutMs} ms`,
        )
      : new ProbeError('probe_failed', 'the stream has no duration, and its frames could not be counted');
  }
  let packets = Number.NaN;
  try {
    packets = Number(
      (JSON.parse(out) as { streams?: { nb_read_packets?: string }[] }).streams?.[0]?.nb_read_packets,
    );
  } catch {
    // not JSON: refused below
  }
  if (!Number.isFinite(packets) || packets < 0)
    throw new ProbeError('probe_failed', 'the stream has no duration, and its frames could not be counted');
  return packets / fps;
}

function runFfprobe(ffprobePath: string, source: SourceInput, timeoutMs: number): Promise<RawProbe> {
  const args = [
    '-v',
    'error',
    '-hide_banner',
    ...sourceInputOptions(source),
    '-of',
    'json',
    '-show_format',
    '-show_streams',
    sourceTarget(source),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(ffprobePath, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let failure: ProbeError | null = null;
    const fail = (e: ProbeError) => {
      failure ??= e;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () => fail(new ProbeError('probe_timeout', `ffprobe did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_OUTPUT_BYTES) fail(new ProbeError('probe_failed', 'ffprobe output is too large'));
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 8192) err += chunk.toString('utf8');
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ProbeError('probe_failed', `ffprobe could not run: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (failure) return reject(failure);
      if (code !== 0) return reject(stderrToError(err, source));
      try {
        resolve(parseProbeJson(Buffer.concat(out).toString('utf8')));
      } catch (e) {
        reject(e);
      }
    });
  });
}

function stderrToError(stderr: string, source: SourceInput): ProbeError {
  // ffprobe names the input in its messages; the client must not learn our paths or a signed URL.
  const redactions = sourceRedactions(source);
  const lines = stderr
    .split('\n')
    .map((l) => {
      let line = l;
      for (const [secret] of redactions)
        line = line.split(`${secret}: `).join('').split(secret).join('<input>');
      return line.replace(/^\[[^\]]+\]\s*/, '').trim();
    })
    .filter(Boolean);
  const refused = /not on whitelist/i.test(stderr);
  const message = refused
    ? 'the file format is not one Vodkit accepts (playlists, concat lists and image sequences are refused)'
    : (lines.at(-1) ?? 'ffprobe could not read the file').slice(0, 300);
  return new ProbeError('probe_failed', message, refused);
}

// ---- normalisation: ffprobe JSON → MediaMetadata (pure, exported for tests) ----

/** The subset of `ffprobe -of json -show_format -show_streams` we read. Numbers often come as strings. */
export interface RawProbe {
  streams?: RawStream[];
  format?: {
    format_name?: string;
    duration?: string;
    size?: string;
    bit_rate?: string;
    tags?: Record<string, string>;
  };
}

export interface RawStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  coded_width?: number;
  coded_height?: number;
  pix_fmt?: string;
  bits_per_raw_sample?: string;
  color_transfer?: string;
  field_order?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  duration?: string;
  bit_rate?: string;
  channels?: number;
  sample_rate?: string;
  disposition?: Record<string, number>;
  tags?: Record<string, string>;
  side_data_list?: Array<Record<string, unknown>>;
}

type Check = (v: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isNumeric: Check = (v) => isString(v) || isNumber(v);
const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);
/** Tags: an object whose values are kept as strings (ffprobe writes strings; numbers are stringified). */
const tagsOf = (v: unknown): Record<string, string> | undefined =>
  isObject(v)
    ? Object.fromEntries(
        Object.entries(v)
          .filter(([, t]) => isNumeric(t))
          .map(([k, t]) => [k, String(t)]),
      )
    : undefined;

const STREAM_FIELDS: Record<string, Check> = {
  index: isNumber,
  codec_type: isString,
  codec_name: isString,
  profile: isString,
  width: isNumber,
  height: isNumber,
  coded_width: isNumber,
  coded_height: isNumber,
  pix_fmt: isString,
  bits_per_raw_sample: isNumeric,
  color_transfer: isString,
  field_order: isString,
  r_frame_rate: isString,
  avg_frame_rate: isString,
  duration: isNumeric,
  bit_rate: isNumeric,
  channels: isNumber,
  sample_rate: isNumeric,
};
const FORMAT_FIELDS: Record<string, Check> = {
  format_name: isString,
  duration: isNumeric,
  size: isNumeric,
  bit_rate: isNumeric,
};

/**
 * The string and number fields of `v` (fields toMetadata reads later are not lost here), minus those
 * `checks` names with a value of another type.
 */
function fields(v: Record<string, unknown>, checks: Record<string, Check>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v)) {
    if (isNumeric(value) && (checks[key]?.(value) ?? true)) out[key] = value;
  }
  return out;
}

/**
 * ffprobe's JSON, each field toMetadata reads of the type it expects: the values come from the uploaded
 * file (tags, side data), and a field of another type is dropped, not trusted. Other string and number
 * fields pass as they are; other objects and arrays do not.
 * Not JSON, or not an object → ProbeError.
 */
export function parseProbeJson(text: string): RawProbe {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProbeError('probe_failed', 'ffprobe printed something that is not JSON');
  }
  if (!isObject(raw)) throw new ProbeError('probe_failed', 'ffprobe printed JSON that is not an object');
  const out: RawProbe = {};
  if (Array.isArray(raw.streams)) {
    out.streams = raw.streams.filter(isObject).map((s) => {
      const stream = fields(s, STREAM_FIELDS) as RawStream;
      if (isObject(s.disposition)) {
        stream.disposition = Object.fromEntries(
          Object.entries(s.disposition).filter(([, d]) => isNumber(d)),
        ) as Record<string, number>;
      }
      const tags = tagsOf(s.tags);
      if (tags) stream.tags = tags;
      if (Array.isArray(s.side_data_list)) stream.side_data_list = s.side_data_list.filter(isObject);
      return stream;
    });
  }
  if (isObject(raw.format)) {
    const format = fields(raw.format, FORMAT_FIELDS) as NonNullable<RawProbe['format']>;
    const tags = tagsOf(raw.format.tags);
    if (tags) format.tags = tags;
    out.format = format;
  }
  return out;
}

const HDR_TRANSFERS = new Set(['smpte2084', 'arib-std-b67']);

export function toMetadata(raw: RawProbe): MediaMetadata {
  const streams = raw.streams ?? [];
  const format = raw.format ?? {};
  const image = imageOf(raw);
  if (image) {
    return {
      container: format.format_name ?? 'unknown',
      duration: 0,
      size: num(format.size) ?? 0,
      bitrate: null,
      video: null,
      audio: null,
      image,
    };
  }
  // Cover art in music files shows up as a one-frame video stream: it is not a video.
  const videoStream = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audioStream = streams.find((s) => s.codec_type === 'audio');
  const streamDurations = streams.map((s) => num(s.duration) ?? 0);
  const duration = num(format.duration) ?? Math.max(0, ...streamDurations);
  return {
    container: format.format_name ?? 'unknown',
    duration,
    size: num(format.size) ?? 0,
    bitrate: int(format.bit_rate),
    video: videoStream ? toVideo(videoStream, format.tags ?? {}) : null,
    audio: audioStream ? toAudio(audioStream) : null,
  };
}

function toVideo(s: RawStream, formatTags: Record<string, string>): VideoStreamInfo {
  const codedWidth = s.width ?? s.coded_width ?? 0;
  const codedHeight = s.height ?? s.coded_height ?? 0;
  const rotation = rotationOf(s);
  const sideways = rotation === 90 || rotation === 270;
  return {
    codec: s.codec_name ?? 'unknown',
    profile: s.profile ?? null,
    width: sideways ? codedHeight : codedWidth,
    height: sideways ? codedWidth : codedHeight,
    codedWidth,
    codedHeight,
    fps: rate(s.avg_frame_rate) ?? rate(s.r_frame_rate),
    pixFmt: s.pix_fmt ?? null,
    bitDepth: bitDepthOf(s),
    hdr: HDR_TRANSFERS.has(s.color_transfer ?? ''),
    rotation,
    projection: projectionOf(s, formatTags),
    bitrate: int(s.bit_rate),
    fieldOrder: fieldOrderOf(s),
  };
}

const IMAGE_FORMATS = new Set<string>(IMAGE_DEMUXERS);

/** A still image (PNG, JPEG, WebP demuxer) with one picture stream of a known size; null for anything else. */
function imageOf(raw: RawProbe): ImageInfo | null {
  if (!IMAGE_FORMATS.has(raw.format?.format_name ?? '')) return null;
  const pictures = (raw.streams ?? []).filter((s) => s.codec_type === 'video');
  const s = pictures[0];
  if (pictures.length !== 1 || !s?.width || !s.height) return null;
  return { codec: s.codec_name ?? 'unknown', width: s.width, height: s.height };
}

const FIELD_ORDERS = new Set<string>(['progressive', 'tt', 'bb', 'tb', 'bt']);

/** ffprobe leaves `field_order` out (or says `unknown`) when neither the container nor the stream tells. */
function fieldOrderOf(s: RawStream): FieldOrder {
  const order = s.field_order ?? '';
  return FIELD_ORDERS.has(order) ? (order as FieldOrder) : 'unknown';
}

function toAudio(s: RawStream): AudioStreamInfo {
  return {
    codec: s.codec_name ?? 'unknown',
    channels: s.channels ?? 0,
    sampleRate: int(s.sample_rate) ?? 0,
    bitrate: int(s.bit_rate),
  };
}

/**
 * ffprobe reports the display matrix angle counter-clockwise (`av_display_rotation_get`); ffmpeg's
 * autorotate turns the picture by its negation. We report the clockwise turn, snapped to 0/90/180/270.
 * Old muxers left a `rotate` tag (already clockwise) instead of side data.
 */
function rotationOf(s: RawStream): number {
  const matrix = s.side_data_list?.find((d) => d.side_data_type === 'Display Matrix');
  let clockwise: number | null = null;
  if (matrix && typeof matrix.rotation === 'number') clockwise = -matrix.rotation;
  else if (s.tags?.rotate !== undefined && Number.isFinite(Number(s.tags.rotate)))
    clockwise = Number(s.tags.rotate);
  if (clockwise === null) return 0;
  return (((Math.round(clockwise / 90) * 90) % 360) + 360) % 360;
}

function bitDepthOf(s: RawStream): number {
  const raw = int(s.bits_per_raw_sample);
  if (raw && raw > 0) return raw;
  // yuv420p10le → 10, p010le → 10, yuv444p12be → 12; plain formats are 8-bit.
  const m = /p(\d{2})(?:le|be)?$/.exec(s.pix_fmt ?? '') ?? /^p0(\d{2})/.exec(s.pix_fmt ?? '');
  return m ? Number(m[1]) : 8;
}

/**
 * Spherical video: ffmpeg turns both the v2 `sv3d` box and the v1 GSpherical XML into
 * "Spherical Mapping" side data; some tools only leave tags behind, so look there too.
 */
function projectionOf(s: RawStream, formatTags: Record<string, string>): Projection {
  const spherical = s.side_data_list?.find((d) => d.side_data_type === 'Spherical Mapping');
  if (spherical) return spherical.projection === 'cubemap' ? 'cubemap' : 'equirectangular';
  for (const tags of [s.tags ?? {}, formatTags]) {
    for (const [key, value] of Object.entries(tags)) {
      const k = key.toLowerCase();
      const v = String(value).toLowerCase();
      if (k.includes('projection') && v.includes('equirectangular')) return 'equirectangular';
      if (k.includes('projection') && v.includes('cubemap')) return 'cubemap';
      if (k.includes('spherical') && v !== 'false' && v !== '0') return 'equirectangular';
    }
  }
  return 'flat';
}

function num(v: string | number | undefined): number | null {
  if (v === undefined || v === 'N/A') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function int(v: string | number | undefined): number | null {
  const n = num(v);
  return n === null ? null : Math.round(n);
}

/** `30000/1001` → 29.97; `0/0` → null. */
function rate(v: string | undefined): number | null {
  if (!v) return null;
  const [a, b] = v.split('/').map(Number);
  if (!a || !b || !Number.isFinite(a / b)) return null;
  return Math.round((a / b) * 1000) / 1000;
}
