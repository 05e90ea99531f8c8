import { html, nothing, type TemplateResult } from 'lit';
import type { UploadSnapshot } from './file-upload.ts';
import { formatBytes, formatEta, formatSpeed } from './format.ts';
import type { Messages } from './i18n.ts';
import { closeIcon, fileIcon } from './icons.ts';
import { downloadPercent, type ProcessingSnapshot } from './processing.ts';
import { isOnline } from './retry-policy.ts';

export type RowAction = 'start' | 'pause' | 'resume' | 'retry' | 'cancel' | 'remove';

export interface RowContext {
  messages: Messages;
  act: (key: string, action: RowAction) => void;
  /** Put a `<vod-player>` in the row once the video plays. */
  player: boolean;
  apiBase: string;
}

type Tone = 'accent' | 'muted' | 'success' | 'error';

/** The one button that changes with the phase: the same element throughout, so focus stays on it. */
const PRIMARY: Partial<
  Record<
    UploadSnapshot['phase'],
    { action: RowAction; label: 'upload' | 'pause' | 'resume' | 'retry'; primary: boolean }
  >
> = {
  ready: { action: 'start', label: 'upload', primary: true },
  queued: { action: 'pause', label: 'pause', primary: false },
  uploading: { action: 'pause', label: 'pause', primary: false },
  paused: { action: 'resume', label: 'resume', primary: true },
  error: { action: 'retry', label: 'retry', primary: true },
};

const PART: Record<RowAction, string> = {
  start: 'start-button',
  pause: 'pause-button',
  resume: 'resume-button',
  retry: 'retry-button',
  cancel: 'cancel-button',
  remove: 'remove-button',
};

/** One file: name, status pill, progress (upload, then encoding), stats, actions, and after it the video. */
export function renderRow(u: UploadSnapshot, ctx: RowContext): TemplateResult {
  const m = ctx.messages;
  const p = u.processing;
  const reconnecting = u.reconnecting || p?.reconnecting === true;
  const label = reconnecting ? m.reconnecting : p ? stageLabel(p, m) : m.status[u.phase];
  const tone = reconnecting ? 'muted' : p ? stageTone(p) : phaseTone(u.phase);
  // After the upload, Retry picks up processing that was interrupted (or makes a new job after a failed one).
  const primary = p?.retryable
    ? ({ action: 'retry', label: 'retry', primary: true } as const)
    : u.link && u.phase === 'uploading'
      ? undefined
      : PRIMARY[u.phase];
  const cancellable = u.phase !== 'complete' && u.phase !== 'rejected';
  const encoding = p && (p.stage === 'queued' || p.stage === 'encoding' || p.stage === 'playable');
  const downloading = p?.stage === 'downloading';
  const percent = encoding ? p.progress : downloading ? (downloadPercent(p.download) ?? 0) : u.percent;
  const stopped = p?.stage === 'rejected' || p?.stage === 'failed' || p?.stage === 'interrupted';
  const reason =
    u.error?.message ??
    (stopped && p.reason
      ? p.stage === 'failed' && p.retryable
        ? `${p.reason.message} ${m.retryEncode}`
        : p.reason.message
      : null);
  const fileId = u.result?.fileId ?? (u.link?.fileId || null);
  // A protected video waits for its playback token (minted before the job is followed).
  const playback =
    p?.videoId && (p.stage === 'playable' || p.stage === 'completed') && (!p.protected || p.playbackToken)
      ? p.videoId
      : null;
  return html`
    <li part="upload" class="upload" data-phase=${u.phase} data-stage=${p?.stage ?? nothing} data-tone=${tone}
      data-key=${u.key} aria-label=${m.uploadOf(u.filename)}>
      <div class="head">
        ${fileIcon}
        <span part="filename" class="filename" title=${u.filename}>${u.filename}</span>
        <span part="status" class="status" role="status">${label}</span>
        ${
          cancellable
            ? nothing
            : html`<button part="button remove-button" class="remove" type="button" aria-label=${m.remove(u.filename)}
                title=${m.remove(u.filename)} @click=${() => ctx.act(u.key, 'remove')}>${closeIcon}</button>`
        }
      </div>
      ${
        u.phase === 'rejected' || p?.stage === 'rejected'
          ? nothing
          : html`<div part="progress" class="progress" role="progressbar"
              aria-label=${encoding ? m.encodingLabel : m.progressLabel} aria-valuemin="0" aria-valuemax="100"
              aria-valuenow=${Math.floor(percent)}>
              <div part="progress-bar" class="bar" style=${`width: ${percent}%`}></div>
            </div>`
      }
      <div class="foot">
        <span part="stats" class="stats">${stats(u, m)}</span>
        <span part="actions" class="actions">
          ${
            primary
              ? html`<button part=${`button ${PART[primary.action]}`} class=${primary.primary ? 'primary' : ''}
                  type="button" @click=${() => ctx.act(u.key, primary.action)}>${m[primary.label]}</button>`
              : nothing
          }
          ${
            cancellable
              ? html`<button part="button cancel-button" type="button" @click=${() => ctx.act(u.key, 'cancel')}>
                  ${m.cancel}
                </button>`
              : nothing
          }
        </span>
      </div>
      ${
        reconnecting
          ? html`<p part="message" class="message">${isOnline() ? m.serverHint : m.offlineHint}</p>`
          : nothing
      }
      ${reason ? html`<p part="error" class="error" role="alert">${reason}</p>` : nothing}
      ${fileId ? html`<p part="result" class="result">${m.fileId} <code>${fileId}</code></p>` : nothing}
      ${
        ctx.player && playback
          ? html`<vod-player part="player" class="player" video-id=${playback} api-base=${ctx.apiBase}
              playback-token=${p?.playbackToken || nothing}></vod-player>`
          : nothing
      }
    </li>
  `;
}

