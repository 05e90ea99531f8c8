import { VodkitError } from './errors.ts';
import type {
  ApiKey,
  CaptionTrack,
  CreateCaptionTrackRequest,
  CreateClipRequest,
  CreatedApiKey,
  CreatedClip,
  CreatedWebhookEndpoint,
  CreateFileFromUrlRequest,
  CreateJobRequest,
  CreateWebhookRequest,
  EncoderJob,
  FileRecord,
  HealthStatus,
  Page,
  SetChaptersRequest,
  Video,
  VideoChapters,
  VideoListQuery,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookSigningSecret,
} from './types.ts';

export interface ClientOptions {
  /** Where the Vodkit server answers, e.g. `http://localhost:8080`. Empty string: same origin. */
  baseUrl: string;
  /** An API JWT, or a function that returns a fresh one (called before every request). */
  token?: string | (() => string | Promise<string>);
  fetch?: typeof fetch;
}

/** A small typed client over the v1 HTTP API; it throws `VodkitError` with the server's code. */
export class VodkitClient {
  readonly #base: string;
  readonly #token: ClientOptions['token'];
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** The tus endpoint to hand to tus-js-client or `<vod-uploader>`. */
  get uploadEndpoint(): string {
    return `${this.#base}/v1/uploads`;
  }

  health(): Promise<HealthStatus> {
    return this.#request('GET', '/healthz');
  }

  getFile(fileId: string): Promise<FileRecord> {
    return this.#request('GET', `/v1/files/${encodeURIComponent(fileId)}`);
  }

  /**
   * Link ingest: the server downloads the URL (http(s), public addresses only) and probes it like an
   * upload. Answers at once with the file in `downloading`; watch `getFile` or the file's event
   * stream, `GET /v1/files/:fileId/events` (SSE: `progress`, then `probing`, `ready` or `rejected`).
   */
  createFileFromUrl(body: CreateFileFromUrlRequest): Promise<FileRecord> {
    return this.#request('POST', '/v1/files', body);
  }

  listFiles(page = 1, perPage = 20): Promise<Page<FileRecord>> {
    return this.#request('GET', `/v1/files?page=${page}&perPage=${perPage}`);
  }

  deleteFile(fileId: string): Promise<void> {
    return this.#request('DELETE', `/v1/files/${encodeURIComponent(fileId)}`);
  }

  /** A new video of `[start, end)` of a video, cut from its source (a job like any other). */
  createClip(videoId: string, body: CreateClipRequest): Promise<CreatedClip> {
    return this.#request('POST', `/v1/videos/${encodeURIComponent(videoId)}/clips`, body);
  }

  createJob(body: CreateJobRequest): Promise<EncoderJob> {
    return this.#request('POST', '/v1/encoder/jobs', body);
  }

  getJob(jobId: string): Promise<EncoderJob> {
    return this.#request('GET', `/v1/encoder/jobs/${encodeURIComponent(jobId)}`);
  }

  listJobs(page = 1, perPage = 20): Promise<Page<EncoderJob>> {
    return this.#request('GET', `/v1/encoder/jobs?page=${page}&perPage=${perPage}`);
  }

  cancelJob(jobId: string): Promise<EncoderJob> {
    return this.#request('DELETE', `/v1/encoder/jobs/${encodeURIComponent(jobId)}`);
  }

  getVideo(videoId: string): Promise<Video> {
    return this.#request('GET', `/v1/videos/${encodeURIComponent(videoId)}`);
  }

