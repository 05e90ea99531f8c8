import { request } from './api.ts';
import { notOnThisServer } from './feature-api.ts';

/**
 * The figures the Studio reads from `GET /v1/videos/:videoId/stats` (viewer analytics, issue 16):
 * totals, a series per bucket, and the startup-time histogram.
 */
export interface StudioStats {
  views: number;
  uniqueViewers: number;
  watchTimeS: number;
  startupMs: { p50: number | null; p95: number | null };
  rebufferRatio: number;
  errorRate: number;
  granularity: 'hour' | 'day';
  startupHistogram: { upToMs: number | null; count: number }[];
  series: { start: string; views: number; watchTimeS: number }[];
}

export async function statsOf(
  videoId: string,
  range: { from: Date; to: Date; granularity: 'hour' | 'day' },
): Promise<StudioStats | null> {
  const q = new URLSearchParams({
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    granularity: range.granularity,
  });
  try {
    return await request<StudioStats>('GET', `/v1/videos/${encodeURIComponent(videoId)}/stats?${q}`);
  } catch (err) {
    if (notOnThisServer(err)) return null;
    throw err;
  }
}

/** All-time views of a video for the list (the default range of the stats API); null when unknown. */
export async function viewsOf(videoId: string): Promise<number | null> {
  try {
    const stats = await request<StudioStats>('GET', `/v1/videos/${encodeURIComponent(videoId)}/stats`);
    return stats.views;
  } catch {
    return null;
  }
}
