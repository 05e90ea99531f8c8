import crypto from 'node:crypto';
import type pg from 'pg';
import { toUniques } from '../analytics.ts';
import {
  bucketParams,
  HOUR_MS,
  type HourlyRow,
  hourlyQuery,
  pgPlaceholders,
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
} from '../analytics-sql.ts';
import type { AnalyticsRepository, Uniques } from '../repositories.ts';
import { inTransaction } from './sql.ts';

/** One flush as column arrays: a whole batch is one round trip per statement, not one per session. */
const DELTAS = `unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::int[], $7::float8[],
  $8::float8[], $9::float8[], $10::int[], $11::float8[], $12::text[], $13::int[], $14::int[])
  AS d(video_id, session_id, api_key, visitor, at_ms, viewed, watch, cap, startup, rcount, rs, ecode, switches, height)`;

function deltaArrays(deltas: SessionDelta[]): unknown[] {
  return [
    deltas.map((d) => d.videoId),
    deltas.map((d) => d.sessionId),
    deltas.map((d) => d.apiKey),
    deltas.map((d) => d.visitor),
    deltas.map((d) => d.atMs),
    deltas.map((d) => (d.viewed ? 1 : 0)),
    deltas.map((d) => d.watchS),
    deltas.map((d) => d.capS),
    deltas.map((d) => d.startupMs),
    deltas.map((d) => d.rebufferCount),
    deltas.map((d) => d.rebufferS),
    deltas.map((d) => d.errorCode),
    deltas.map((d) => d.switches),
    deltas.map((d) => d.maxHeight),
  ];
}

/** Viewer analytics on PostgreSQL, as the SQLite `AnalyticsRepo` (same caps, same rollup). */
export class PgAnalyticsRepository implements AnalyticsRepository {
  constructor(private readonly pool: pg.Pool) {}

