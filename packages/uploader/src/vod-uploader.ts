import { html, LitElement, nothing } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { fire, type VodUploadEventDetails, type VodUploadEventName } from './events.ts';
import type { FileUpload, UploadSettings, UploadSnapshot } from './file-upload.ts';
import { formatBytes } from './format.ts';
import { type Messages, messagesFor } from './i18n.ts';
import { closeIcon, uploadIcon } from './icons.ts';
import { isHttpLink } from './link-ingest.ts';
import { TokenSource } from './token-source.ts';
import { VodUploadError } from './upload-error.ts';
import { type RowAction, renderRow } from './upload-row.ts';
import { uploaderStyles } from './uploader-styles.ts';
import { UploadsController } from './uploads-controller.ts';

type CompleteDetail = VodUploadEventDetails['vod-upload-complete'];

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

/**
 * Resumable video uploads: a drop zone and a file picker, then one row per file with its progress, speed
 * and time left, pause, resume, cancel and retry; after the upload, the server's processing of the file
 * (probing → rejected with the reason, or ready → with `encode`, encoding % → playable → ready to watch),
 * followed over Server-Sent Events. Uploads go over tus to Vodkit's `/v1/uploads`; the tus upload id is
 * the Vodkit file id. A page reload loses nothing: picking the same file again continues from the
 * server's offset.
 *
 * Authorisation: `token` (an API JWT with `allow_upload`, plus `allow_read` to follow processing and
 * `allow_encode` for `encode`) or `token-url` (your app server: POSTed for `{token, expiresAt?}` before
 * each upload or resume, and again when the server answers 401).
 *
 * @fires vod-upload-start - `{key, filename, size}` when a file's upload begins.
 * @fires vod-upload-progress - `{key, filename, bytesUploaded, bytesTotal, percent}` as the server acknowledges bytes.
 * @fires vod-upload-complete - `{key, fileId, uploadUrl, filename, size}` once every byte is on the server.
 * @fires vod-upload-error - `{key?, filename, code, message, status?}` when a file is refused or its upload fails.
 * @fires vod-upload-cancel - `{key, filename}` when an upload is cancelled.
 * @fires vod-link-accepted - `{key, fileId, filename, url}` when the server takes a pasted link and downloads it.
 * @fires vod-file-ready - `{key, fileId, filename, metadata}` once the server probed and accepted the file.
 * @fires vod-file-rejected - `{key, fileId, filename, code, message}` when the server refused the file.
 * @fires vod-encoding-start - `{key, fileId, filename, videoId, jobId}` when the element follows a job.
 * @fires vod-encoding-progress - `{key, fileId, filename, videoId, jobId, progress}` while it encodes.
 * @fires vod-video-playable - `{…, videoId, playback: {hls, embed, poster}, playbackToken?}` as soon as the video plays (the token when it is protected).
 * @fires vod-video-ready - `{…, videoId, playback, playbackToken?}` when the encode is complete.
 * @fires vod-processing-error - `{key, fileId, filename, videoId?, jobId?, code, message}` when the job fails or the token may not follow it.
 *
 * @csspart base - The wrapper of everything.
 * @csspart drop-zone - The area that takes dropped files; also `drop-zone-active` while a file hovers it.
 * @csspart icon - The upload icon in the drop zone.
 * @csspart prompt - The drop zone's headline ("Drag a video here", or "Choose a video" on touch screens).
 * @csspart choose-button - The "Choose a file" button.
 * @csspart hint - The accepted types and size limit under it.
 * @csspart notice - Why files were not added (a second file without `multiple`, a duplicate).
 * @csspart link - The "Paste a link" form beside the drop zone (`no-link` hides it).
 * @csspart link-label - Its label.
 * @csspart link-input - Its URL field.
 * @csspart link-button - Its "Add link" button.
 * @csspart link-error - Why a link was not taken (not http(s)).
 * @csspart uploads - The list of rows.
 * @csspart upload - One file's row.
 * @csspart filename - The file's name.
 * @csspart status - The state label (Uploading, Paused, Uploaded, Failed, Encoding 40%, Ready to watch…).
 * @csspart progress - The progress track (`role=progressbar`): the upload, then the encode.
 * @csspart progress-bar - The filled part of the track.
 * @csspart stats - Percent, bytes sent of total, speed and time left; then duration, size and codec.
 * @csspart actions - The row of buttons.
 * @csspart button - Every action button; each also has its own part: `start-button`, `pause-button`,
 *   `resume-button`, `cancel-button`, `retry-button`, `remove-button`.
 * @csspart error - The error message (upload failure, or the server's reason for refusing the file).
 * @csspart message - What the row waits for while it reconnects (offline, or the server out of reach).
 * @csspart result - The file id shown once the upload is complete.
 * @csspart player - The `<vod-player>` shown in a row with the `player` attribute.
 *
 * @cssprop [--vod-uploader-font=14px/1.45 system-ui, sans-serif] - Font of the element.
 * @cssprop [--vod-uploader-color=light-dark(#1f2430, #eef0f6)] - Text colour.
 * @cssprop [--vod-uploader-muted-color=light-dark(#5d6679, #a9b1c3)] - Secondary text (hint, stats).
 * @cssprop [--vod-uploader-accent=light-dark(#4f46e5, #a5b4fc)] - Buttons, progress bar, the drop zone's hover state.
 * @cssprop [--vod-uploader-accent-contrast=light-dark(#fff, #161a36)] - Text on accent-coloured buttons.
 * @cssprop [--vod-uploader-background=light-dark(#f8f9fc, #171b24)] - The drop zone.
 * @cssprop [--vod-uploader-drop-background=light-dark(#eeedfd, #22264a)] - The drop zone while a file hovers it.
 * @cssprop [--vod-uploader-surface=light-dark(#fff, #1e2330)] - The rows and buttons.
 * @cssprop [--vod-uploader-border-color=light-dark(#d0d5dd, #3a4151)] - Borders.
 * @cssprop [--vod-uploader-track-color=light-dark(#e6e9ef, #2e3442)] - The empty progress track.
 * @cssprop [--vod-uploader-radius=12px] - Corner radius of the drop zone and the rows.
 * @cssprop [--vod-uploader-success=light-dark(#0f7a57, #6ce0ae)] - The bar and label once uploaded or ready.
 * @cssprop [--vod-uploader-error=light-dark(#b42d09, #ffa58c)] - Error text and the failed progress bar.
 * @cssprop [--vod-uploader-status-background=light-dark(#eceafd, #2a2f5c)] - The status pill while working.
 * @cssprop [--vod-uploader-status-muted-background=light-dark(#eef0f4, #2b303c)] - The pill of a paused or waiting row.
 * @cssprop [--vod-uploader-status-success-background=light-dark(#e3f4ec, #173b2e)] - The pill once done.
 * @cssprop [--vod-uploader-status-error-background=light-dark(#fdebe6, #44211a)] - The pill (and the notice) on failure.
 * @cssprop [--vod-uploader-shadow=light-dark(rgb(16 24 40 / 6%), rgb(0 0 0 / 35%))] - The rows' shadow.
 */
