import path from 'node:path';

/** Everything the server reads from the environment, validated once at boot. The only reader of process.env. */
export interface Config {
  /** `VOD_PORT`, default 8080. */
  port: number;
  /** `VOD_HOST`, default 0.0.0.0. */
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
  /** `VOD_PROBE_TIMEOUT_MS`, default 15000: ffprobe is killed after this. */
  probeTimeoutMs: number;
  /** `VOD_ENCODE_TIMEOUT_MS`, default 6 hours: an ffmpeg job is killed after this. */
  encodeTimeoutMs: number;
  /** `VOD_MAX_DURATION_S`, default 4 hours: longer sources are rejected. */
  maxDurationSeconds: number;
  /** `VOD_MAX_PIXELS`, default 8192×4320: larger frames are rejected. */
  maxPixels: number;
  /** `VOD_DEMO` (default on; `0` turns it off): serve the demo site and its tiny app server. */
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
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const repoRoot = path.resolve(import.meta.dirname, '../..');

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

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
  return {
    port,
    host: env.VOD_HOST || '0.0.0.0',
    dataDir: path.resolve(env.VOD_DATA_DIR || 'data'),
    publicUrl,
    ffmpegPath: env.FFMPEG_PATH || 'ffmpeg',
    ffprobePath: env.FFPROBE_PATH || 'ffprobe',
    maxUploadBytes: int(env, 'VOD_MAX_UPLOAD_BYTES', 20 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER),
    encodeConcurrency: int(env, 'VOD_ENCODE_CONCURRENCY', 1, 1, 64),
    probeTimeoutMs: int(env, 'VOD_PROBE_TIMEOUT_MS', 15_000, 100, 600_000),
    encodeTimeoutMs: int(env, 'VOD_ENCODE_TIMEOUT_MS', 6 * 3600_000, 1000, 7 * 24 * 3600_000),
    maxDurationSeconds: int(env, 'VOD_MAX_DURATION_S', 4 * 3600, 1, 7 * 24 * 3600),
    maxPixels: int(env, 'VOD_MAX_PIXELS', 8192 * 4320, 1, 1 << 30),
    demo: env.VOD_DEMO !== '0' && env.VOD_DEMO !== 'false',
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