  async salt(day: string): Promise<string> {
    return inTransaction(this.pool, async (client) => {
      await client.query('INSERT INTO analytics_salts (day, salt) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        day,
        crypto.randomBytes(32).toString('hex'),
      ]);
      await client.query('DELETE FROM analytics_salts WHERE day < $1', [day]);
      const { rows } = await client.query<{ salt: string }>(
        'SELECT salt FROM analytics_salts WHERE day = $1',
        [day],
      );
      return rows[0]!.salt;
    });
  }

  /**
   * New sessions are inserted first (DO NOTHING: a session another node is inserting right now
   * waits for it, then counts as existing), then the rest are updated with the caps. Deltas are
   * sorted by key so two nodes' flushes lock rows in the same order and cannot deadlock.
   */
  async applySessions(deltas: SessionDelta[], slackS: number): Promise<void> {
    if (deltas.length === 0) return;
    const sorted = [...deltas].sort((a, b) =>
      a.videoId === b.videoId ? (a.sessionId < b.sessionId ? -1 : 1) : a.videoId < b.videoId ? -1 : 1,
    );
    await inTransaction(this.pool, async (client) => {
      const inserted = await client.query<{ video_id: string; session_id: string }>(
        `INSERT INTO analytics_sessions (video_id, session_id, api_key, visitor, hour, first_ms, last_ms, viewed,
           watch_s, startup_ms, rebuffer_count, rebuffer_s, errored, error_code, switches, max_height)
         SELECT video_id, session_id, api_key, visitor, at_ms - at_ms % ${HOUR_MS}, at_ms, at_ms, viewed,
           LEAST(watch, cap, $15::float8), startup, LEAST(rcount, 1000), LEAST(rs, $15::float8),
           CASE WHEN ecode IS NULL THEN 0 ELSE 1 END, ecode, LEAST(switches, 10000), height
         FROM ${DELTAS}
         ON CONFLICT (video_id, session_id) DO NOTHING
         RETURNING video_id, session_id`,
        [...deltaArrays(sorted), slackS],
      );
      const done = new Set(inserted.rows.map((r) => `${r.video_id}\n${r.session_id}`));
      const rest = sorted.filter((d) => !done.has(`${d.videoId}\n${d.sessionId}`));
      if (rest.length === 0) return;
      await client.query(
        `UPDATE analytics_sessions s SET
           last_ms = GREATEST(s.last_ms, d.at_ms),
           viewed = GREATEST(s.viewed, d.viewed),
           watch_s = LEAST(s.watch_s + d.watch, d.cap, (GREATEST(s.last_ms, d.at_ms) - s.first_ms) / 1000.0 + $15::float8),
           startup_ms = coalesce(s.startup_ms, d.startup),
           rebuffer_count = LEAST(s.rebuffer_count + d.rcount, 1000),
           rebuffer_s = LEAST(s.rebuffer_s + d.rs, (GREATEST(s.last_ms, d.at_ms) - s.first_ms) / 1000.0 + $15::float8),
           errored = GREATEST(s.errored, CASE WHEN d.ecode IS NULL THEN 0 ELSE 1 END),
           error_code = coalesce(s.error_code, d.ecode),
           switches = LEAST(s.switches + d.switches, 10000),
           max_height = GREATEST(s.max_height, d.height)
         FROM ${DELTAS}
         WHERE s.video_id = d.video_id AND s.session_id = d.session_id`,
        [...deltaArrays(rest), slackS],
      );
    });
  }

  /** SKIP LOCKED: nodes rolling up at once take different sessions; each is summed by the pass that deletes it. */
  async rollup(idleBeforeMs: number, limit: number): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<SessionRow>(
        `DELETE FROM analytics_sessions WHERE (video_id, session_id) IN (
           SELECT video_id, session_id FROM analytics_sessions WHERE last_ms < $1
           ORDER BY last_ms LIMIT ${Math.trunc(limit)} FOR UPDATE SKIP LOCKED)
         RETURNING ${SESSION_COLUMNS}`,
        [idleBeforeMs],
      );
      const { buckets, visitors } = summarize(rows);
      const upsert = pgPlaceholders(UPSERT_BUCKET);
      for (const b of buckets.values()) await client.query(upsert, bucketParams(b));
      if (visitors.length > 0) {
        await client.query(
          `INSERT INTO analytics_visitors (video_id, hour, visitor, api_key)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
          [
            visitors.map((v) => v.videoId),
            visitors.map((v) => v.hour),
            visitors.map((v) => v.visitor),
            visitors.map((v) => v.apiKey),
          ],
        );
      }
      return rows.length;
    });
  }

  async sweep(beforeHourMs: number, limit: number): Promise<number> {
    let n = 0;
    for (const table of ['analytics_hourly', 'analytics_visitors'] as const) {
      const q = sweepQuery(table, beforeHourMs, limit);
      n += (await this.pool.query(pgPlaceholders(q.sql), q.params)).rowCount ?? 0;
    }
    return n;
  }

  async hourly(scope: StatsScope, fromMs: number, toMs: number): Promise<HourlyRow[]> {
    const q = hourlyQuery(scope, fromMs, toMs);
    const { rows } = await this.pool.query<Record<string, unknown>>(pgPlaceholders(q.sql), q.params);
    return rows.map(toHourlyRow);
  }

  async uniques(scope: StatsScope, fromMs: number, toMs: number, granularityMs: number): Promise<Uniques> {
    const q = uniquesQuery(scope, fromMs, toMs, granularityMs);
    const { rows } = await this.pool.query<{ bucket: string; n: string }>(pgPlaceholders(q.sql), q.params);
    return toUniques(rows);
  }

  async topVideos(apiKey: string, fromMs: number, toMs: number, limit: number): Promise<TopVideoRow[]> {
    const q = topVideosQuery(apiKey, fromMs, toMs, limit);
    const { rows } = await this.pool.query<{ video_id: string; views: string; watch_s: number }>(
      pgPlaceholders(q.sql),
      q.params,
    );
    return rows.map((r) => ({ videoId: r.video_id, views: Number(r.views), watchS: Number(r.watch_s) }));
  }

  async sessionCount(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM analytics_sessions');
    return Number(rows[0]!.n);
  }
}
