import { ConfigError, flag, int } from './config-values.ts';

/** Viewer analytics and operations (issue 16): beacons, their limits, retention, and /metrics. */
export interface AnalyticsConfig {
  /** `VOD_ANALYTICS`, default 1: `0` turns beacons off (`POST /v1/beacons` is 404; stats stay readable). */
  enabled: boolean;
  /** `VOD_ANALYTICS_RETENTION_DAYS`, default 400: hourly sums and visitor hashes older than this are deleted. */
  retentionDays: number;
  /** `VOD_BEACON_RATE`, default 10: beacons per second per client address (token bucket); more get 429. */
  ratePerS: number;
  /** `VOD_BEACON_BURST`, default 50: how many beacons a client address may send at once. */
  burst: number;
  /** `VOD_BEACON_SESSIONS_PER_HOUR`, default 60: new sessions counted per client address and hour; more are dropped. */
  sessionsPerHour: number;
  /** `VOD_BEACON_FLUSH_MS`, default 250: beacons are buffered and written in one transaction this often. */
  flushMs: number;
  /** `VOD_ANALYTICS_SESSION_IDLE_MS`, default 30 min: a session without beacons this long is rolled up (ended). */
  sessionIdleMs: number;
  /** `VOD_ANALYTICS_ROLLUP_MS`, default 60 s: how often idle sessions are rolled up into hourly buckets. */
  rollupMs: number;
  /** `VOD_METRICS_TOKEN`: the bearer token of `GET /metrics`; unset, the endpoint is off (404). */
  metricsToken: string | null;
}

export function loadAnalyticsConfig(env: NodeJS.ProcessEnv): AnalyticsConfig {
  const mistakes: string[] = [];
  const enabled = flag(env, 'VOD_ANALYTICS', true, mistakes);
  if (mistakes.length > 0) throw new ConfigError(mistakes.join('\n'));
  const metricsToken = env.VOD_METRICS_TOKEN || null;
  if (metricsToken !== null && metricsToken.length < 16) {
    throw new ConfigError('VOD_METRICS_TOKEN must be at least 16 characters');
  }
  return {
    enabled,
    retentionDays: int(env, 'VOD_ANALYTICS_RETENTION_DAYS', 400, 1, 36_500),
    ratePerS: int(env, 'VOD_BEACON_RATE', 10, 1, 1_000_000),
    burst: int(env, 'VOD_BEACON_BURST', 50, 1, 1_000_000),
    sessionsPerHour: int(env, 'VOD_BEACON_SESSIONS_PER_HOUR', 60, 1, 1_000_000),
    flushMs: int(env, 'VOD_BEACON_FLUSH_MS', 250, 5, 60_000),
    sessionIdleMs: int(env, 'VOD_ANALYTICS_SESSION_IDLE_MS', 30 * 60_000, 1000, 24 * 3600_000),
    rollupMs: int(env, 'VOD_ANALYTICS_ROLLUP_MS', 60_000, 100, 24 * 3600_000),
    metricsToken,
  };
}