export class VodUploader extends LitElement {
  static override styles = uploaderStyles;

  /** The tus creation endpoint; default `${api-base}/v1/uploads`. */
  @property() endpoint: string | null = null;

  /** Where the Vodkit API answers; default the page's origin. */
  @property({ attribute: 'api-base' }) apiBase: string | null = null;

  /** An API JWT with `allow_upload` (and `allow_read`, `allow_encode` to follow and encode). Ignored when `token-url` is set. */
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

  /** Take several files at once, one row each. Without it a second file is refused with a visible reason. */
  @property({ type: Boolean }) multiple = false;

  /** How many files upload at the same time; the others wait their turn. */
  @property({ type: Number }) concurrency = 2;

  /** Create an encoding job (`POST /v1/encoder/jobs`, the whole ladder) for each file the server accepts, and follow it. */
  @property({ type: Boolean }) encode = false;

  /**
   * With `encode`: create the jobs `protected`, so their videos play only with a playback token. The
   * element mints one for its rows' players and the playable events (`allow_read`).
   */
  @property({ type: Boolean, attribute: 'protected' }) protectedPlayback = false;

  /** Show a `<vod-player>` in the row once the video plays (load `@vodkit/player` on the page for it to upgrade). */
  @property({ type: Boolean }) player = false;

