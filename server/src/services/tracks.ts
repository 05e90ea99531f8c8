import type { CaptionKind, CaptionTrack, CreateCaptionTrackRequest } from '@vodkit/api';
import type { Config } from '../config.ts';
import type {
  FilesRepository,
  JobRow,
  JobsRepository,
  TrackRow,
  TracksRepository,
} from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import { newId } from '../ids.ts';
import { sanitizeCaptionsOffLoop } from '../media/captions-isolate.ts';
import { IsolateError } from '../media/isolate.ts';
import { MASTER_PLAYLIST } from '../media/layout.ts';
import { TIMELINE_LEAD_S } from '../media/retime.ts';
import {
  SUBTITLES_DIR,
  trackPlaylist,
  trackPlaylistPath,
  trackVttName,
  withSubtitles,
  withTimestampMap,
} from '../media/subtitles.ts';
import { CaptionError, type SanitizedCaptions } from '../media/vtt.ts';
import type { LocalStorage } from '../storage/local.ts';
import { LocalOutputs, type VideoOutputs } from '../storage/outputs.ts';
import type { Principal } from './auth.ts';

/** Bytes of one caption file as sent (WebVTT or SRT, UTF-8). */
export const MAX_CAPTION_BYTES = 1024 * 1024;
export const MAX_TRACKS_PER_VIDEO = 32;
const MAX_LABEL_CHARS = 100;

export interface TracksServiceDeps {
  config: Config;
  storage: LocalStorage;
  tracks: TracksRepository;
  jobs: JobsRepository;
  files: FilesRepository;
  /** Where caption files and the master playlist live (default the folders of `storage`). */
  outputs?: VideoOutputs;
}

/** A generated stream file: the master with its subtitle group, a track's playlist, or its WebVTT. */
export interface StreamText {
  body: string;
  type: 'playlist' | 'vtt';
}

const TRACK_FILE = new RegExp(`^${SUBTITLES_DIR}/([a-z0-9]{8,64})\\.(m3u8|vtt)$`);

/** Caption and subtitle tracks of videos: sanitized on the way in, packaged into HLS on the way out. */
export class TracksService {
  readonly #outputs: VideoOutputs;

  constructor(readonly deps: TracksServiceDeps) {
    this.#outputs = deps.outputs ?? new LocalOutputs(deps.storage);
  }

  async add(principal: Principal, videoId: string, input: CreateCaptionTrackRequest): Promise<CaptionTrack> {
    await this.#owned(principal, videoId);
    const { tracks } = this.deps;
    const storage = this.#outputs;
    const language = canonicalLanguage(input.language);
    const label = cleanLabel(input.label, language);
    const kind: CaptionKind = input.kind ?? 'subtitles';
    if (Buffer.byteLength(input.content, 'utf8') > MAX_CAPTION_BYTES) {
      throw new ApiError('captions_too_large', `a caption file may be at most ${MAX_CAPTION_BYTES} bytes`);
    }
    if ((await tracks.count(videoId)) >= MAX_TRACKS_PER_VIDEO) throw tooMany();
    let clean: SanitizedCaptions;
    try {
      clean = await sanitizeCaptionsOffLoop(input.content, input.format);
    } catch (err) {
      if (err instanceof CaptionError) throw new ApiError(err.code, err.message, { line: err.line ?? null });
      if (err instanceof IsolateError)
        throw new ApiError('unavailable', 'too many caption files are being read; retry');
      throw err;
    }
    const trackId = newId();
    // The file before the row: a row is what makes a track visible, so it never points at nothing.
    await storage.writeTrack(videoId, trackId, clean.vtt);
    const row = await tracks.insert(
      {
        trackId,
        videoId,
        apiKey: principal.apiKey,
        language,
        label,
        kind,
        default: input.default ?? false,
        cueCount: clean.cueCount,
        bytes: Buffer.byteLength(clean.vtt, 'utf8'),
      },
      MAX_TRACKS_PER_VIDEO,
    );
    if (!row) {
      await storage.removeTrack(videoId, trackId);
      throw tooMany();
    }
    return this.#toTrack(row);
  }

