import { css, html, LitElement, nothing } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { fire, type VodUploadEventDetails, type VodUploadEventName } from './events.ts';
import { formatBytes, formatEta, formatSpeed } from './format.ts';
import { TokenSource } from './token-source.ts';
import { type UploadSettings, type UploadSnapshot, UppyController } from './uppy-controller.ts';

type CompleteDetail = VodUploadEventDetails['vod-upload-complete'];

/** Rejection of `upload()`: the same `code` and `message` as the `vod-upload-error` event. */
export class VodUploadError extends Error {
  override readonly name = 'VodUploadError';
  constructor(
    readonly code: VodUploadEventDetails['vod-upload-error']['code'],
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** `auto-start` is on unless the attribute says `false`. */
const booleanDefaultTrue = {
  fromAttribute: (value: string | null) => value === null || value !== 'false',
  toAttribute: (value: boolean) => (value ? null : 'false'),
};

const numberOrNull = {
  fromAttribute: (value: string | null) => {
    const n = value === null || value.trim() === '' ? Number.NaN : Number(value);
    return Number.isFinite(n) && n > 0 ? n : null;
  },
};

const STATUS_LABEL: Record<UploadSnapshot['phase'], string> = {
  ready: 'Ready',
  uploading: 'Uploading',
  paused: 'Paused',
  complete: 'Uploaded',
  error: 'Failed',
  rejected: 'Not accepted',
};

/**
 * A resumable video upload: a drop zone and a file picker, then the upload's progress, speed and time
 * left, with pause, resume, cancel and retry. Uploads go over tus to Vodkit's `/v1/uploads`; the tus
 * upload id is the Vodkit file id. A page reload loses nothing: picking the same file again continues
 * from the server's offset.
 *
 * Authorisation: `token` (an API JWT with `allow_upload`) or `token-url` (your app server: POSTed for
 * `{token, expiresAt?}` before each upload or resume, and again when the server answers 401).
 *
 * @fires vod-upload-start - `{filename, size}` when a file's upload begins.
 * @fires vod-upload-progress - `{bytesUploaded, bytesTotal, percent}` as the server acknowledges bytes.
 * @fires vod-upload-complete - `{fileId, uploadUrl, filename, size}` once every byte is on the server.
 * @fires vod-upload-error - `{code, message, status?}` when a file is refused or the upload fails.
 * @fires vod-upload-cancel - `{filename}` when the upload is cancelled.
 *
 * @csspart base - The wrapper of everything.
 * @csspart drop-zone - The area that takes dropped files; also `drop-zone-active` while a file hovers it.
 * @csspart icon - The upload icon in the drop zone.
 * @csspart prompt - The drop zone's headline.
 * @csspart choose-button - The "Choose a file" button.
 * @csspart hint - The accepted types and size limit under it.
 * @csspart upload - The card of the current upload.
 * @csspart filename - The file's name.
 * @csspart status - The state label (Uploading, Paused, Uploaded, Failed).
 * @csspart progress - The progress track (`role=progressbar`).
 * @csspart progress-bar - The filled part of the track.
 * @csspart stats - Percent, bytes sent of total, speed and time left.
 * @csspart actions - The row of buttons.
 * @csspart button - Every action button; each also has its own part: `start-button`, `pause-button`,
 *   `resume-button`, `cancel-button`, `retry-button`.
 * @csspart error - The error message.
 * @csspart result - The file id shown once the upload is complete.
 *
 * @cssprop [--vod-uploader-font=14px/1.45 system-ui, sans-serif] - Font of the element.
 * @cssprop [--vod-uploader-color=#1f2430] - Text colour.
 * @cssprop [--vod-uploader-muted-color=#667085] - Secondary text (hint, stats).
 * @cssprop [--vod-uploader-accent=#4f46e5] - Buttons, progress bar, the drop zone's hover state.
 * @cssprop [--vod-uploader-accent-contrast=#fff] - Text on accent-coloured buttons.
 * @cssprop [--vod-uploader-background=#f8f9fc] - The drop zone.
 * @cssprop [--vod-uploader-drop-background] - The drop zone while a file hovers it (accent tint).
 * @cssprop [--vod-uploader-surface=#fff] - The upload card.
 * @cssprop [--vod-uploader-border-color=#d0d5dd] - Borders and the progress track.
 * @cssprop [--vod-uploader-radius=12px] - Corner radius of the drop zone and the card.
 * @cssprop [--vod-uploader-success=#12805c] - The progress bar and label once uploaded.
 * @cssprop [--vod-uploader-error=#c4320a] - Error text and the failed progress bar.
 */
export class VodUploader extends LitElement {
  static override styles = css`
    :host {
      --_accent: var(--vod-uploader-accent, #4f46e5);
      --_border: var(--vod-uploader-border-color, #d0d5dd);
      --_muted: var(--vod-uploader-muted-color, #667085);
      --_radius: var(--vod-uploader-radius, 12px);
      --_success: var(--vod-uploader-success, #12805c);
      --_error: var(--vod-uploader-error, #c4320a);
      display: block;
      font: var(--vod-uploader-font, 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
      color: var(--vod-uploader-color, #1f2430);
    }
    :host([hidden]) {
      display: none;
    }
    * {
      box-sizing: border-box;
    }
    .drop-zone {
      display: flex;
      flex-direction: column;
      align-items: center;
      gap: 6px;
      padding: 28px 20px 24px;
      border: 2px dashed var(--_border);
      border-radius: var(--_radius);
      background: var(--vod-uploader-background, #f8f9fc);
      text-align: center;
      cursor: pointer;
      transition:
        border-color 0.15s,
        background-color 0.15s,
        transform 0.15s;
    }
    .drop-zone:hover {
      border-color: color-mix(in srgb, var(--_accent) 55%, var(--_border));
    }
    .drop-zone.active {
      border-color: var(--_accent);
      border-style: solid;
      background: var(--vod-uploader-drop-background, color-mix(in srgb, var(--_accent) 9%, #fff));
      transform: scale(1.01);
    }
    .drop-zone[data-busy] {
      cursor: default;
      opacity: 0.55;
      border-color: var(--_border);
      transform: none;
    }
    .icon {
      width: 40px;
      height: 40px;
      color: var(--_accent);
      pointer-events: none;
    }
    .prompt {
      margin: 2px 0 0;
      font-weight: 600;
      pointer-events: none;
    }
    .or {
      color: var(--_muted);
      font-size: 0.9em;
      pointer-events: none;
    }
    button {
      font: inherit;
      cursor: pointer;
      border-radius: 8px;
      padding: 6px 14px;
      border: 1px solid var(--_border);
      background: var(--vod-uploader-surface, #fff);
      color: inherit;
      transition:
        background-color 0.15s,
        border-color 0.15s;
    }
    button:hover:not(:disabled) {
      border-color: color-mix(in srgb, var(--_accent) 50%, var(--_border));
    }
    button:focus-visible {
      outline: 2px solid var(--_accent);
      outline-offset: 2px;
    }
    button:disabled {
      cursor: default;
    }
    button.primary {
      border-color: transparent;
      background: var(--_accent);
      color: var(--vod-uploader-accent-contrast, #fff);
      font-weight: 600;
    }
    button.primary:hover:not(:disabled) {
      background: color-mix(in srgb, var(--_accent) 88%, #000);
    }
    .hint {
      margin: 4px 0 0;
      color: var(--_muted);
      font-size: 0.86em;
      pointer-events: none;
    }
    input[type='file'] {
      display: none;
    }
    .upload {
      margin-top: 12px;
      padding: 14px 16px;
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      background: var(--vod-uploader-surface, #fff);
      box-shadow: 0 1px 2px rgb(16 24 40 / 6%);
    }
    .head {
      display: flex;
      align-items: center;
      gap: 10px;
    }
    .file-icon {
      flex: none;
      width: 20px;
      height: 20px;
      color: var(--_muted);
    }
    .filename {
      flex: 1;
      min-width: 0;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
      font-weight: 600;
    }
    .status {
      flex: none;
      padding: 1px 8px;
      border-radius: 999px;
      font-size: 0.8em;
      font-weight: 600;
      background: color-mix(in srgb, var(--_accent) 12%, #fff);
      color: var(--_accent);
    }
    .upload[data-phase='paused'] .status,
    .upload[data-phase='ready'] .status {
      background: color-mix(in srgb, var(--_muted) 14%, #fff);
      color: var(--_muted);
    }
    .upload[data-phase='complete'] .status {
      background: color-mix(in srgb, var(--_success) 12%, #fff);
      color: var(--_success);
    }
    .upload[data-phase='error'] .status,
    .upload[data-phase='rejected'] .status {
      background: color-mix(in srgb, var(--_error) 12%, #fff);
      color: var(--_error);
    }
    .progress {
      margin: 12px 0 8px;
      height: 8px;
      border-radius: 999px;
      background: color-mix(in srgb, var(--_border) 55%, #fff);
      overflow: hidden;
    }
    .bar {
      height: 100%;
      border-radius: inherit;
      background: var(--_accent);
      /* Short: progress lands many times a second, and a long transition would trail the percentage. */
      transition: width 0.1s linear;
    }
    .upload[data-phase='paused'] .bar {
      background: color-mix(in srgb, var(--_accent) 45%, #fff);
    }
    .upload[data-phase='complete'] .bar {
      background: var(--_success);
    }
    .upload[data-phase='error'] .bar,
    .upload[data-phase='rejected'] .bar {
      background: var(--_error);
    }
    .foot {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      justify-content: space-between;
      gap: 8px 16px;
    }
    .stats {
      color: var(--_muted);
      font-size: 0.88em;
      font-variant-numeric: tabular-nums;
    }
    .stats strong {
      color: var(--vod-uploader-color, #1f2430);
      font-weight: 600;
    }
    .actions {
      display: flex;
      gap: 8px;
    }
    .actions button {
      padding: 4px 12px;
      font-size: 0.9em;
    }
    .error {
      margin: 10px 0 0;
      color: var(--_error);
      font-size: 0.92em;
    }
    .result {
      margin: 8px 0 0;
      color: var(--_muted);
      font-size: 0.86em;
    }
    .result code {
      font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
      color: var(--vod-uploader-color, #1f2430);
    }
  `;

  /** The tus creation endpoint; default `${api-base}/v1/uploads`. */
  @property() endpoint: string | null = null;

  /** Where the Vodkit API answers; default the page's origin. */
  @property({ attribute: 'api-base' }) apiBase: string | null = null;

  /** An API JWT with `allow_upload`. Ignored when `token-url` is set. */
  @property() token: string | null = null;

  /** Your app server's token endpoint: POSTed, answers `{token, expiresAt?}`. */
  @property({ attribute: 'token-url' }) tokenUrl: string | null = null;

  /** Largest file accepted, in bytes; bigger ones are refused before any request. */
  @property({ attribute: 'max-size', converter: numberOrNull }) maxSize: number | null = null;

  /** Accepted types, as the file input's `accept`: MIME types, wildcards and extensions. */
  @property() accept = 'video/*,audio/*';

  /** Bytes per PATCH request; default none: the rest of the file in one request. */
  @property({ attribute: 'chunk-size', converter: numberOrNull }) chunkSize: number | null = null;

  /** Start uploading as soon as a file is picked; `auto-start="false"` waits for `start()`. */
  @property({ attribute: 'auto-start', converter: booleanDefaultTrue }) autoStart = true;

  // `title` is the native attribute: its value is sent as the upload's title when a file is added.

  @state() private dragging = false;

  @query('input[type=file]') private input!: HTMLInputElement;

  #tokens: { token: string | null; tokenUrl: string | null; source: TokenSource } | null = null;
  readonly #uploads = new UppyController(
    this,
    () => this.#settings(),
    (type, detail) => this.#fire(type, detail),
  );

  /** The current upload as the element shows it, or null before the first file. */
  get state(): Readonly<UploadSnapshot> | null {
    return this.#uploads.upload;
  }

  /**
   * Uploads a file without the picker; settles with the first outcome (complete, error or cancel).
   * Rejects at once with code `conflict` while another upload is under way.
   */
  upload(file: File): Promise<CompleteDetail> {
    const current = this.#uploads.upload;
    if (this.#busy && current) {
      const message = `“${current.filename}” is still uploading: cancel it first.`;
      return Promise.reject(new VodUploadError('conflict', message));
    }
    return new Promise<CompleteDetail>((resolve, reject) => {
      const events = ['vod-upload-complete', 'vod-upload-error', 'vod-upload-cancel'] as const;
      const stopListening = () => {
        for (const type of events) this.removeEventListener(type, settle);
      };
      const settle = (e: Event) => {
        stopListening();
        if (e.type === 'vod-upload-complete') {
          resolve((e as CustomEvent<CompleteDetail>).detail);
        } else if (e.type === 'vod-upload-cancel') {
          reject(new DOMException('The upload was cancelled.', 'AbortError'));
        } else {
          const { detail } = e as CustomEvent<VodUploadEventDetails['vod-upload-error']>;
          reject(new VodUploadError(detail.code, detail.message, detail.status));
        }
      };
      for (const type of events) this.addEventListener(type, settle);
      try {
        this.#uploads.sync();
        if (this.#uploads.add(file)) this.#uploads.start();
      } catch (err) {
        stopListening();
        reject(err);
      }
    });
  }

  /** Starts an added file (only needed with `auto-start="false"`). */
  start(): void {
    this.#uploads.start();
  }

  pause(): void {
    this.#uploads.pause();
  }

  /** Continues a paused upload from the server's offset (with a fresh token). */
  resume(): void {
    this.#uploads.resume();
  }

  /** Stops the upload and deletes what was sent of it on the server. */
  cancel(): void {
    this.#uploads.cancel();
  }

  /** Tries a failed upload again, from where the server has it. */
  retry(): void {
    this.#uploads.retry();
  }

  protected override willUpdate(): void {
    this.#uploads.sync();
  }

  #settings(): UploadSettings {
    const base = (this.apiBase || (typeof location === 'undefined' ? '' : location.origin)).replace(
      /\/+$/,
      '',
    );
    return {
      endpoint: this.endpoint || `${base}/v1/uploads`,
      chunkSize: this.chunkSize,
      maxSize: this.maxSize,
      accept: this.#acceptList(),
      title: this.title || null,
      tokens: this.#tokenSource(),
    };
  }

  #acceptList(): string[] {
    return this.accept
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
  }

