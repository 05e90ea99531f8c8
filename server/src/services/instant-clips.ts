import type { FilesRepository, JobsRepository } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import { type ClipRange, clipMediaPlaylist, withStart } from '../media/instant-clip.ts';
import { MASTER_PLAYLIST } from '../media/layout.ts';
import { readLines } from '../media/m3u8.ts';
import type { VideoOutputs } from '../storage/outputs.ts';
import { addPlaylistParams } from './playlist-uris.ts';
import { videoDuration } from './videos.ts';

export interface InstantClipDeps {
  jobs: JobsRepository;
  files: FilesRepository;
  outputs: VideoOutputs;
  /** Generated playlists (the master with its subtitle group, track playlists): services/tracks.ts. */
  streamText(videoId: string, relative: string): Promise<{ body: string } | null>;
}

/** Seconds as a query value: plain decimal, at most 6 digits before and after the point. */
const SECONDS = /^\d{1,6}(\.\d{1,6})?$/;

/** Whether a /stream request asks for an instant clip (`?start=` and/or `?end=`). */
export function isClipQuery(query: unknown): boolean {
  const q = query as { start?: unknown; end?: unknown } | null;
  return q != null && (q.start !== undefined || q.end !== undefined);
}

/**
 * Instant clips (`/stream/:videoId/*.m3u8?start=&end=`): the video's own playlists cut down to the
 * segments that cover the span, without a new encode. The master hands the same `start`/`end` to every
 * playlist it lists (beside the gate's `sig=` for a protected video), and says where in its first
 * segment the clip starts (`#EXT-X-START`). Segments are the video's, so they may overhang the span:
 * the player starts at `start` and stops at `end` (see `<vod-player start end>`).
 */
export class InstantClipService {
  constructor(readonly deps: InstantClipDeps) {}

  /** The clipped playlist `relative` of the video; null when the video or that playlist is not there. */
  async playlist(videoId: string, relative: string, query: unknown): Promise<string | null> {
    const job = await this.deps.jobs.getByVideo(videoId);
    if (!job) return null;
    const range = clipRange(query, await videoDuration(job, this.deps.files));
    const text = await this.#read(videoId, relative);
    if (text === null) return null;
    if (relative !== MASTER_PLAYLIST) return clipMediaPlaylist(text, range).text;
    // Every variant's segments line up (one segment grid for the ladder): the first one says the offset.
    const variant = firstVariant(text);
    const media = variant ? await this.#read(videoId, variant) : null;
    const first = media ? clipMediaPlaylist(media, range).firstSegmentStart : null;
    const master = addPlaylistParams(text, { start: String(range.start), end: String(range.end) });
    return first === null ? master : withStart(master, range.start - first);
  }

  async #read(videoId: string, relative: string): Promise<string | null> {
    return (
      (await this.deps.streamText(videoId, relative))?.body ??
      (await this.deps.outputs.readText(videoId, relative))
    );
  }
}

/**
 * The span asked for: `start` defaults to 0 and `end` to the video's end. Plain decimal seconds,
 * `start` < `end`, both within the video (1 ms of rounding allowed at the end); else 400.
 */
export function clipRange(query: unknown, duration: number | null): ClipRange {
  const q = (query ?? {}) as { start?: unknown; end?: unknown };
  const read = (name: 'start' | 'end'): number | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !SECONDS.test(v)) {
      throw new ApiError('validation_failed', `"${name}" must be a number of seconds, such as 12.5`);
    }
    return Number(v);
  };
  const start = read('start') ?? 0;
  const end = read('end') ?? duration;
  if (end === null)
    throw new ApiError('validation_failed', '"end" is required: the video has no known length yet');
  if (end <= start)
    throw new ApiError('validation_failed', `"end" (${end}) must be after "start" (${start})`);
  if (duration !== null && (start >= duration || end > duration + 0.001)) {
    throw new ApiError('validation_failed', `[${start}, ${end}] is not within the video (${duration} s)`);
  }
  return { start, end };
}

/** The URI of a master's first `#EXT-X-STREAM-INF`, without its query; null when there is none. */
function firstVariant(master: string): string | null {
  let inf = false;
  for (const line of readLines(master)) {
    if (line.kind === 'tag') inf = line.name === '#EXT-X-STREAM-INF';
    else if (line.kind === 'uri' && inf) return line.uri.split('?')[0]!;
  }
  return null;
}
