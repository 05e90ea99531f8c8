import { VodkitError } from './errors.ts';
import type {
  CaptionTrack,
  CreateCaptionTrackRequest,
  CreateClipRequest,
  CreatedClip,
  CreatedWebhookEndpoint,
  CreateFileFromUrlRequest,
  CreateJobRequest,
  CreateWebhookRequest,
  EncoderJob,
  FileRecord,
  HealthStatus,
  Page,
  Video,
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
