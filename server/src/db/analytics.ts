import crypto from 'node:crypto';
import {
  bucketParams,
  HOUR_MS,
  type HourlyRow,
  hourlyQuery,
  INSERT_VISITOR,
  SESSION_COLUMNS,
  type SessionDelta,
  type SessionRow,
  type StatsScope,
  summarize,
  sweepQuery,
  type TopVideoRow,
  toHourlyRow,
  topVideosQuery,
  UPSERT_BUCKET,
  uniquesQuery,
} from './analytics-sql.ts';
import type { Db } from './database.ts';
import type { AnalyticsRepository, Uniques } from './repositories.ts';

/**
 * A session's events folded into its row, capped against what is stored: watch and rebuffer time
 * never pass the session's wall clock (first to last beacon, plus `slack` for what played before the
 * first beacon) and watch time never passes the video's duration. Parameters are named so each
 * delta is used once per branch (insert or update).
 */
const UPSERT_SESSION = `
  INSERT INTO analytics_sessions (video_id, session_id, api_key, visitor, hour, first_ms, last_ms, viewed,
    watch_s, startup_ms, rebuffer_count, rebuffer_s, errored, error_code, switches, max_height)
  VALUES (@videoId, @sessionId, @apiKey, @visitor, @hour, @atMs, @atMs, @viewed,
    min(@watchS, @capS, @slackS), @startupMs, min(@rebufferCount, 1000), min(@rebufferS, @slackS), @errored,
    @errorCode, min(@switches, 10000), @maxHeight)
  ON CONFLICT (video_id, session_id) DO UPDATE SET
    last_ms = max(last_ms, @atMs),
    viewed = max(viewed, @viewed),
    watch_s = min(watch_s + @watchS, @capS, (max(last_ms, @atMs) - first_ms) / 1000.0 + @slackS),
    startup_ms = coalesce(startup_ms, @startupMs),
    rebuffer_count = min(rebuffer_count + @rebufferCount, 1000),
    rebuffer_s = min(rebuffer_s + @rebufferS, (max(last_ms, @atMs) - first_ms) / 1000.0 + @slackS),
    errored = max(errored, @errored),
    error_code = coalesce(error_code, @errorCode),
    switches = min(switches + @switches, 10000),
    max_height = max(max_height, @maxHeight)`;

export function sessionParams(d: SessionDelta, slackS: number): Record<string, unknown> {
  return {
    videoId: d.videoId,
    sessionId: d.sessionId,
    apiKey: d.apiKey,
    visitor: d.visitor,
    hour: d.atMs - (d.atMs % HOUR_MS),
    atMs: d.atMs,
    viewed: d.viewed ? 1 : 0,
    watchS: d.watchS,
    capS: d.capS,
    slackS,
    startupMs: d.startupMs,
    rebufferCount: d.rebufferCount,
    rebufferS: d.rebufferS,
    errored: d.errorCode === null ? 0 : 1,
    errorCode: d.errorCode,
    switches: d.switches,
    maxHeight: d.maxHeight,
  };
}

/** Viewer analytics on SQLite (issue 16); the SQL shared with PostgreSQL is in analytics-sql.ts. */
export class AnalyticsRepo implements AnalyticsRepository {
  constructor(private readonly db: Db) {}

  async salt(day: string): Promise<string> {
    return this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO analytics_salts (day, salt) VALUES (?, ?) ON CONFLICT DO NOTHING')
        .run(day, crypto.randomBytes(32).toString('hex'));
      // Yesterday's salt and older go: a hash can no longer be recomputed from an address.
      this.db.prepare('DELETE FROM analytics_salts WHERE day < ?').run(day);
      return (this.db.prepare('SELECT salt FROM analytics_salts WHERE day = ?').get(day) as { salt: string })
        .salt;
    })();
  }

  async applySessions(deltas: SessionDelta[], slackS: number): Promise<void> {
    const upsert = this.db.prepare(UPSERT_SESSION);
    this.db.transaction(() => {
      for (const d of deltas) upsert.run(sessionParams(d, slackS));
    })();
  }

  async rollup(idleBeforeMs: number, limit: number): Promise<number> {
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(
          `SELECT ${SESSION_COLUMNS} FROM analytics_sessions WHERE last_ms < ? ORDER BY last_ms LIMIT ${Math.trunc(limit)}`,
        )
        .all(idleBeforeMs) as SessionRow[];
      const { buckets, visitors } = summarize(rows);
      const bucket = this.db.prepare(UPSERT_BUCKET);
      for (const b of buckets.values()) bucket.run(...bucketParams(b));
      const visitor = this.db.prepare(INSERT_VISITOR);
      for (const v of visitors) visitor.run(v.videoId, v.hour, v.visitor, v.apiKey);
      const del = this.db.prepare('DELETE FROM analytics_sessions WHERE video_id = ? AND session_id = ?');
      for (const r of rows) del.run(r.video_id, r.session_id);
      return rows.length;
    })();
  }

  async sweep(beforeHourMs: number, limit: number): Promise<number> {
    let n = 0;
    for (const table of ['analytics_hourly', 'analytics_visitors'] as const) {
      const q = sweepQuery(table, beforeHourMs, limit);
      n += this.db.prepare(q.sql).run(...q.params).changes;
    }
    return n;
  }

  async hourly(scope: StatsScope, fromMs: number, toMs: number): Promise<HourlyRow[]> {
    const q = hourlyQuery(scope, fromMs, toMs);
    return (this.db.prepare(q.sql).all(...q.params) as Record<string, unknown>[]).map(toHourlyRow);
  }

  async uniques(scope: StatsScope, fromMs: number, toMs: number, granularityMs: number): Promise<Uniques> {
    const q = uniquesQuery(scope, fromMs, toMs, granularityMs);
    return toUniques(this.db.prepare(q.sql).all(...q.params) as { bucket: number; n: number }[]);
  }

  async topVideos(apiKey: string, fromMs: number, toMs: number, limit: number): Promise<TopVideoRow[]> {
    const q = topVideosQuery(apiKey, fromMs, toMs, limit);
    return (
      this.db.prepare(q.sql).all(...q.params) as { video_id: string; views: number; watch_s: number }[]
    ).map((r) => ({ videoId: r.video_id, views: Number(r.views), watchS: Number(r.watch_s) }));
  }

  async sessionCount(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM analytics_sessions').get() as { n: number }).n;
  }
}

export function toUniques(rows: { bucket: number | string; n: number | string }[]): Uniques {
  const byBucket = new Map<number, number>();
  let total = 0;
  for (const r of rows) {
    if (Number(r.bucket) === -1) total = Number(r.n);
    else byBucket.set(Number(r.bucket), Number(r.n));
  }
  return { total, byBucket };
}
