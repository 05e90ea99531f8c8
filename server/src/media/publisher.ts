import fs from 'node:fs';
import path from 'node:path';
import { type InitInfo, readInit, readSegment } from './fmp4.ts';
import { IFRAME_PLAYLIST, INIT_FILE, MASTER_PLAYLIST, SEGMENT_NAME, variantPlaylist } from './layout.ts';
import { attributeMap, readLines } from './m3u8.ts';
import {
  type AudioRendition,
  iframePlaylist,
  masterPlaylist,
  mediaPlaylist,
  type SegmentEntry,
  type VideoVariant,
} from './playlists.ts';
import {
  type EditShift,
  moofsEnd,
  type Retiming,
  retimeSegment,
  retimingFor,
  takeEditList,
} from './retime.ts';

/**
 * Where published files go when they do not stay in `outDir` (scaled out: storage/outputs.ts). Files
 * are handed over before any playlist naming them, and the master's text last.
 */
export interface PublishSink {
  files(relatives: readonly string[]): Promise<void>;
  text(relative: string, body: string): Promise<void>;
}

/** One rendition folder the encoder fills, as the master playlist will describe it. */
export type RenditionSpec =
  | {
      kind: 'video';
      folder: string;
      width: number;
      height: number;
      /** Advertised until real sizes are known: the VBV cap. */
      maxBitrate: number;
      frameRate: number | null;
    }
  | {
      kind: 'audio';
      folder: string;
      name: string;
      language: string | null;
      default: boolean;
      bitrate: number;
      channels: number;
    };

interface Segment extends SegmentEntry {
  bytes: number;
  /** Bytes of its leading moof + keyframe. */
  iframeBytes: number;
  /** Its #EXTINF were it the last: from its start to the end of its last frame shown, seconds. */
  closing: number;
}

interface State {
  spec: RenditionSpec;
  init: InitInfo | null;
  /** What init.mp4's edit list said before it was taken out (media/retime.ts). */
  edit: EditShift | null;
  /** Fixed at the first segment. */
  retiming: Retiming | null;
  /** The first segment's first frame shown (retimed), ticks: where the grid starts. */
  origin: number | null;
  /** Where the next segment starts, seconds from `origin`. */
  next: number;
  segments: Segment[];
  /** Text last written, to skip rewriting an unchanged playlist. */
  written: string;
}

/** What a finished rendition really holds. */
export interface RenditionResult {
  folder: string;
  kind: 'video' | 'audio';
  codec: string | null;
  segments: number;
  /** Sum of the segments' real durations, seconds. */
  durationS: number;
  /** Highest per-segment bitrate, bits/s (what BANDWIDTH advertises once complete). */
  peakBitrate: number;
  averageBitrate: number;
}

/**
 * How far a segment's decode end may lie from the grid's next cut for it to count as cut there: more
 * than a frame (rebuilt decode times, a forced keyframe on the first frame past a cut in VFR), less
 * than half the shortest segment (a cut the muxer skipped).
 */
const GRID_SLACK_S = 0.25;

/** How much of a segment is read to find its moof (the mdat after it is not needed). */
const HEAD_BYTES = 256 * 1024;

/** When the master may appear, and which variant it lists first until the end. */
export interface EarlyStart {
  /** Indices in `specs` whose first segment the master waits for (the start group's renditions). */
  renditions: readonly number[];
  /** Index in `specs` of the video variant listed first while encoding: one of `renditions`. */
  startIndex: number;
}

/**
 * Vodkit's own playlists: ffmpeg writes init and media segments only; this lists what is on disk,
 * with each video `#EXTINF` from the segment grid (`cutAt`) checked against the segment's own timestamps, and writes every playlist atomically
 * (temp + rename). Media playlists are EVENT playlists with a fixed target duration. The master appears
 * once the renditions of `early` have a segment (then the video is playable); the others are listed at
 * once with empty EVENT playlists, which players reload until segments appear (hls.js retries an empty
 * live playlist; a 404 would make it drop the variant). It is rewritten at the end with the bitrates
 * really measured and the usual start variant first.
 */