  /** Stop at "Uploaded": don't follow the server's processing (a token with only `allow_upload`). */
  @property({ type: Boolean, attribute: 'no-processing' }) noProcessing = false;

  /** Hide the "Paste a link" field (`POST /v1/files {url}`: the server downloads the video). */
  @property({ type: Boolean, attribute: 'no-link' }) noLink = false;

  /** `light` or `dark` forces a palette; by default the element follows the page's `color-scheme`. */
  @property({ reflect: true }) theme: 'light' | 'dark' | null = null;

  /** The language of the element's texts (`en`, `fr`, `de`); default the nearest `lang` of the page. */
  @property() override lang = '';

  /** Your own texts, over the shipped language's (see `Messages` in `i18n.ts`). */
  @property({ attribute: false }) translations: Partial<Messages> | null = null;

  // `title` is the native attribute: its value is sent as each upload's title when a file is added.

  @state() private dragging = false;
  @state() private coarse = false;
  @state() private linkError: string | null = null;

  @query('input[type=file]') private input!: HTMLInputElement;

  #tokens: { token: string | null; tokenUrl: string | null; source: TokenSource } | null = null;
  #pointer: MediaQueryList | null = null;
  readonly #onPointerChange = () => {
    this.coarse = this.#pointer?.matches ?? false;
  };

  readonly #uploads = new UploadsController(
    this,
    () => this.#settings(),
    () => ({
      multiple: this.multiple,
      concurrency: Math.max(1, this.concurrency || 1),
      messages: this.#messages(),
    }),
    (type, detail) => this.#fire(type, detail),
  );

  /** Every row as the element shows it, in the order the files were added. */
  get uploads(): readonly Readonly<UploadSnapshot>[] {
    return this.#uploads.rows.map((r) => r.snapshot);
  }

  /** The latest row, or null before the first file (the one upload when `multiple` is off). */
  get state(): Readonly<UploadSnapshot> | null {
    return this.#uploads.rows.at(-1)?.snapshot ?? null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (typeof matchMedia === 'function') {
      this.#pointer = matchMedia('(pointer: coarse)');
      this.#pointer.addEventListener('change', this.#onPointerChange);
      this.#onPointerChange();
    }
    document.addEventListener('paste', this.#onPagePaste);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#pointer?.removeEventListener('change', this.#onPointerChange);
    document.removeEventListener('paste', this.#onPagePaste);
  }

  /**
   * Uploads a file without the picker; settles with its first outcome (complete, error or cancel).
   * Rejects at once with code `upload_busy` while another upload is under way and `multiple` is off.
   */
  upload(file: File): Promise<CompleteDetail> {
    this.#uploads.sync();
    let row: FileUpload | undefined;
    let early: Event | null = null;
    const events = ['vod-upload-complete', 'vod-upload-error', 'vod-upload-cancel'] as const;
    return new Promise<CompleteDetail>((resolve, reject) => {
      const settle = (e: Event) => {
        const detail = (e as CustomEvent<{ key?: string; filename: string }>).detail;
        // Before the row exists (a refusal while adding) the event is matched once `add` returns.
        if (!row) {
          if (detail.filename === file.name) early = e;
          return;
        }
        if (detail.key !== row.key) return;
        finish(e);
      };
      const finish = (e: Event) => {
        for (const type of events) this.removeEventListener(type, settle);
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
        [row] = this.#uploads.add([file], true);
        if (early) finish(early);
        else if (row?.phase === 'rejected' && row.snapshot.error) {
          const { code, message, status } = row.snapshot.error;
          for (const type of events) this.removeEventListener(type, settle);
          reject(new VodUploadError(code, message, status));
        }
      } catch (err) {
        for (const type of events) this.removeEventListener(type, settle);
        reject(err);
      }
    });
  }

  /** Starts added files (only needed with `auto-start="false"`): all of them, or the row `key`. */
  start(key?: string): void {
    this.#uploads.start(key);
  }

  /** Pauses every upload, or the row `key`. */
  pause(key?: string): void {
    this.#uploads.pause(key);
  }

  /** Continues paused uploads from the server's offset (with a fresh token). */
  resume(key?: string): void {
    this.#uploads.resume(key);
  }

  /** Stops uploads and deletes what was sent of them on the server. */
  cancel(key?: string): void {
    this.#uploads.cancel(key);
  }

  /** Tries failed uploads again, from where the server has them. */
  retry(key?: string): void {
    this.#uploads.retry(key);
  }

  /**
   * Follows an encoding job your page (or server) created for an uploaded file, in that file's row:
   * the same events and display as with `encode`.
   */
  trackEncoding(fileId: string, videoId: string): void {
    this.#uploads.rows
      .find((r) => (r.snapshot.result?.fileId ?? r.snapshot.link?.fileId) === fileId)
      ?.track(videoId);
  }

  /**
   * Asks the server to download a video from a public http(s) link (`POST /v1/files {url, title?}`,
   * `allow_upload`); its row shows the download's progress, then the usual stages. Returns the row's
   * key, or null when the link is refused at once (not http(s), or a file is under way without `multiple`).
   */
  addLink(url: string): string | null {
    this.#uploads.sync();
    if (!isHttpLink(url)) {
      this.linkError = this.#messages().linkInvalid;
      return null;
    }
    this.linkError = null;
    return this.#uploads.addLink(url.trim())?.key ?? null;
  }

  protected override willUpdate(): void {
    this.#uploads.sync();
  }

  #apiBase(): string {
    return (this.apiBase || (typeof location === 'undefined' ? '' : location.origin)).replace(/\/+$/, '');
  }

  #settings(): UploadSettings {
    const base = this.#apiBase();
    return {
      endpoint: this.endpoint || `${base}/v1/uploads`,
      apiBase: base,
      chunkSize: this.chunkSize,
      maxSize: this.maxSize,
      accept: this.#acceptList(),
      title: this.title || null,
      tokens: this.#tokenSource(),
      process: !this.noProcessing,
      encode: this.encode,
      protect: this.protectedPlayback,
      messages: this.#messages(),
    };
  }

  #messages(): Messages {
    const lang = this.lang || this.closest('[lang]')?.getAttribute('lang') || document.documentElement.lang;
    return messagesFor(lang, this.translations);
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

  /** Without `multiple`, the zone takes nothing while a file is under way (it says why when tried). */
  get #closed(): boolean {
    return !this.multiple && this.#uploads.busy;
  }

  #take(files: FileList | null | undefined): void {
    if (!files?.length) return;
    // `title` is no reactive property: read it (and anything changed since the last render) now.
    this.#uploads.sync();
    this.#uploads.add([...files], this.autoStart);
  }

  #act = (key: string, action: RowAction): void => {
    if (action === 'remove') this.#uploads.remove(key);
    else this[action](key);
  };

  #onZoneClick(): void {
    if (!this.#closed) this.input.click();
  }

  #onPicked(): void {
    this.#take(this.input.files);
    // Let the same file be picked again (after a cancel, or to resume after a failure).
    this.input.value = '';
  }

  #onDragOver(e: DragEvent): void {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    // A drop while busy is still taken: it is refused with a visible reason instead of being ignored.
    e.dataTransfer.dropEffect = this.#closed ? 'none' : 'copy';
    this.dragging = !this.#closed;
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

  /**
   * Pasting into the element (the drop zone or a row has focus): files are taken like a drop, and a
   * pasted http(s) link outside the link field is added like one typed there. Text pasted into the
   * field itself is left to the field.
   */
  #onPaste = (e: ClipboardEvent): void => {
    const data = e.clipboardData;
    if (!data || e.defaultPrevented) return;
    if (data.files.length) {
      e.preventDefault();
      // Taken even while busy: refused with the visible reason, like a drop.
      this.#take(data.files);
      return;
    }
    const inField = e
      .composedPath()
      .some((t) => t instanceof HTMLElement && t.getAttribute('part') === 'link-input');
    const text = data.getData('text/plain').trim();
    if (inField || this.noLink || !isHttpLink(text)) return;
    e.preventDefault();
    this.addLink(text);
  };

  /**
   * A paste with nothing focused (the page's body) goes to the first uploader of the page, so a file
   * copied in the file manager can be pasted straight onto the page.
   */
  readonly #onPagePaste = (e: ClipboardEvent): void => {
    const target = e.target as Element | null;
    if (target !== document.body && target !== document.documentElement) return;
    if (document.querySelector('vod-uploader') !== this) return;
    this.#onPaste(e);
  };

  #onLinkSubmit(e: SubmitEvent): void {
    e.preventDefault();
    const input = (e.currentTarget as HTMLFormElement).elements.namedItem('url') as HTMLInputElement;
    if (this.addLink(input.value) !== null) input.value = '';
  }

  #renderLink(m: Messages) {
    if (this.noLink) return nothing;
    return html`
      <form part="link" class="link" @submit=${this.#onLinkSubmit} novalidate>
        <label part="link-label" for="link">${m.linkLabel}</label>
        <div class="link-row">
          <input part="link-input" id="link" name="url" type="url" inputmode="url" autocomplete="off"
            placeholder=${m.linkPlaceholder} ?disabled=${this.#closed}
            aria-invalid=${this.linkError ? 'true' : 'false'} aria-describedby=${this.linkError ? 'link-error' : nothing}
            @input=${() => {
              this.linkError = null;
            }} />
          <button part="link-button" type="submit" ?disabled=${this.#closed}>${m.addLink}</button>
        </div>
        ${this.linkError ? html`<p part="link-error" id="link-error" class="link-error" role="alert">${this.linkError}</p>` : nothing}
      </form>
    `;
  }

  #hint(m: Messages): string {
    const accept = this.#acceptList();
    const kinds =
      accept.join() === 'video/*,audio/*'
        ? m.videoOrAudio
        : accept.join(', ').replace(/\b(video|audio|image)\/\*/g, (_, k: string) => k);
    return this.maxSize ? `${kinds} · ${m.upTo(formatBytes(this.maxSize, { trim: true }))}` : kinds;
  }

  protected override render() {
    const m = this.#messages();
    const closed = this.#closed;
    const prompt = this.dragging ? m.dropActive : this.coarse ? m.touchPrompt : m.dropPrompt;
    const rows = this.#uploads.rows;
    const context = { messages: m, act: this.#act, player: this.player, apiBase: this.#apiBase() };
    return html`
      <div part="base" class="base" @paste=${this.#onPaste}>
        <div
          part=${this.dragging ? 'drop-zone drop-zone-active' : 'drop-zone'}
          class=${this.dragging ? 'drop-zone active' : 'drop-zone'}
          ?data-busy=${closed}
          @click=${this.#onZoneClick}
          @dragenter=${this.#onDragOver}
          @dragover=${this.#onDragOver}
          @dragleave=${this.#onDragLeave}
          @drop=${this.#onDrop}
        >
          ${uploadIcon}
          <p part="prompt" class="prompt">${prompt}</p>
          ${this.coarse ? nothing : html`<span class="or">${m.or}</span>`}
          <button part="choose-button" class="primary" type="button" ?disabled=${closed}>
            ${this.multiple ? m.chooseFiles : m.chooseFile}
          </button>
          <p part="hint" class="hint">${this.#hint(m)}</p>
          <input type="file" accept=${this.accept} ?multiple=${this.multiple} @change=${this.#onPicked} @click=${stop} />
        </div>
        ${this.#renderLink(m)}
        ${
          this.#uploads.notice
            ? html`<div part="notice" class="notice" role="alert">
                <p>${this.#uploads.notice}</p>
                <button type="button" aria-label=${m.dismiss} title=${m.dismiss} @click=${() => this.#uploads.dismissNotice()}>
                  ${closeIcon}
                </button>
              </div>`
            : nothing
        }
        <ul part="uploads" class="rows">${repeat(
          rows,
          (r) => r.key,
          (r) => renderRow(r.snapshot, context),
        )}</ul>
      </div>
    `;
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
