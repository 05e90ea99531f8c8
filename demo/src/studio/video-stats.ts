import type { StatsGranularity, Video, VideoStats } from '@vodkit/api';
import { request } from './api.ts';
import { notOnThisServer } from './feature-api.ts';

/** `GET /v1/videos/:videoId/stats` over a range; null when the server has no stats API. */
export async function statsOf(
  videoId: string,
  range: { from: Date; to: Date; granularity: StatsGranularity },
): Promise<VideoStats | null> {
  const q = new URLSearchParams({
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    granularity: range.granularity,
  });
  try {
    return await request<VideoStats>('GET', `/v1/videos/${encodeURIComponent(videoId)}/stats?${q}`);
  } catch (err) {
    if (notOnThisServer(err)) return null;
    throw err;
  }
}

/** A video's views since it was made (daily buckets), for the list; null when unknown. */
export async function viewsOf(video: Video): Promise<number | null> {
  try {
    const stats = await statsOf(video.videoId, {
      from: new Date(video.createdAt),
      to: new Date(),
      granularity: 'day',
    });
    return stats?.views ?? null;
  } catch {
    return null;
  }
}
