import type { JobStatus } from '@vodkit/api';

export interface LiveStatus {
  status: JobStatus;
  progress: number;
}

const FINAL = new Set<JobStatus>(['completed', 'failed', 'cancelled']);
export const isFinal = (status: JobStatus): boolean => FINAL.has(status);

/**
 * Follows a video's encode over its Server-Sent Events (`/v1/videos/:id/events`; the session cookie
 * goes with the same-origin EventSource). Calls `onChange` for each event and closes itself once the
 * video is completed, failed or cancelled. Returns a function that closes it earlier.
 */
export function followVideo(videoId: string, onChange: (live: LiveStatus) => void): () => void {
  const source = new EventSource(`/v1/videos/${encodeURIComponent(videoId)}/events`);
  const handle = (event: MessageEvent<string>) => {
    const data = JSON.parse(event.data) as { status?: JobStatus; progress?: number };
    const status: JobStatus =
      data.status ??
      (event.type === 'completed' ? 'completed' : event.type === 'failed' ? 'failed' : 'processing');
    onChange({ status, progress: data.progress ?? (status === 'completed' ? 100 : 0) });
    if (isFinal(status)) source.close();
  };
  for (const name of ['progress', 'playable', 'completed', 'failed', 'started']) {
    source.addEventListener(name, handle as EventListener);
  }
  // A stream the server ends (session over) is not reopened in a loop.
  source.addEventListener('closed', () => source.close());
  return () => source.close();
}
