import {
  type Chapter,
  MAX_CHAPTER_TITLE_CHARS,
  MAX_CHAPTERS,
  type SetChaptersRequest,
  type VideoChapters,
} from '@vodkit/api';
import type { Config } from '../config.ts';
import type { ChaptersRepository, FilesRepository, JobRow, JobsRepository } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import { CHAPTERS_FILE, chaptersVtt } from '../media/chapters.ts';
import { plainCueText } from '../media/vtt.ts';
import type { Principal } from './auth.ts';
import { videoDuration } from './videos.ts';

export interface ChaptersServiceDeps {
  config: Config;
  chapters: ChaptersRepository;
  jobs: JobsRepository;
  files: FilesRepository;
}

/**
 * Chapters of videos: validated and cleaned on the way in (starts sorted and inside the video, titles
 * plain text), served as WebVTT chapters to players and listed on the video.
 */
export class ChaptersService {
  constructor(readonly deps: ChaptersServiceDeps) {}

  async get(principal: Principal, videoId: string): Promise<VideoChapters> {
    await this.#owned(principal, videoId);
    return this.#describe(videoId, await this.deps.chapters.get(videoId));
  }

  async set(principal: Principal, videoId: string, body: SetChaptersRequest): Promise<VideoChapters> {
    const job = await this.#owned(principal, videoId);
    const chapters = validChapters(body.chapters, await this.#duration(job));
    await this.deps.chapters.set(videoId, chapters);
    return this.#describe(videoId, chapters);
  }

  /** The chapters as listed on the video DTO. */
  async list(videoId: string): Promise<{ chapters: Chapter[]; chaptersUrl: string | null }> {
    const chapters = await this.deps.chapters.get(videoId);
    return { chapters, chaptersUrl: this.#describe(videoId, chapters).url };
  }

  /** `chapters.vtt` for the stream route (behind the gate); null for an unknown video. */
  async vtt(videoId: string): Promise<string | null> {
    const job = await this.deps.jobs.getByVideo(videoId);
    if (!job) return null;
    return chaptersVtt(await this.deps.chapters.get(videoId), await this.#duration(job));
  }

  #describe(videoId: string, chapters: Chapter[]): VideoChapters {
    const url = chapters.length ? `${this.deps.config.publicUrl}/stream/${videoId}/${CHAPTERS_FILE}` : null;
    return { videoId, chapters, url };
  }

  #duration(job: JobRow): Promise<number | null> {
    return videoDuration(job, this.deps.files);
  }

  async #owned(principal: Principal, videoId: string): Promise<JobRow> {
    const job = await this.deps.jobs.getByVideo(videoId);
    // Someone else's video is as absent as a missing one.
    if (!job || job.apiKey !== principal.apiKey) throw new ApiError('not_found', `no video ${videoId}`);
    return job;
  }
}

/**
 * The chapters as stored: starts strictly increasing, each within [0, duration), at most
 * `MAX_CHAPTERS`; titles cleaned like caption text (`plainCueText`), 1…`MAX_CHAPTER_TITLE_CHARS`
 * characters once clean. Anything else is a 400 naming the chapter.
 */
export function validChapters(input: readonly Chapter[], duration: number | null): Chapter[] {
  const invalid = (message: string) => new ApiError('validation_failed', message);
  if (!Array.isArray(input)) throw invalid('"chapters" must be a list of {start, title}');
  if (input.length > MAX_CHAPTERS) throw invalid(`a video may have at most ${MAX_CHAPTERS} chapters`);
  let previous = -1;
  return input.map((chapter, i) => {
    const { start, title } = chapter;
    if (typeof start !== 'number' || !Number.isFinite(start) || start < 0) {
      throw invalid(`chapters[${i}].start must be a number of seconds ≥ 0`);
    }
    // Milliseconds: what WebVTT can say, so the list and the file agree.
    const at = Math.round(start * 1000) / 1000;
    if (at <= previous) {
      throw invalid(`chapters[${i}].start (${start}) must be after the chapter before it (${previous})`);
    }
    if (duration !== null && at >= duration) {
      throw invalid(`chapters[${i}].start (${start}) is not within the video (${duration} s)`);
    }
    previous = at;
    const clean = typeof title === 'string' ? plainCueText(title) : '';
    const length = Array.from(clean).length;
    if (length === 0 || length > MAX_CHAPTER_TITLE_CHARS) {
      throw invalid(`chapters[${i}].title must be 1–${MAX_CHAPTER_TITLE_CHARS} characters of text`);
    }
    return { start: at, title: clean };
  });
}
