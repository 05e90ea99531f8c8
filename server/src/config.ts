import path from 'node:path';
import { type AnalyticsConfig, loadAnalyticsConfig } from './config-analytics.ts';
import { loadScaleConfig, type ScaleConfig } from './config-scale.ts';
import { ConfigError, int } from './config-values.ts';

export { ConfigError };

/** Everything the server reads from the environment, validated once at boot. The only reader of process.env. */
export interface Config {
  /** Role, PostgreSQL and S3 (issue 8): all null/`all` in the embedded default. */
  scale: ScaleConfig;
  /** Viewer analytics, beacon limits, retention and the metrics token (issue 16): config-analytics.ts. */
  analytics: AnalyticsConfig;
  /** `VOD_PORT`, default 8080. */
  port: number;
  /** `VOD_HOST`, default 127.0.0.1 (loopback): set 0.0.0.0 to be reachable from other machines. */
  host: string;
  /** `VOD_DATA_DIR`, default ./data: uploads, outputs, the SQLite database, dev-key.json. */
  dataDir: string;
  /** `VOD_PUBLIC_URL`: the origin viewers reach; default http://localhost:<port>. Used in playback URLs. */
  publicUrl: string;
  /** `FFMPEG_PATH`, else `ffmpeg` on the PATH. */
  ffmpegPath: string;
  /** `FFPROBE_PATH`, else `ffprobe` on the PATH. */
  ffprobePath: string;
  /** `VOD_MAX_UPLOAD_BYTES`, default 20 GiB: larger uploads get 413. */
  maxUploadBytes: number;
  /** `VOD_ENCODE_CONCURRENCY`, default 1: encoding jobs run at once (each uses every core). */
  encodeConcurrency: number;
  /**
   * `VOD_ENCODE_THREADS`, default unset (ffmpeg's choice, every core): the threads of each encoding
   * ffmpeg's decoder, filter graph and each x264 rung. `1` holds a worker's encode to about one core.
   */
  encodeThreads: number | null;
  /**
   * `VOD_CHUNK_SECONDS`, default unset (off): an H.264 source longer than two chunks has its video
   * encoded in chunks of about this length, each a task of the shared queue that any worker claims
   * (services/chunk-queue.ts), joined in order by the job's owner (media/chunked-encode.ts).
   */
  chunkSeconds: number | null;
  /**
   * Per-title rate control (media/per-title.ts): sources at least `VOD_PER_TITLE_MIN_S` long (default
   * 10; shorter ones save less than the probe's fixed 2 s or so of CPU) get each rung's CRF and cap
   * from a complexity probe. `VOD_PER_TITLE=0` turns it off (null): every title gets the fixed ladder.
   */
  perTitleMinSeconds: number | null;
  /**
   * `VOD_PER_TITLE_WAIT_MS`, default 5000: how long the rest of the ladder waits for the probe before it
   * starts on the fixed ladder (the start group hands its rung over to it after its first segments).
   */
  perTitleWaitMs: number;
  /** `VOD_PROBE_TIMEOUT_MS`, default 15000: ffprobe is killed after this. */
  probeTimeoutMs: number;
  /** `VOD_ENCODE_TIMEOUT_MS`, default 6 hours: an ffmpeg job is killed after this. */
  encodeTimeoutMs: number;
  /**
   * How long a worker's claim on a job lasts without renewal (renewed every third of it): how soon
   * another worker restarts the job of a worker that died (`VOD_JOB_LEASE_MS`).
   */
  jobLeaseMs: number;
  /** `VOD_MAX_DURATION_S`, default 4 hours: longer sources are rejected. */
  maxDurationSeconds: number;
  /** `VOD_MAX_PIXELS`, default 8192×4320: larger frames are rejected. */
  maxPixels: number;
  /**
   * `VOD_DEMO`: serve the demo site and its tiny app server. Unset: on only when `VOD_HOST` is a
   * loopback address; `1` turns it on anywhere (explicit opt-in); `0` turns it off.
   */
  demo: boolean;
  /** `VOD_DEMO_DIR`, default <repo>/demo/dist: the built demo site. */
  demoDir: string;
  /** `VOD_LOG_LEVEL`, default info. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `VOD_WEBHOOK_ALLOW_PRIVATE=1`: let webhooks reach loopback/private/link-local addresses (tests, local dev). */
  webhookAllowPrivate: boolean;
  /**
   * `VOD_WEBHOOK_RETRY_DELAYS_MS`, comma-separated: the wait before each retry of a failed delivery
   * (±10% jitter). Default 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 28 hours.
   */
  webhookRetryDelaysMs: number[];
  /** `VOD_WEBHOOK_TIMEOUT_MS`, default 10000: one delivery attempt, connect to last byte. */
  webhookTimeoutMs: number;
  /** `VOD_WEBHOOK_CONCURRENCY`, default 4: deliveries in flight at once. */
  webhookConcurrency: number;
  /** `VOD_WEBHOOK_MAX_ENDPOINTS`, default 20: webhook endpoints per API key. */
  webhookMaxEndpoints: number;
  /** `VOD_WEBHOOK_POLL_MS`, default 1000: how often the dispatcher looks for due retries. */
  webhookPollMs: number;
  /** `VOD_THUMBNAIL_CONCURRENCY`, default 2: on-demand thumbnails rendered at once (more wait, then 503). */
  thumbnailConcurrency: number;
  /** `VOD_THUMBNAIL_CACHE_MB`, default 512: disk kept for on-demand thumbnails, least recently used evicted. */
  thumbnailCacheBytes: number;
  // Hardening: proxies, timeouts, stream caps, quotas, secrets at rest.
  /** `VOD_DEMO_SWEEP_MS`, default 1 hour: files, jobs and uploads of the demo sandbox key older than this are deleted. */
  demoSweepMs: number;
  /** `VOD_STUDIO_SESSION_TTL_S`, default 12 hours: a Studio sign-in lasts this long (the cookie's Max-Age). */
  studioSessionTtlS: number;
  /** `VOD_MAX_TOKEN_LIFETIME_S`, default 24 hours: an API token whose `exp` is further away is refused. */
  maxTokenLifetimeS: number;
  /**
   * `VOD_TRUST_PROXY`: unset, `X-Forwarded-*` and `Forwarded` are ignored. Else a comma list of proxy
   * addresses/CIDRs (or `loopback`, `uniquelocal`), or `true` to trust every hop; fastify's `trustProxy`.
   */
  trustProxy: boolean | string[];
  /** `VOD_BODY_IDLE_TIMEOUT_MS`, default 60000: a connection that sends and receives nothing this long is cut (408). */
  bodyIdleTimeoutMs: number;
  /**
   * `VOD_BODY_TIMEOUT_MS`, default 10000: a request body other than an upload's (JSON, captions) must
   * arrive whole within this, else 408. tus uploads have only the idle timeout.
   */
  bodyTimeoutMs: number;
  /** `VOD_HEADERS_TIMEOUT_MS`, default 20000: the request line and headers must arrive within this. */
  headersTimeoutMs: number;
  /** `VOD_SSE_MAX`, default 500: open event streams for the whole server (half of a common 1024 fd limit). */
  sseMax: number;
  /** `VOD_SSE_MAX_PER_KEY`, default 20: open event streams per API key. */
  sseMaxPerKey: number;
  /** `VOD_MAX_ACTIVE_JOBS_PER_KEY`, default 50: queued + processing jobs per API key. */
  maxActiveJobsPerKey: number;
  /** `VOD_MAX_OPEN_UPLOADS_PER_KEY`, default 20: unfinished uploads per API key. */
  maxOpenUploadsPerKey: number;
  /** `VOD_MAX_OPEN_UPLOAD_BYTES_PER_KEY`, default 100 GiB: bytes declared by a key's unfinished uploads. */
  maxOpenUploadBytesPerKey: number;
  /** Link ingest (`POST /v1/files` with `{url}`): address rules, time limits and download slots. */
  ingest: IngestConfig;
  /**
   * `VOD_SECRET_KEY`: 32 bytes as 64 hex digits or base64. When set, API secrets are stored
   * encrypted (AES-256-GCM) in the database; without it they are stored as they are.
   */
  secretKey: Buffer | null;
}

