import '@vodkit/player';
import '@vodkit/uploader';
import { type EncoderJob, type FileRecord, responsiveIframe, VodkitClient } from '@vodkit/api';
import { appToken } from './app-token.ts';
import { metadataRows } from './format.ts';

const client = new VodkitClient({ baseUrl: '', token: appToken });
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function show(id: string): void {
  $(id).hidden = false;
}

function fail(message: string): void {
  const el = $('error');
  el.textContent = message;
  el.hidden = false;
}

function renderMetadata(file: FileRecord): void {
  show('step-metadata');
  const box = $('metadata');
  box.replaceChildren();
  if (file.status === 'rejected') {
    box.textContent = `Rejected: ${file.reason?.message ?? 'unknown reason'} (${file.reason?.code})`;
    box.className = 'error';
    return;
  }
  if (file.probeMs !== null) $('probe-time').textContent = `probed in ${file.probeMs.toFixed(0)} ms`;
  const dl = document.createElement('dl');
  dl.className = 'meta';
  dl.dataset.testid = 'metadata';
  for (const [label, value] of metadataRows(file)) {
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = value;
    dl.append(dt, dd);
  }
  box.append(dl);
}

function renderJob(job: EncoderJob): void {
  $('encode-bar').style.width = `${job.progress}%`;
  $('encode-bar').parentElement?.setAttribute('aria-valuenow', String(Math.round(job.progress)));
  $('encode-status').textContent =
    job.status === 'processing' ? `encoding ${Math.round(job.progress)}%` : job.status;
  if (job.renditions.length) {
    $('renditions').textContent =
      `Renditions: ${job.renditions.map((r) => `${r.width}×${r.height}`).join(', ')}`;
  }
}

function renderPlayer(job: EncoderJob): void {
  if (!$('step-watch').hidden) return;
  show('step-watch');
  const player = document.createElement('vod-player');
  player.setAttribute('video-id', job.videoId);
  player.setAttribute('api-base', location.origin);
  player.setAttribute('muted', '');
  player.setAttribute('autoplay', '');
  $('player-slot').replaceChildren(player);
  // The player's quality-of-experience events, as a page would send them to its analytics.
  const qoe = () => {
    const q = player.qoe;
    $('qoe').textContent =
      `Startup ${q.startupMs === null ? '—' : `${q.startupMs} ms`} · rebuffering ${q.rebufferCount}× ` +
      `(${(q.rebufferMs / 1000).toFixed(1)} s) · rendition switches ${q.renditionSwitches}`;
  };
  for (const type of [
    'vod-startup',
    'vod-rebuffer-start',
    'vod-rebuffer-end',
    'vod-quality-change',
  ] as const) {
    player.addEventListener(type, qoe);
  }

  show('step-embed');
  $('embed-tag').textContent =
    `<script type="module" src="${location.origin}/sdk/vodkit-player.js"></script>\n` +
    `<vod-player video-id="${job.videoId}" api-base="${location.origin}"></vod-player>`;
  // Responsive: the frame keeps the video's shape at any width (the top rendition's, else 16:9).
  const top = job.renditions.at(-1);
  $('embed-iframe').textContent = responsiveIframe(
    job.playback?.embed ?? `${location.origin}/embed/${job.videoId}`,
    { width: top?.width, height: top?.height },
  );
}

/** The fields of a job that the video's server-sent events carry. */
type JobPatch = Partial<Pick<EncoderJob, 'status' | 'progress' | 'playback' | 'renditions' | 'error'>>;

function pick(data: Record<string, unknown>): JobPatch {
  const patch: Record<string, unknown> = {};
  for (const key of ['status', 'progress', 'playback', 'renditions', 'error'] as const) {
    if (data[key] !== undefined) patch[key] = data[key];
  }
  return patch as JobPatch;
}

/**
 * Live progress over Server-Sent Events (`/v1/videos/:id/events`; EventSource cannot set headers,
 * so the token rides in the query). Falls back to polling the job if the stream cannot be had.
 */