export class PlaylistPublisher {
  readonly #states: State[];
  readonly #early: EarlyStart;
  #master = false;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly outDir: string,
    specs: readonly RenditionSpec[],
    /** Index in `specs` of the video variant listed first in the final master (where players start). */
    readonly startIndex: number,
    readonly targetDuration: number,
    readonly onPlayable: () => void,
    /** Null: the playlists are renamed into `outDir` and nothing else moves (as the embedded sink does). */
    readonly sink: PublishSink | null = null,
    /** Default: every rendition, and `startIndex` first. */
    early?: EarlyStart,
    /** The segment grid of the video rungs (schedule.ts gridCut): cut `n` in seconds from the first frame shown. */
    readonly cutAt: (n: number) => number | null = () => null,
  ) {
    this.#states = specs.map((spec) => ({
      spec,
      init: null,
      edit: null,
      retiming: null,
      origin: null,
      next: 0,
      segments: [],
      written: '',
    }));
    this.#early = early ?? { renditions: specs.map((_, i) => i), startIndex };
  }

  get playable(): boolean {
    return this.#master;
  }

  /** Every rendition has its init and at least one segment. */
  get complete(): boolean {
    return this.#states.every((s) => s.segments.length > 0 && s.init);
  }

  /** Lists new segments and republishes; calls never overlap. `ended` closes every playlist. */
  refresh(ended = false): Promise<void> {
    // A failed pass (a segment unreadable for a moment) must not stop the later ones.
    this.#queue = this.#queue.catch(() => {}).then(() => this.#refresh(ended));
    return this.#queue;
  }

  results(): RenditionResult[] {
    return this.#states.map((s) => {
      const durationS = s.segments.reduce((t, x) => t + x.duration, 0);
      const bytes = s.segments.reduce((t, x) => t + x.bytes, 0);
      // Tiny segments (a last 0.1 s) would exaggerate the peak: count only those ≥ 0.5 s, unless none are.
      const measured = s.segments.filter((x) => x.duration >= 0.5);
      const peak = Math.max(
        0,
        ...(measured.length ? measured : s.segments).map((x) => (x.bytes * 8) / Math.max(x.duration, 0.001)),
      );
      return {
        folder: s.spec.folder,
        kind: s.spec.kind,
        codec: s.init?.codec ?? null,
        segments: s.segments.length,
        durationS,
        peakBitrate: Math.round(peak),
        averageBitrate: durationS > 0 ? Math.round((bytes * 8) / durationS) : 0,
      };
    });
  }

  async #refresh(ended: boolean): Promise<void> {
    const fresh: string[] = [];
    for (const state of this.#states) await this.#scan(state, fresh);
    if (ended) for (const state of this.#states) closeLast(state.segments);
    if (this.sink && fresh.length > 0) await this.sink.files(fresh);
    const ready = this.#states.every(
      (s, i) => !this.#early.renditions.includes(i) || (s.segments.length > 0 && s.init),
    );
    const masterDue = this.#states.length > 0 && (ready || ended) && (!this.#master || ended);
    for (const state of this.#states) {
      // Before the master lists it, a rendition without a segment has no playlist at all.
      if (state.segments.length === 0 && !(masterDue || this.#master)) continue;
      const text = mediaPlaylist({
        init: INIT_FILE,
        segments: state.segments,
        targetDuration: this.targetDuration,
        ended,
      });
      if (text !== state.written) {
        if (state.spec.kind === 'video') {
          const frames = state.segments.map((x) => ({
            uri: x.uri,
            duration: x.duration,
            length: x.iframeBytes,
          }));
          const iframes = iframePlaylist({
            init: INIT_FILE,
            frames,
            targetDuration: this.targetDuration,
            ended,
          });
          await this.#write(`${state.spec.folder}/${IFRAME_PLAYLIST}`, iframes);
        }
        await this.#write(variantPlaylist(state.spec.folder), text);
        state.written = text;
      }
    }
    if (masterDue) {
      // At the end, a rendition that never got a segment means the source held no readable media.
      const complete = this.#states.every((s) => s.segments.length > 0 && s.init);
      if (ended && !complete) return;
      await this.#write(MASTER_PLAYLIST, this.#masterText(ended));
      if (!this.#master) {
        this.#master = true;
        this.onPlayable();
      }
    }
  }

  #write(relative: string, text: string): Promise<void> {
    return this.sink ? this.sink.text(relative, text) : writeAtomic(path.join(this.outDir, relative), text);
  }

  /** Adds to `fresh` the files (relative to outDir) that the playlists are about to name for the first time. */
  async #scan(state: State, fresh: string[]): Promise<void> {
    const dir = path.join(this.outDir, state.spec.folder);
    let names: string[];
    try {
      names = await fs.promises.readdir(dir);
    } catch {
      return;
    }
    const numbers = names
      .map((n) => SEGMENT_NAME.exec(n)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    if (numbers.length <= state.segments.length) return;
    if (!state.init) {
      try {
        const file = path.join(dir, INIT_FILE);
        const buf = await fs.promises.readFile(file);
        const info = readInit(buf);
        const edit = takeEditList(buf);
        await writeAtomic(file, buf);
        state.init = info;
        state.edit = edit;
        fresh.push(`${state.spec.folder}/${INIT_FILE}`);
      } catch {
        return;
      }
    }
    const init = state.init;
    const edit = state.edit ?? { timescale: init.timescale, empty: 0, mediaTime: 0 };
    // Only whole, consecutive segments from the first: the renamed ones (temp_file) are complete.
    for (let i = state.segments.length; i < numbers.length && numbers[i] === i; i++) {
      const name = `seg_${String(i).padStart(5, '0')}.m4s`;
      const file = path.join(dir, name);
      const { head, size } = await readHead(file);
      if (moofsEnd(head) === 0) throw new Error(`${name}: no moof in its first ${HEAD_BYTES} bytes`);
      state.retiming ??= retimingFor(edit, head);
      retimeSegment(head, state.retiming);
      await writeBack(file, head.subarray(0, moofsEnd(head)), size);
      const timing = readSegment(head, init.defaultSampleDuration);
      const ts = init.timescale;
      state.origin ??= timing.presentationStart;
      const at = (ticks: number) => (ticks - state.origin!) / ts;
      const start = state.next;
      // Where this segment ends: the next cut of the grid, when this one was cut on it (its decode end
      // within GRID_SLACK_S of that cut), else its decode end. Segments tile from the first frame shown,
      // so the list sums to the presented length, and every video variant cut on the grid writes the
      // same #EXTINF whatever its timestamps (a copied Matroska source's decode times are rebuilt from
      // millisecond timestamps: its decode ends were 14 ms off the encoded rungs').
      const decodeEnd = at(timing.start + timing.duration);
      const cut = state.spec.kind === 'video' ? this.cutAt(i + 1) : null;
      const end =
        cut !== null && cut > start && Math.abs(cut - decodeEnd) <= GRID_SLACK_S
          ? cut
          : Math.max(start, decodeEnd);
      state.next = end;
      // The last segment ends with its last frame shown (closeLast). Of the two estimates of that end,
      // the earlier: a frame's trun duration is a decode gap, too long when B-frames reorder a VFR
      // stream, and a copied Matroska source's decode end is off by its rebuilt decode times.
      const shownEnd =
        Math.round(at(Math.min(timing.presentationEnd, timing.start + timing.duration)) * 1000) / 1000;
      state.segments.push({
        uri: name,
        duration: end - start,
        closing: Math.max(0, shownEnd - start),
        bytes: size,
        iframeBytes: timing.firstSampleEnd,
      });
      fresh.push(`${state.spec.folder}/${name}`);
    }
  }

  #masterText(ended: boolean): string {
    const results = ended ? this.results() : null;
    const measured = (folder: string) => results?.find((r) => r.folder === folder);
    const video: VideoVariant[] = [];
    const audio: AudioRendition[] = [];
    this.#states.forEach((s, i) => {
      const spec = s.spec;
      const m = measured(spec.folder);
      if (spec.kind === 'video') {
        const v: VideoVariant = {
          uri: variantPlaylist(spec.folder),
          width: spec.width,
          height: spec.height,
          bandwidth: m && m.peakBitrate > 0 ? m.peakBitrate : spec.maxBitrate,
          ...(m && m.averageBitrate > 0 ? { averageBandwidth: m.averageBitrate } : {}),
          codec: s.init?.codec ?? expectedAvcCodec(spec.width, spec.height, spec.frameRate),
          frameRate: spec.frameRate,
          iframes: {
            uri: `${spec.folder}/${IFRAME_PLAYLIST}`,
            bandwidth: Math.max(1, ...s.segments.map((x) => (x.iframeBytes * 8) / Math.max(x.duration, 0.5))),
          },
        };
        if (i === (ended ? this.startIndex : this.#early.startIndex)) video.unshift(v);
        else video.push(v);
      } else {
        audio.push({
          uri: variantPlaylist(spec.folder),
          name: spec.name,
          language: spec.language,
          default: spec.default,
          bandwidth: m && m.peakBitrate > 0 ? m.peakBitrate : spec.bitrate,
          codec: s.init?.codec ?? 'mp4a.40.2',
          channels: spec.channels,
        });
      }
    });
    return masterPlaylist(video, audio);
  }
}