export interface IngestConfig {
  /**
   * `VOD_INGEST_ALLOW_PRIVATE=1`: let link ingest reach loopback/private/link-local addresses
   * (development, tests). Cloud metadata addresses stay refused even then.
   */
  allowPrivate: boolean;
  /** `VOD_INGEST_IDLE_TIMEOUT_MS`, default 60000: an origin that sends nothing this long ends the file. */
  idleTimeoutMs: number;
  /** `VOD_INGEST_TIMEOUT_MS`, default 3 hours: a whole download, redirects and resumes included. */
  timeoutMs: number;
  /** `VOD_INGEST_CONCURRENCY`, default 4: downloads at once per API node (more wait in a queue). */
  concurrency: number;
  /** `VOD_INGEST_CONCURRENCY_PER_KEY`, default 2: downloads at once per API key and node. */
  concurrencyPerKey: number;
  /** `VOD_INGEST_QUEUE_MAX`, default 1000: downloads waiting for a slot per node; more get 503. */
  queueMax: number;
}

const repoRoot = path.resolve(import.meta.dirname, '../..');

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Reads and validates the configuration; throws ConfigError naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int(env, 'VOD_PORT', 8080, 0, 65535);
  const publicUrl = (env.VOD_PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, '');
  try {
    const url = new URL(publicUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new ConfigError(`VOD_PUBLIC_URL must be an http(s) URL, got "${publicUrl}"`);
  }
  const logLevel = (env.VOD_LOG_LEVEL || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`VOD_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const host = env.VOD_HOST || '127.0.0.1';
  return {
    port,
    host,
    dataDir: path.resolve(env.VOD_DATA_DIR || 'data'),
    publicUrl,
    ffmpegPath: env.FFMPEG_PATH || 'ffmpeg',
    ffprobePath: env.FFPROBE_PATH || 'ffprobe',
    maxUploadBytes: int(env, 'VOD_MAX_UPLOAD_BYTES', 20 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER),
    encodeConcurrency: int(env, 'VOD_ENCODE_CONCURRENCY', 1, 1, 64),
    encodeThreads: env.VOD_ENCODE_THREADS ? int(env, 'VOD_ENCODE_THREADS', 0, 1, 64) : null,
    chunkSeconds: env.VOD_CHUNK_SECONDS ? int(env, 'VOD_CHUNK_SECONDS', 0, 1, 3600) : null,
    perTitleMinSeconds:
      env.VOD_PER_TITLE === '0' ? null : int(env, 'VOD_PER_TITLE_MIN_S', 10, 0, 7 * 24 * 3600),
    perTitleWaitMs: int(env, 'VOD_PER_TITLE_WAIT_MS', 5000, 100, 600_000),
    probeTimeoutMs: int(env, 'VOD_PROBE_TIMEOUT_MS', 15_000, 100, 600_000),
    encodeTimeoutMs: int(env, 'VOD_ENCODE_TIMEOUT_MS', 6 * 3600_000, 1000, 7 * 24 * 3600_000),
    jobLeaseMs: int(env, 'VOD_JOB_LEASE_MS', 30_000, 3000, 3600_000),
    maxDurationSeconds: int(env, 'VOD_MAX_DURATION_S', 4 * 3600, 1, 7 * 24 * 3600),
    maxPixels: int(env, 'VOD_MAX_PIXELS', 8192 * 4320, 1, 1 << 30),
    demo: env.VOD_DEMO ? env.VOD_DEMO !== '0' && env.VOD_DEMO !== 'false' : isLoopback(host),
    demoDir: path.resolve(env.VOD_DEMO_DIR || path.join(repoRoot, 'demo/dist')),
    logLevel,
    webhookAllowPrivate: env.VOD_WEBHOOK_ALLOW_PRIVATE === '1' || env.VOD_WEBHOOK_ALLOW_PRIVATE === 'true',
    webhookRetryDelaysMs: intList(env, 'VOD_WEBHOOK_RETRY_DELAYS_MS', DEFAULT_WEBHOOK_RETRY_DELAYS_MS),
    webhookTimeoutMs: int(env, 'VOD_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    webhookConcurrency: int(env, 'VOD_WEBHOOK_CONCURRENCY', 4, 1, 64),
    webhookMaxEndpoints: int(env, 'VOD_WEBHOOK_MAX_ENDPOINTS', 20, 1, 1000),
    webhookPollMs: int(env, 'VOD_WEBHOOK_POLL_MS', 1000, 10, 60_000),
    thumbnailConcurrency: int(env, 'VOD_THUMBNAIL_CONCURRENCY', 2, 1, 64),
    thumbnailCacheBytes: int(env, 'VOD_THUMBNAIL_CACHE_MB', 512, 1, 1 << 20) * 1024 * 1024,
    demoSweepMs: int(env, 'VOD_DEMO_SWEEP_MS', 3600_000, 1000, 30 * 24 * 3600_000),
    studioSessionTtlS: int(env, 'VOD_STUDIO_SESSION_TTL_S', 12 * 3600, 60, 30 * 24 * 3600),
    maxTokenLifetimeS: int(env, 'VOD_MAX_TOKEN_LIFETIME_S', 24 * 3600, 60, 365 * 24 * 3600),
    trustProxy: trustProxy(env.VOD_TRUST_PROXY),
    bodyIdleTimeoutMs: int(env, 'VOD_BODY_IDLE_TIMEOUT_MS', 60_000, 100, 3600_000),
    bodyTimeoutMs: int(env, 'VOD_BODY_TIMEOUT_MS', 10_000, 100, 600_000),
    headersTimeoutMs: int(env, 'VOD_HEADERS_TIMEOUT_MS', 20_000, 100, 600_000),
    sseMax: int(env, 'VOD_SSE_MAX', 500, 1, 1_000_000),
    sseMaxPerKey: int(env, 'VOD_SSE_MAX_PER_KEY', 20, 1, 1_000_000),
    maxActiveJobsPerKey: int(env, 'VOD_MAX_ACTIVE_JOBS_PER_KEY', 50, 1, 1_000_000),
    maxOpenUploadsPerKey: int(env, 'VOD_MAX_OPEN_UPLOADS_PER_KEY', 20, 1, 1_000_000),
    maxOpenUploadBytesPerKey: int(
      env,
      'VOD_MAX_OPEN_UPLOAD_BYTES_PER_KEY',
      100 * 1024 ** 3,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    ingest: {
      allowPrivate: env.VOD_INGEST_ALLOW_PRIVATE === '1' || env.VOD_INGEST_ALLOW_PRIVATE === 'true',
      idleTimeoutMs: int(env, 'VOD_INGEST_IDLE_TIMEOUT_MS', 60_000, 100, 3600_000),
      timeoutMs: int(env, 'VOD_INGEST_TIMEOUT_MS', 3 * 3600_000, 1000, 7 * 24 * 3600_000),
      concurrency: int(env, 'VOD_INGEST_CONCURRENCY', 4, 1, 256),
      concurrencyPerKey: int(env, 'VOD_INGEST_CONCURRENCY_PER_KEY', 2, 1, 256),
      queueMax: int(env, 'VOD_INGEST_QUEUE_MAX', 1000, 1, 1_000_000),
    },
    secretKey: secretKey(env.VOD_SECRET_KEY),
    scale: loadScaleConfig(env),
    analytics: loadAnalyticsConfig(env),
  };
}

const DEFAULT_WEBHOOK_RETRY_DELAYS_MS = [5, 300, 1800, 7200, 18_000, 36_000, 36_000].map((s) => s * 1000);

function intList(env: NodeJS.ProcessEnv, name: string, fallback: number[]): number[] {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.length > 50 || !values.every((v) => Number.isInteger(v) && v >= 0 && v <= 7 * 24 * 3600_000)) {
    throw new ConfigError(
      `${name} must be up to 50 comma-separated milliseconds (0 to 7 days), got "${raw}"`,
    );
  }
  return values;
}

/** 127.0.0.0/8, ::1 and `localhost`: nothing outside this machine can connect. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

function trustProxy(raw: string | undefined): boolean | string[] {
  if (!raw || raw === '0' || raw === 'false') return false;
  if (raw === 'true') return true;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const named = ['loopback', 'linklocal', 'uniquelocal'];
  for (const item of list) {
    if (!named.includes(item) && !/^[0-9a-f.:]+(\/\d{1,3})?$/i.test(item)) {
      throw new ConfigError(
        `VOD_TRUST_PROXY must be "true" or a comma list of addresses, CIDRs, loopback, linklocal or uniquelocal; got "${item}"`,
      );
    }
  }
  return list;
}

function secretKey(raw: string | undefined): Buffer | null {
  if (!raw) return null;
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) {
    throw new ConfigError('VOD_SECRET_KEY must be 32 bytes: 64 hex digits or 44 base64 characters');
  }
  return key;
}