  async list(principal: Principal, videoId: string): Promise<{ data: CaptionTrack[] }> {
    await this.#owned(principal, videoId);
    return { data: (await this.deps.tracks.listForVideo(videoId)).map((t) => this.#toTrack(t)) };
  }

  /** Makes a track the video's default (the one the player shows at start), or not. */
  async setDefault(
    principal: Principal,
    videoId: string,
    trackId: string,
    value: boolean,
  ): Promise<CaptionTrack> {
    await this.#owned(principal, videoId);
    if (!(await this.deps.tracks.setDefault(videoId, trackId, value)))
      throw new ApiError('not_found', `no track ${trackId} in video ${videoId}`);
    return this.#toTrack((await this.deps.tracks.get(trackId))!);
  }

  async delete(principal: Principal, videoId: string, trackId: string): Promise<void> {
    await this.#owned(principal, videoId);
    const track = await this.deps.tracks.get(trackId);
    if (!track || track.videoId !== videoId)
      throw new ApiError('not_found', `no track ${trackId} in video ${videoId}`);
    // The row before the file: once it is gone no playlist names the file.
    await this.deps.tracks.delete(trackId);
    await this.#outputs.removeTrack(videoId, trackId);
  }

  /**
   * For the public stream route: the master playlist with its subtitle group when the video has
   * tracks, and each track's playlist and WebVTT. Null means "serve the file on disk, if any".
   */
  async streamText(videoId: string, relative: string): Promise<StreamText | null> {
    const { tracks } = this.deps;
    const storage = this.#outputs;
    if (relative === MASTER_PLAYLIST) {
      const list = await tracks.listForVideo(videoId);
      if (list.length === 0) return null;
      const master = await storage.readText(videoId, MASTER_PLAYLIST);
      return master === null ? null : { body: withSubtitles(master, list), type: 'playlist' };
    }
    const m = TRACK_FILE.exec(relative);
    if (!m) return null;
    const track = await tracks.get(m[1]!);
    if (!track || track.videoId !== videoId) return null;
    if (m[2] === 'vtt') {
      const vtt = await storage.readTrack(videoId, track.trackId);
      return vtt === null ? null : { body: withTimestampMap(vtt, TIMELINE_LEAD_S), type: 'vtt' };
    }
    const job = await this.deps.jobs.getByVideo(videoId);
    const duration = (job && (await this.deps.files.get(job.fileId))?.metadata?.duration) || 0;
    // Without a probed duration (never for a playable video) one long segment still covers it.
    return { body: trackPlaylist(track.trackId, duration > 0 ? duration : 86_400), type: 'playlist' };
  }

  async #owned(principal: Principal, videoId: string): Promise<JobRow> {
    const job = await this.deps.jobs.getByVideo(videoId);
    // Someone else's video is as absent as a missing one.
    if (!job || job.apiKey !== principal.apiKey) throw new ApiError('not_found', `no video ${videoId}`);
    return job;
  }

  #toTrack(t: TrackRow): CaptionTrack {
    const base = `${this.deps.config.publicUrl}/stream/${t.videoId}`;
    return {
      trackId: t.trackId,
      videoId: t.videoId,
      language: t.language,
      label: t.label,
      kind: t.kind,
      default: t.default,
      cueCount: t.cueCount,
      bytes: t.bytes,
      url: `${base}/${SUBTITLES_DIR}/${trackVttName(t.trackId)}`,
      playlist: `${base}/${trackPlaylistPath(t.trackId)}`,
      createdAt: t.createdAt,
    };
  }
}

const tooMany = () =>
  new ApiError('too_many_tracks', `a video may have at most ${MAX_TRACKS_PER_VIDEO} tracks`);

/** A well-formed BCP 47 tag, canonicalized (`EN-us` → `en-US`), or a 400. */
export function canonicalLanguage(tag: string): string {
  const invalid = () =>
    new ApiError(
      'validation_failed',
      `"language" must be a BCP 47 language tag such as "en" or "pt-BR", not "${tag}"`,
    );
  if (typeof tag !== 'string' || !/^[A-Za-z0-9-]{2,35}$/.test(tag)) throw invalid();
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    if (!canonical) throw invalid();
    return canonical;
  } catch {
    throw invalid();
  }
}

/** The label as given (trimmed, printable), or the language's own name. */
function cleanLabel(label: string | undefined, language: string): string {
  if (label === undefined) {
    try {
      const name = new Intl.DisplayNames([language], { type: 'language' }).of(language);
      if (name) return name.charAt(0).toLocaleUpperCase(language) + name.slice(1);
    } catch {
      // Fall through: the tag itself is a label.
    }
    return language;
  }
  const clean = label.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
  if (clean.length === 0 || clean.length > MAX_LABEL_CHARS || /[\u0000-\u001F\u007F]/.test(clean)) {
    throw new ApiError('validation_failed', `"label" must be 1–${MAX_LABEL_CHARS} printable characters`);
  }
  return clean;
}
