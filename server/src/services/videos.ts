import type { Download, Page, PlaybackUrls, Video, VideoPictures } from '@vodkit/api';
import type { Config } from '../config.ts';
import type { FilesRepository, JobRow, JobsRepository, VideoFilter } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import { MASTER_PLAYLIST, POSTER_FILE } from '../media/layout.ts';
import type { Principal } from './auth.ts';

export interface VideoServiceDeps {
  config: Config;
  files: FilesRepository;
  jobs: JobsRepository;
  /** The storyboard and thumbnails on disk (services/pictures.ts). */
  pictures?: { describe(videoId: string): Promise<VideoPictures> };
  /** The chapters (services/chapters.ts). */
  chapters?: { list(videoId: string): Promise<Pick<Video, 'chapters' | 'chaptersUrl'>> };
}

/** Where a video plays. Protected videos will carry a playback token here (a later issue). */
export function playbackUrls(publicUrl: string, videoId: string): PlaybackUrls {
  return {
    hls: `${publicUrl}/stream/${videoId}/${MASTER_PLAYLIST}`,
    embed: `${publicUrl}/embed/${videoId}`,
    poster: `${publicUrl}/stream/${videoId}/${POSTER_FILE}`,
  };
}

/** Stored downloads carry paths relative to the video folder; the API shows full URLs. */
export function downloadUrls(publicUrl: string, videoId: string, downloads: readonly Download[]): Download[] {
  // Rows from before `format` existed hold MP4s only.
  return downloads.map((d) => ({
    ...d,
    format: d.format ?? 'mp4',
    url: `${publicUrl}/stream/${videoId}/${d.url}`,
  }));
}

/** A video's length: what the encode produced once known, else the probe's figure; null when neither is. */
export async function videoDuration(job: JobRow, files: FilesRepository): Promise<number | null> {
  if (job.outputDuration) return job.outputDuration;
  return (await files.get(job.fileId))?.metadata?.duration ?? null;
}

/** A video with how far its encode is: the first event of the SSE stream. */
export interface VideoState {
  video: Video;
  progress: number;
  error: { code: string; message: string } | null;
}

/** Videos are the viewer-facing side of encoder jobs: one video per job, playable before it completes. */
export class VideoService {
  constructor(readonly deps: VideoServiceDeps) {}

  async get(principal: Principal, videoId: string): Promise<Video> {
    return this.#toVideo(await this.#owned(principal, videoId));
  }

  /** The key's videos, newest first, by title and status (the Studio's list). */
  async list(principal: Principal, filter: VideoFilter, page: number, perPage: number): Promise<Page<Video>> {
    const { rows, total } = await this.deps.jobs.listVideos(principal.apiKey, filter, page, perPage);
    return {
      data: await Promise.all(rows.map((job) => this.#toVideo(job))),
      pageInfo: { page, perPage, total, lastPage: Math.max(1, Math.ceil(total / perPage)) },
    };
  }

  /** The video's own title (`PATCH /v1/videos/:id {title}`); null goes back to its file's. */
  async setTitle(principal: Principal, videoId: string, title: string | null): Promise<void> {
    await this.#owned(principal, videoId);
    const clean = title === null ? null : title.trim();
    if (clean === '') throw new ApiError('validation_failed', 'title must not be blank (null resets it)');
    await this.deps.jobs.setTitle(videoId, clean);
  }

  /**
   * What an embed page or oEmbed consumer may know of a video without an API token: it only exists
   * once it plays, and says nothing of its owner. Null when there is no such playable video.
   */
  async publicInfo(
    videoId: string,
  ): Promise<Pick<Video, 'title' | 'width' | 'height' | 'protected' | 'projection' | 'duration'> | null> {
    const job = await this.deps.jobs.getByVideo(videoId);
    if (!job?.playable) return null;
    const video = await this.#toVideo(job);
    return {
      title: video.title,
      width: video.width,
      height: video.height,
      protected: video.protected,
      projection: video.projection,
      duration: video.duration,
    };
  }

  async state(principal: Principal, videoId: string): Promise<VideoState> {
    const job = await this.#owned(principal, videoId);
    return { video: await this.#toVideo(job), progress: job.progress, error: job.error };
  }

  async #owned(principal: Principal, videoId: string): Promise<JobRow> {
    const job = await this.deps.jobs.getByVideo(videoId);
    // Someone else's video is as absent as a missing one: ids must not be probeable across keys.
    if (!job || job.apiKey !== principal.apiKey) {
      throw new ApiError('not_found', `no video ${videoId}`);
    }
    return job;
  }

  async #toVideo(job: JobRow): Promise<Video> {
    const file = await this.deps.files.get(job.fileId);
    const top = job.renditions.at(-1);
    return {
      videoId: job.videoId,
      fileId: job.fileId,
      jobId: job.jobId,
      status: job.status,
      // The video's own title (edited), else a clip's, else the file's.
      title: job.title ?? job.request.title ?? file?.title ?? file?.filename ?? null,
      // What the encode really produced once known; until then a clip's span, else the probe's (header) figure.
      duration: job.outputDuration ?? clipLength(job) ?? file?.metadata?.duration ?? null,
      width: top?.width ?? null,
      height: top?.height ?? null,
      projection: file?.metadata?.video?.projection ?? 'flat',
      protected: job.protected,
      renditions: job.renditions,
      playback: job.playable ? playbackUrls(this.deps.config.publicUrl, job.videoId) : null,
      ...((await this.deps.pictures?.describe(job.videoId)) ?? { storyboard: null, thumbnails: [] }),
      downloads: downloadUrls(this.deps.config.publicUrl, job.videoId, job.downloads),
      sourceRange: job.request.sourceRange ?? null,
      ...((await this.deps.chapters?.list(job.videoId)) ?? { chapters: [], chaptersUrl: null }),
      createdAt: job.createdAt,
    };
  }
}

const clipLength = (job: JobRow): number | null => {
  const r = job.request.sourceRange;
  return r ? Math.round((r.end - r.start) * 1000) / 1000 : null;
};