  /** One source per `token`/`token-url` pair, so a fetched token is reused until it goes stale. */
  #tokenSource(): TokenSource {
    const { token, tokenUrl } = this;
    if (this.#tokens?.token !== token || this.#tokens.tokenUrl !== tokenUrl) {
      this.#tokens = { token, tokenUrl, source: new TokenSource({ token, tokenUrl }) };
    }
    return this.#tokens.source;
  }

  #fire<K extends VodUploadEventName>(type: K, detail: VodUploadEventDetails[K]): void {
    fire(this, type, detail);
  }

  get #busy(): boolean {
    return this.#uploads.busy;
  }

  #take(files: FileList | null | undefined): void {
    const file = files?.[0];
    if (!file || this.#busy) return;
    // `title` is no reactive property: read it (and anything changed since the last render) now.
    this.#uploads.sync();
    if (this.#uploads.add(file) && this.autoStart) this.#uploads.start();
  }

  #onZoneClick(): void {
    if (!this.#busy) this.input.click();
  }

  #onPicked(): void {
    this.#take(this.input.files);
    // Let the same file be picked again (after a cancel, or to resume after a failure).
    this.input.value = '';
  }

  #onDragOver(e: DragEvent): void {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = this.#busy ? 'none' : 'copy';
    this.dragging = !this.#busy;
  }

  #onDragLeave(e: DragEvent): void {
    // Leaving for a child of the zone is not leaving the zone.
    const to = e.relatedTarget as Node | null;
    if (!to || !(e.currentTarget as Node).contains(to)) this.dragging = false;
  }

  #onDrop(e: DragEvent): void {
    e.preventDefault();
    this.dragging = false;
    this.#take(e.dataTransfer?.files);
  }

  #hint(): string {
    const accept = this.#acceptList();
    const kinds =
      accept.join() === 'video/*,audio/*'
        ? 'Video or audio'
        : accept.join(', ').replace(/\b(video|audio|image)\/\*/g, (_, k: string) => k);
    return this.maxSize ? `${kinds} · up to ${formatBytes(this.maxSize, { trim: true })}` : kinds;
  }

  protected override render() {
    const upload = this.#uploads.upload;
    const busy = this.#busy;
    return html`
      <div part="base" class="base">
        <div
          part=${this.dragging ? 'drop-zone drop-zone-active' : 'drop-zone'}
          class=${this.dragging ? 'drop-zone active' : 'drop-zone'}
          ?data-busy=${busy}
          @click=${this.#onZoneClick}
          @dragenter=${this.#onDragOver}
          @dragover=${this.#onDragOver}
          @dragleave=${this.#onDragLeave}
          @drop=${this.#onDrop}
        >
          <svg part="icon" class="icon" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6"
            stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
            <path d="M7 18a4.5 4.5 0 0 1-.6-8.96A6 6 0 0 1 18 8.5a4 4 0 0 1-.5 9.5" />
            <path d="M12 12v8M8.8 15.2 12 12l3.2 3.2" />
          </svg>
          <p part="prompt" class="prompt">${this.dragging ? 'Drop to upload' : 'Drag a video here'}</p>
          <span class="or">or</span>
          <button part="choose-button" class="primary" type="button" ?disabled=${busy}>Choose a file</button>
          <p part="hint" class="hint">${this.#hint()}</p>
          <input type="file" accept=${this.accept} @change=${this.#onPicked} @click=${stop} />
        </div>
        ${upload ? this.#renderUpload(upload) : nothing}
      </div>
    `;
  }

  #renderUpload(u: UploadSnapshot) {
    return html`
      <div part="upload" class="upload" data-phase=${u.phase} aria-label=${`Upload of ${u.filename}`}>
        <div class="head">
          <svg class="file-icon" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6"
            stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
            <rect x="3" y="5" width="18" height="14" rx="2" /><path d="m10 9.5 4.5 2.5-4.5 2.5z" />
          </svg>
          <span part="filename" class="filename" title=${u.filename}>${u.filename}</span>
          <span part="status" class="status" role="status">${STATUS_LABEL[u.phase]}</span>
        </div>
        ${u.phase === 'rejected' ? nothing : this.#renderProgress(u)}
        ${u.error ? html`<p part="error" class="error" role="alert">${u.error.message}</p>` : nothing}
        ${
          u.result
            ? html`<p part="result" class="result">File id <code>${u.result.fileId}</code></p>`
            : nothing
        }
      </div>
    `;
  }

  #renderProgress(u: UploadSnapshot) {
    const sending = u.phase === 'uploading' || u.phase === 'paused';
    return html`
        <div
          part="progress"
          class="progress"
          role="progressbar"
          aria-label="Upload progress"
          aria-valuemin="0"
          aria-valuemax="100"
          aria-valuenow=${Math.floor(u.percent)}
        >
          <div part="progress-bar" class="bar" style=${`width: ${u.percent}%`}></div>
        </div>
        <div class="foot">
          <span part="stats" class="stats">${this.#stats(u)}</span>
          <span part="actions" class="actions">
            ${
              u.phase === 'ready'
                ? html`<button part="button start-button" class="primary" type="button" @click=${this.start}>
                    Upload
                  </button>`
                : nothing
            }
            ${
              u.phase === 'uploading'
                ? html`<button part="button pause-button" type="button" @click=${this.pause}>Pause</button>`
                : nothing
            }
            ${
              u.phase === 'paused'
                ? html`<button part="button resume-button" class="primary" type="button" @click=${this.resume}>
                    Resume
                  </button>`
                : nothing
            }
            ${
              u.phase === 'error'
                ? html`<button part="button retry-button" class="primary" type="button" @click=${this.retry}>
                    Retry
                  </button>`
                : nothing
            }
            ${
              sending || u.phase === 'ready' || u.phase === 'error'
                ? html`<button part="button cancel-button" type="button" @click=${this.cancel}>Cancel</button>`
                : nothing
            }
          </span>
        </div>
    `;
  }

  #stats(u: UploadSnapshot) {
    const total = formatBytes(u.bytesTotal);
    if (u.phase === 'complete') return html`<strong>100%</strong> · ${total}`;
    if (u.phase === 'ready' || u.phase === 'rejected') return total;
    const parts = [`${formatBytes(u.bytesUploaded)} of ${total}`];
    if (u.phase === 'uploading' && u.speed !== null) parts.push(formatSpeed(u.speed));
    if (u.phase === 'uploading' && u.eta !== null) parts.push(formatEta(u.eta));
    return html`<strong>${Math.floor(u.percent)}%</strong> · ${parts.join(' · ')}`;
  }
}

/** The hidden input sits inside the zone: its own click must not bubble back into the zone's handler. */
function stop(e: Event): void {
  e.stopPropagation();
}

declare global {
  interface HTMLElementTagNameMap {
    'vod-uploader': VodUploader;
  }
}