async function followJob(job: EncoderJob): Promise<void> {
  show('step-encode');
  const update = (patch: JobPatch): void => {
    job = { ...job, ...patch };
    renderJob(job);
    if (job.playback) renderPlayer(job);
  };
  update({});
  const url = `/v1/videos/${job.videoId}/events?token=${encodeURIComponent(await appToken())}`;
  const source = new EventSource(url);
  await new Promise<void>((resolve) => {
    const on = (type: string, extra: JobPatch, last = false) =>
      source.addEventListener(type, (event) => {
        update({ ...pick(JSON.parse((event as MessageEvent<string>).data)), ...extra });
        if (!last) return;
        source.close();
        resolve();
      });
    on('progress', { status: 'processing' });
    on('playable', {});
    on('completed', { status: 'completed', progress: 100 }, true);
    on('failed', {}, true);
    source.onerror = () => {
      // The browser retries a dropped stream itself; a refused one (expired token) is closed for good.
      if (source.readyState === EventSource.CLOSED) resolve();
    };
  });
  if (job.status !== 'completed' && job.status !== 'failed' && job.status !== 'cancelled')
    job = await pollJob(job);
  if (job.status === 'failed' || job.status === 'cancelled')
    fail(`Encoding ${job.status}: ${job.error?.message ?? ''}`);
  if (job.status === 'completed') await addChapters(job);
}

/**
 * Chapters, as an app would set them (`PUT /v1/videos/:id/chapters`): here three at the video's thirds.
 * The player then shows them (seek-bar marks, titles in the preview, the chapters menu, N/P keys).
 */
async function addChapters(job: EncoderJob): Promise<void> {
  const video = await client.getVideo(job.videoId);
  if (!video.duration || video.duration < 3) return;
  const third = Math.floor((video.duration / 3) * 10) / 10;
  const set = await client.setChapters(job.videoId, [
    { start: 0, title: 'Opening' },
    { start: third, title: 'Middle' },
    { start: 2 * third, title: 'Ending' },
  ]);
  // The player read the (then empty) chapters file when it started: a new element reads them.
  const player = $('player-slot').querySelector('vod-player') as
    | (HTMLElement & { paused: boolean; currentTime: number })
    | null;
  if (set.url && player) {
    const swap = () => {
      const fresh = player.cloneNode() as HTMLElement;
      // Someone who has watched is not started over; a player still waiting to autoplay still does.
      if (player.currentTime > 0) fresh.removeAttribute('autoplay');
      player.replaceWith(fresh);
    };
    // Never cut off a viewer: an autoplaying or started player is swapped once it ends (a pause may be
    // the player holding back from the edge of a video still encoding, and resumes on its own).
    if (player.currentTime === 0 && !player.hasAttribute('autoplay')) swap();
    else player.addEventListener('ended', swap, { once: true });
  }
  const note = $('chapters');
  note.textContent = `Chapters (set with PUT /v1/videos/${job.videoId}/chapters): ${set.chapters
    .map((c) => `${c.title} at ${c.start.toFixed(1)} s`)
    .join(', ')}. Press N / P in the player for the next / previous chapter.`;
  note.hidden = false;
}

async function pollJob(job: EncoderJob): Promise<EncoderJob> {
  while (job.status === 'queued' || job.status === 'processing') {
    await new Promise((r) => setTimeout(r, 1000));
    job = await client.getJob(job.jobId);
    renderJob(job);
    if (job.playback) renderPlayer(job);
  }
  return job;
}

$('uploader').addEventListener('vod-upload-complete', async (event) => {
  try {
    const file = await client.getFile(event.detail.fileId);
    renderMetadata(file);
    if (file.status !== 'ready') return;
    await followJob(await client.createJob({ fileId: file.fileId }));
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
});

for (const button of document.querySelectorAll<HTMLButtonElement>('button.copy')) {
  button.addEventListener('click', async () => {
    await navigator.clipboard.writeText($(button.dataset.copy!).textContent ?? '');
    button.textContent = 'Copied';
    setTimeout(() => {
      button.textContent = 'Copy';
    }, 1500);
  });
}
