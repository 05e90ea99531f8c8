/*
 * The viewer-analytics schema's shared SQL: the statements that read the same on SQLite and
 * PostgreSQL (`?` placeholders; `pgPlaceholders` numbers them for pg). Only the session upsert
 * differs (min/max vs LEAST/GREATEST) and lives with each engine.
 *
 * Three tables (migrations in database.ts and pg/migrations.ts):
 * - `analytics_sessions`: one row per playback session not yet rolled up, the raw level. Every
 *   beacon's events are folded into their session's row at ingest, where the caps apply.
 * - `analytics_hourly`: per video and hour (epoch ms of the hour's start), the sums of the sessions
 *   that started in that hour, with the startup times as a fixed histogram (`s0`…`s15`).
 * - `analytics_visitors`: the daily visitor hashes that watched a video in an hour, so unique
 *   viewers over any range are one `count(DISTINCT)`.
 */

/** Upper edges (ms, exclusive) of the startup-time histogram's bins; the last bin is open. */
export const STARTUP_BIN_EDGES_MS = [
  100, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 4000, 6000, 8000, 12_000, 20_000,
] as const;
export const STARTUP_BINS = STARTUP_BIN_EDGES_MS.length + 1;
export const binColumns = Array.from({ length: STARTUP_BINS }, (_, i) => `s${i}`);

export const HOUR_MS = 3_600_000;

/** A stats query is about one video or every video of one key. */
export type StatsScope = { videoId: string } | { apiKey: string };

/** The sums of one hour (a rolled bucket plus the live sessions that started in it). */
export interface HourlyRow {
  hour: number;
  views: number;
  watchS: number;
  rebufferCount: number;
  rebufferS: number;
  errors: number;
  /** Startup times as counts per bin of STARTUP_BIN_EDGES_MS. */
  startup: number[];
}

export interface TopVideoRow {
  videoId: string;
  views: number;
  watchS: number;
}

/** One session's events of one flush, already bounded per event; the caps against the stored row are the upsert's. */
export interface SessionDelta {
  videoId: string;
  sessionId: string;
  apiKey: string;
  /** The visitor hash (IP, user agent, daily salt): never the address itself. */
  visitor: string;
  /** When the newest of these beacons arrived (epoch ms). */
  atMs: number;
  viewed: boolean;
  watchS: number;
  startupMs: number | null;
  rebufferCount: number;
  rebufferS: number;
  errorCode: string | null;
  switches: number;
  maxHeight: number;
  /** Most watch time the session may hold: the video's duration (plus a second), or a day when unknown. */
  capS: number;
}

/** Stored session row columns, as rollups read them. */
export interface SessionRow {
  video_id: string;
  session_id: string;
  api_key: string;
  visitor: string;
  hour: number | string;
  viewed: number;
  watch_s: number;
  startup_ms: number | null;
  rebuffer_count: number;
  rebuffer_s: number;
  errored: number;
}

export const SESSION_COLUMNS =
  'video_id, session_id, api_key, visitor, hour, viewed, watch_s, startup_ms, rebuffer_count, rebuffer_s, errored';

/** The bin a startup time falls in. */
export function startupBin(ms: number): number {
  let i = 0;
  while (i < STARTUP_BIN_EDGES_MS.length && ms >= STARTUP_BIN_EDGES_MS[i]!) i++;
  return i;
}

/** Rolled sessions summed per (video, hour), with their visitors: what one rollup pass writes. */
export interface RollupBatch {
  buckets: Map<string, { videoId: string; apiKey: string; hour: number } & HourlyRow>;
  visitors: { videoId: string; apiKey: string; hour: number; visitor: string }[];
}

/** Sums sessions into hourly buckets. Sessions without a `view` event count for nothing. */
export function summarize(rows: SessionRow[]): RollupBatch {
  const buckets: RollupBatch['buckets'] = new Map();
  const visitors: RollupBatch['visitors'] = [];
  for (const r of rows) {
    if (!r.viewed) continue;
    const hour = Number(r.hour);
    const key = `${r.video_id}\n${hour}`;
    let b = buckets.get(key);
    if (!b) {
      b = {
        videoId: r.video_id,
        apiKey: r.api_key,
        hour,
        views: 0,
        watchS: 0,
        rebufferCount: 0,
        rebufferS: 0,
        errors: 0,
        startup: new Array<number>(STARTUP_BINS).fill(0),
      };
      buckets.set(key, b);
    }
    b.views++;
    b.watchS += r.watch_s;
    b.rebufferCount += r.rebuffer_count;
    b.rebufferS += r.rebuffer_s;
    b.errors += r.errored ? 1 : 0;
    if (r.startup_ms !== null) b.startup[startupBin(r.startup_ms)]!++;
    visitors.push({ videoId: r.video_id, apiKey: r.api_key, hour, visitor: r.visitor });
  }
  return { buckets, visitors };
}

/** Adds a bucket to the stored one (or creates it): rollups only ever add, once per session. */
export const UPSERT_BUCKET = `
  INSERT INTO analytics_hourly (video_id, hour, api_key, views, watch_s, rebuffer_count, rebuffer_s, errors, ${binColumns.join(', ')})
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ${binColumns.map(() => '?').join(', ')})
  ON CONFLICT (video_id, hour) DO UPDATE SET
    views = analytics_hourly.views + excluded.views,
    watch_s = analytics_hourly.watch_s + excluded.watch_s,
    rebuffer_count = analytics_hourly.rebuffer_count + excluded.rebuffer_count,
    rebuffer_s = analytics_hourly.rebuffer_s + excluded.rebuffer_s,
    errors = analytics_hourly.errors + excluded.errors,
    ${binColumns.map((c) => `${c} = analytics_hourly.${c} + excluded.${c}`).join(',\n    ')}`;