function stageLabel(p: ProcessingSnapshot, m: Messages): string {
  if (p.stage === 'encoding' || p.stage === 'playable')
    return `${m.stage[p.stage]} ${Math.floor(p.progress)}%`;
  const downloaded = p.stage === 'downloading' ? downloadPercent(p.download) : null;
  if (downloaded !== null) return `${m.stage.downloading} ${Math.floor(downloaded)}%`;
  return m.stage[p.stage];
}

function stageTone(p: ProcessingSnapshot): Tone {
  switch (p.stage) {
    case 'rejected':
    case 'failed':
    case 'interrupted':
      return 'error';
    case 'queued':
      return 'muted';
    case 'downloading':
    case 'probing':
    case 'encoding':
      return 'accent';
    default:
      return 'success';
  }
}

function phaseTone(phase: UploadSnapshot['phase']): Tone {
  if (phase === 'complete') return 'success';
  if (phase === 'error' || phase === 'rejected') return 'error';
  if (phase === 'uploading') return 'accent';
  return 'muted';
}

function stats(u: UploadSnapshot, m: Messages) {
  const total = formatBytes(u.bytesTotal);
  const p = u.processing;
  if (p?.stage === 'queued' || p?.stage === 'encoding' || p?.stage === 'playable') {
    return html`<strong>${m.encodedPercent(Math.floor(p.progress))}</strong> · ${total}`;
  }
  if (p?.stage === 'downloading') {
    const bytes = formatBytes(p.download?.bytes ?? 0);
    const percent = downloadPercent(p.download);
    if (percent === null || !p.download?.total) return m.downloaded(bytes);
    return html`<strong>${Math.floor(percent)}%</strong> · ${m.of(bytes, formatBytes(p.download.total))}`;
  }
  if (u.link && !p) return u.link.url;
  if (p?.metadata && u.phase === 'complete') {
    const { video, duration } = p.metadata;
    const parts = [total, formatDuration(duration)];
    if (video) parts.push(`${video.width}×${video.height}`, video.codec);
    return html`<strong>100%</strong> · ${parts.join(' · ')}`;
  }
  if (u.phase === 'complete') return html`<strong>100%</strong> · ${total}`;
  if (u.phase === 'ready' || u.phase === 'rejected' || u.phase === 'queued') return total;
  const parts = [m.of(formatBytes(u.bytesUploaded), total)];
  if (u.phase === 'uploading' && u.speed !== null) parts.push(formatSpeed(u.speed));
  if (u.phase === 'uploading' && u.eta !== null) parts.push(m.left(formatEta(u.eta)));
  return html`<strong>${Math.floor(u.percent)}%</strong> · ${parts.join(' · ')}`;
}

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