/**
 * The last segment's #EXTINF reaches the end of its last frame shown: nothing follows it, and decode
 * durations stop short of it by the reordering delay (a VFR WebM's playlists summed 0.1 s under its
 * pictures' span).
 */
function closeLast(segments: Segment[]): void {
  const last = segments.at(-1);
  if (last) last.duration = last.closing;
}

/**
 * The CODECS of an x264 High rung whose init segment does not exist yet: the lowest H.264 level whose
 * frame size and macroblock rate fit (the master is written once; the final one has the real string).
 */
export function expectedAvcCodec(width: number, height: number, fps: number | null): string {
  const frame = Math.ceil(width / 16) * Math.ceil(height / 16);
  const rate = frame * Math.min(fps ?? 30, 60);
  const levels: [number, number, number][] = [
    [30, 1620, 40_500],
    [31, 3600, 108_000],
    [32, 5120, 216_000],
    [40, 8192, 245_760],
    [42, 8704, 522_240],
    [50, 22_080, 589_824],
    [51, 36_864, 983_040],
    [52, 36_864, 2_073_600],
  ];
  const level = levels.find(([, fs, mbps]) => frame <= fs && rate <= mbps)?.[0] ?? 52;
  return `avc1.6400${level.toString(16).padStart(2, '0')}`;
}

