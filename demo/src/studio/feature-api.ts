import { VodkitError } from '@vodkit/api';

/**
 * True when the server has no such route (a server older than the feature): the Studio then says
 * the feature is not there instead of showing an error.
 */
export function notOnThisServer(err: unknown): boolean {
  return err instanceof VodkitError && err.status === 404 && /no route/.test(err.message);
}

/** The Studio's `<vod-player>` on the video page, for the tools that read or move its time. */
export function studioPlayer(): (HTMLElement & { currentTime: number; duration: number }) | null {
  return document.getElementById('studio-player') as
    | (HTMLElement & { currentTime: number; duration: number })
    | null;
}

/** Seconds as `m:ss.s`, for the time fields. */
export function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(1).padStart(4, '0')}`;
}