  /** The key's videos, newest first; `q` searches titles, `status` filters (`allow_read`). */
  listVideos(query: VideoListQuery = {}): Promise<Page<Video>> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(name, String(value));
    }
    const qs = params.toString();
    return this.#request('GET', `/v1/videos${qs ? `?${qs}` : ''}`);
  }

  /** Edits a video: its title (null: back to the file's), protection, allowed origins (`allow_encode`). */
  updateVideo(
    videoId: string,
    patch: { title?: string | null; protected?: boolean; allowedOrigins?: string[] | null },
  ): Promise<Video> {
    return this.#request('PATCH', `/v1/videos/${encodeURIComponent(videoId)}`, patch);
  }

  /** This key and the keys it made (`allow_admin`); never their secrets. */
  listKeys(): Promise<{ data: ApiKey[] }> {
    return this.#request('GET', '/v1/keys');
  }

  /** A new key made by this one; the answer is the only time its secret is shown (`allow_admin`). */
  createKey(name?: string): Promise<CreatedApiKey> {
    return this.#request('POST', '/v1/keys', name ? { name } : {});
  }

  /** Revokes a key this one made: its tokens stop working at once (`allow_admin`). */
  revokeKey(apiKey: string): Promise<ApiKey> {
    return this.#request('DELETE', `/v1/keys/${encodeURIComponent(apiKey)}`);
  }

  /** Webhook endpoints (`allow_admin`); the answer is the only time the endpoint's secret is shown. */
  createWebhook(body: CreateWebhookRequest): Promise<CreatedWebhookEndpoint> {
    return this.#request('POST', '/v1/webhooks', body);
  }

  listWebhooks(page = 1, perPage = 20): Promise<Page<WebhookEndpoint>> {
    return this.#request('GET', `/v1/webhooks?page=${page}&perPage=${perPage}`);
  }

  getWebhook(endpointId: string): Promise<WebhookEndpoint> {
    return this.#request('GET', `/v1/webhooks/${encodeURIComponent(endpointId)}`);
  }

  deleteWebhook(endpointId: string): Promise<void> {
    return this.#request('DELETE', `/v1/webhooks/${encodeURIComponent(endpointId)}`);
  }

  listWebhookDeliveries(endpointId: string, page = 1, perPage = 20): Promise<Page<WebhookDelivery>> {
    return this.#request(
      'GET',
      `/v1/webhooks/${encodeURIComponent(endpointId)}/deliveries?page=${page}&perPage=${perPage}`,
    );
  }

  replayWebhookDelivery(endpointId: string, deliveryId: string): Promise<WebhookDelivery> {
    return this.#request(
      'POST',
      `/v1/webhooks/${encodeURIComponent(endpointId)}/deliveries/${encodeURIComponent(deliveryId)}/replay`,
    );
  }

  /** Creates or rotates the key's secret for jobs' `webhookUrl`; shown only in this answer. */
  rotateWebhookSigningSecret(): Promise<WebhookSigningSecret> {
    return this.#request('POST', '/v1/webhooks/signing-secret');
  }

  /** Adds a WebVTT or SRT caption/subtitle track (sanitized server-side); needs `allow_encode`. */
  addTrack(videoId: string, body: CreateCaptionTrackRequest): Promise<CaptionTrack> {
    return this.#request('POST', `/v1/videos/${encodeURIComponent(videoId)}/tracks`, body);
  }

  listTracks(videoId: string): Promise<{ data: CaptionTrack[] }> {
    return this.#request('GET', `/v1/videos/${encodeURIComponent(videoId)}/tracks`);
  }

  deleteTrack(videoId: string, trackId: string): Promise<void> {
    const path = `/v1/videos/${encodeURIComponent(videoId)}/tracks/${encodeURIComponent(trackId)}`;
    return this.#request('DELETE', path);
  }

  /** The video's chapters (`allow_read`). */
  getChapters(videoId: string): Promise<VideoChapters> {
    return this.#request('GET', `/v1/videos/${encodeURIComponent(videoId)}/chapters`);
  }

  /** Replaces the video's chapters (`allow_encode`); `[]` removes them. */
  setChapters(videoId: string, chapters: SetChaptersRequest['chapters']): Promise<VideoChapters> {
    return this.#request('PUT', `/v1/videos/${encodeURIComponent(videoId)}/chapters`, { chapters });
  }

  async #authHeader(): Promise<Record<string, string>> {
    if (!this.#token) return {};
    const token = typeof this.#token === 'function' ? await this.#token() : this.#token;
    return { authorization: `Bearer ${token}` };
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = await this.#authHeader();
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch (err) {
      throw new VodkitError(0, 'network_error', err instanceof Error ? err.message : String(err));
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    const json: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const error = (json as { error?: { code?: string; message?: string; details?: unknown } } | undefined)
        ?.error;
      throw new VodkitError(
        res.status,
        (error?.code ?? 'internal') as VodkitError['code'],
        error?.message ?? res.statusText,
        error?.details,
      );
    }
    return json as T;
  }
}