async function readHead(file: string): Promise<{ head: Buffer; size: number }> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
    await fh.read(head, 0, head.length, 0);
    return { head, size };
  } finally {
    await fh.close();
  }
}

/**
 * Puts the rewritten moofs back over the segment's first bytes. A segment with a moof past its first
 * mdat (ffmpeg writes one moof per HLS segment) is refused rather than half rewritten.
 */
async function writeBack(file: string, moofs: Buffer, size: number): Promise<void> {
  const fh = await fs.promises.open(file, 'r+');
  try {
    if (moofs.length < size) {
      const header = Buffer.alloc(16);
      const mdat = await fh.read(header, 0, 16, moofs.length);
      const mdatSize = mdat.bytesRead >= 8 ? header.readUInt32BE(0) : 0;
      const mdatEnd = mdatSize === 1 ? Number(header.readBigUInt64BE(8)) : mdatSize === 0 ? size : mdatSize;
      if (moofs.length + mdatEnd < size) throw new Error(`${path.basename(file)}: more than one fragment`);
    }
    await fh.write(moofs, 0, moofs.length, 0);
  } finally {
    await fh.close();
  }
}

/** Readers see the old text or the new, never half of one (`*.tmp` is never served). */
export async function writeAtomic(file: string, text: string | Buffer): Promise<void> {
  const tmp = `${file}.tmp`;
  await fs.promises.writeFile(tmp, text);
  await fs.promises.rename(tmp, file);
}

/**
 * Whether `outDir` holds a finished encode: a master whose every media playlist (variants and audio
 * renditions) is closed with `#EXT-X-ENDLIST`.
 */
export async function isPublishedComplete(outDir: string): Promise<boolean> {
  try {
    const master = await fs.promises.readFile(path.join(outDir, MASTER_PLAYLIST), 'utf8');
    const uris = readLines(master).flatMap((l) => {
      if (l.kind === 'uri') return [l.uri];
      const uri =
        l.kind === 'tag' && l.name === '#EXT-X-MEDIA' ? attributeMap(l.value).get('URI') : undefined;
      return uri ? [uri] : [];
    });
    if (uris.length === 0) return false;
    for (const uri of uris) {
      if (uri.includes('..') || path.isAbsolute(uri)) return false;
      const text = await fs.promises.readFile(path.join(outDir, uri), 'utf8');
      if (!text.includes('#EXT-X-ENDLIST')) return false;
    }
    return true;
  } catch {
    return false;
  }
}