export function bucketParams(b: RollupBatch['buckets'] extends Map<string, infer B> ? B : never): unknown[] {
  return [
    b.videoId,
    b.hour,
    b.apiKey,
    b.views,
    b.watchS,
    b.rebufferCount,
    b.rebufferS,
    b.errors,
    ...b.startup,
  ];
}

export const INSERT_VISITOR = `
  INSERT INTO analytics_visitors (video_id, hour, visitor, api_key) VALUES (?, ?, ?, ?)
  ON CONFLICT DO NOTHING`;

function scopeWhere(scope: StatsScope): { sql: string; value: string } {
  return 'videoId' in scope
    ? { sql: 'video_id = ?', value: scope.videoId }
    : { sql: 'api_key = ?', value: scope.apiKey };
}

/** Hourly sums over the rolled buckets and the live sessions, in one statement. */
export function hourlyQuery(
  scope: StatsScope,
  fromMs: number,
  toMs: number,
): { sql: string; params: unknown[] } {
  const w = scopeWhere(scope);
  const liveBins = binColumns.map((c, i) => {
    const lo = i === 0 ? null : STARTUP_BIN_EDGES_MS[i - 1]!;
    const hi = i < STARTUP_BIN_EDGES_MS.length ? STARTUP_BIN_EDGES_MS[i]! : null;
    const cond = [
      'startup_ms IS NOT NULL',
      lo === null ? null : `startup_ms >= ${lo}`,
      hi === null ? null : `startup_ms < ${hi}`,
    ]
      .filter(Boolean)
      .join(' AND ');
    return `CASE WHEN ${cond} THEN 1 ELSE 0 END AS ${c}`;
  });
  return {
    sql: `
      SELECT hour, sum(views) AS views, sum(watch_s) AS watch_s, sum(rebuffer_count) AS rebuffer_count,
        sum(rebuffer_s) AS rebuffer_s, sum(errors) AS errors, ${binColumns.map((c) => `sum(${c}) AS ${c}`).join(', ')}
      FROM (
        SELECT hour, views, watch_s, rebuffer_count, rebuffer_s, errors, ${binColumns.join(', ')}
        FROM analytics_hourly WHERE ${w.sql} AND hour >= ? AND hour < ?
        UNION ALL
        SELECT hour, 1 AS views, watch_s, rebuffer_count, rebuffer_s, errored AS errors, ${liveBins.join(', ')}
        FROM analytics_sessions WHERE ${w.sql} AND viewed = 1 AND hour >= ? AND hour < ?
      ) AS u
      GROUP BY hour ORDER BY hour`,
    params: [w.value, fromMs, toMs, w.value, fromMs, toMs],
  };
}

export function toHourlyRow(r: Record<string, unknown>): HourlyRow {
  return {
    hour: Number(r.hour),
    views: Number(r.views),
    watchS: Number(r.watch_s),
    rebufferCount: Number(r.rebuffer_count),
    rebufferS: Number(r.rebuffer_s),
    errors: Number(r.errors),
    startup: binColumns.map((c) => Number(r[c])),
  };
}

/** Distinct visitors per bucket of `granularityMs` (rolled and live), and over the whole range (bucket -1). */
export function uniquesQuery(
  scope: StatsScope,
  fromMs: number,
  toMs: number,
  granularityMs: number,
): { sql: string; params: unknown[] } {
  const w = scopeWhere(scope);
  const visitors = `
    SELECT hour, visitor FROM analytics_visitors WHERE ${w.sql} AND hour >= ? AND hour < ?
    UNION
    SELECT hour, visitor FROM analytics_sessions WHERE ${w.sql} AND viewed = 1 AND hour >= ? AND hour < ?`;
  const p = [w.value, fromMs, toMs, w.value, fromMs, toMs];
  return {
    sql: `
      SELECT (hour - hour % ${granularityMs}) AS bucket, count(DISTINCT visitor) AS n FROM (${visitors}) AS v GROUP BY bucket
      UNION ALL
      SELECT -1 AS bucket, count(DISTINCT visitor) AS n FROM (${visitors}) AS t`,
    params: [...p, ...p],
  };
}

export function topVideosQuery(
  apiKey: string,
  fromMs: number,
  toMs: number,
  limit: number,
): { sql: string; params: unknown[] } {
  return {
    sql: `
      SELECT video_id, sum(views) AS views, sum(watch_s) AS watch_s FROM (
        SELECT video_id, views, watch_s FROM analytics_hourly WHERE api_key = ? AND hour >= ? AND hour < ?
        UNION ALL
        SELECT video_id, 1 AS views, watch_s FROM analytics_sessions
        WHERE api_key = ? AND viewed = 1 AND hour >= ? AND hour < ?
      ) AS u
      GROUP BY video_id ORDER BY views DESC, watch_s DESC, video_id LIMIT ${Math.trunc(limit)}`,
    params: [apiKey, fromMs, toMs, apiKey, fromMs, toMs],
  };
}

/** Deletes at most `limit` rows of `table` older than `hourMs` (bounded: a sweep never holds the database long). */
export function sweepQuery(table: 'analytics_hourly' | 'analytics_visitors', hourMs: number, limit: number) {
  const key = table === 'analytics_hourly' ? 'video_id, hour' : 'video_id, hour, visitor';
  return {
    sql: `DELETE FROM ${table} WHERE (${key}) IN (SELECT ${key} FROM ${table} WHERE hour < ? LIMIT ${Math.trunc(limit)})`,
    params: [hourMs],
  };
}

/** `?` → `$1`, `$2`… for pg (the SQL above holds no `?` inside literals). */
export function pgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
