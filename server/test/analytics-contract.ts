import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOUR_MS, type SessionDelta } from '../src/db/analytics-sql.ts';
import type { Repositories } from '../src/db/repositories.ts';
import { SESSION_SLACK_S } from '../src/services/beacons.ts';

/** One empty database of the engine under test; `open` twice gives two nodes on it. */
export interface AnalyticsDatabase {
  open(): Promise<Repositories>;
  drop(): Promise<void>;
}

/** An hour well in the past, so rollups and sweeps can be driven by explicit times. */
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

function delta(o: Partial<SessionDelta> & Pick<SessionDelta, 'sessionId'>): SessionDelta {
  return {
    videoId: 'video1',
    apiKey: 'key1',
    visitor: `visitor-${o.sessionId}`,
    atMs: T0,
    viewed: false,
    watchS: 0,
    startupMs: null,
    rebufferCount: 0,
    rebufferS: 0,
    errorCode: null,
    switches: 0,
    maxHeight: 0,
    capS: 1000,
    ...o,
  };
}

/**
 * The analytics repository's behaviour on every engine (issue 16): run on SQLite by
 * src/db/analytics.test.ts and on PostgreSQL by scale/pg-analytics.test.ts.
 */
export function describeAnalyticsContract(name: string, fresh: () => Promise<AnalyticsDatabase>): void {
  describe(`analytics repository: ${name}`, () => {
    let db: AnalyticsDatabase;
    let repos: Repositories;
    beforeEach(async () => {
      db = await fresh();
      repos = await db.open();
    });
    afterEach(async () => {
      await repos.close();
      await db.drop();
    });

    it('caps watch and rebuffer time by the session’s wall clock and the video’s duration', async () => {
      const a = repos.analytics;
      // First beacon: 40 s claimed at once, but only the slack can have played before it.
      await a.applySessions(
        [delta({ sessionId: 's1', viewed: true, watchS: 40, rebufferS: 40, startupMs: 300 })],
        SESSION_SLACK_S,
      );
      // 10 s later: at most 10 s more of wall clock.
      await a.applySessions(
        [delta({ sessionId: 's1', atMs: T0 + 10_000, watchS: 100, startupMs: 9000 })],
        SESSION_SLACK_S,
      );
      // A short video: 30 s of duration cap whatever the wall clock says.
      await a.applySessions(
        [delta({ sessionId: 's2', viewed: true, watchS: 10, capS: 30 })],
        SESSION_SLACK_S,
      );
      await a.applySessions(
        [delta({ sessionId: 's2', atMs: T0 + 3_600_000, watchS: 3000, capS: 30, errorCode: 'hls_fatal' })],
        SESSION_SLACK_S,
      );
      const [row] = await a.hourly({ videoId: 'video1' }, T0, T0 + HOUR_MS);
      expect(row?.views).toBe(2);
      expect(row?.watchS).toBeCloseTo(SESSION_SLACK_S + 10 + 30, 5);
      expect(row?.rebufferS).toBeCloseTo(SESSION_SLACK_S, 5);
      expect(row?.errors).toBe(1);
      // The first startup report of a session is the one kept.
      expect(row?.startup.reduce((x, y) => x + y, 0)).toBe(1);
      expect(row?.startup[3]).toBe(1);
    });

    it('rolls idle sessions into hourly buckets once: the figures do not move, a second pass adds nothing', async () => {
      const a = repos.analytics;
      await a.applySessions(
        [
          delta({ sessionId: 's1', viewed: true, watchS: 5, startupMs: 150 }),
          delta({ sessionId: 's2', viewed: true, watchS: 7, visitor: 'visitor-s1' }),
          delta({ sessionId: 's3', watchS: 9 }), // no view event: counts for nothing
          delta({
            sessionId: 's4',
            viewed: true,
            watchS: 1,
            atMs: T0 + HOUR_MS,
            apiKey: 'key1',
            videoId: 'video2',
          }),
        ],
        SESSION_SLACK_S,
      );
      const range = [T0, T0 + 2 * HOUR_MS] as const;
      const before = await a.hourly({ apiKey: 'key1' }, ...range);
      const uniquesBefore = await a.uniques({ apiKey: 'key1' }, ...range, HOUR_MS);
      expect(before.map((r) => [r.hour, r.views, r.watchS])).toEqual([
        [T0, 2, 12],
        [T0 + HOUR_MS, 1, 1],
      ]);
      expect(uniquesBefore.total).toBe(2);
      // Only sessions idle since before the cut are rolled.
      expect(await a.rollup(T0 + 1, 100)).toBe(3);
      expect(await a.sessionCount()).toBe(1);
      expect(await a.rollup(T0 + HOUR_MS + 1, 1)).toBe(1);
      expect(await a.rollup(T0 + 10 * HOUR_MS, 100)).toBe(0);
      expect(await a.hourly({ apiKey: 'key1' }, ...range)).toEqual(before);
      expect(await a.uniques({ apiKey: 'key1' }, ...range, HOUR_MS)).toEqual(uniquesBefore);
      expect(await a.topVideos('key1', ...range, 10)).toEqual([
        { videoId: 'video1', views: 2, watchS: 12 },
        { videoId: 'video2', views: 1, watchS: 1 },
      ]);
      // A session of a rolled hour that comes back adds to the same bucket.
      await a.applySessions([delta({ sessionId: 's5', viewed: true, watchS: 2 })], SESSION_SLACK_S);
      await a.rollup(T0 + 10 * HOUR_MS, 100);
      expect((await a.hourly({ videoId: 'video1' }, ...range))[0]).toMatchObject({ views: 3, watchS: 14 });
      // Retention: buckets and visitors before the cut go, in bounded batches.
      expect(await a.sweep(T0 + HOUR_MS, 1)).toBe(2);
      expect(await a.sweep(T0 + HOUR_MS, 100)).toBeGreaterThan(0);
      expect(await a.hourly({ apiKey: 'key1' }, ...range)).toHaveLength(1);
    });

    it('shares one salt per day between nodes and forgets the previous day’s', async () => {
      const other = await db.open();
      try {
        const [s1, s2] = await Promise.all([
          repos.analytics.salt('2026-01-05'),
          other.analytics.salt('2026-01-05'),
        ]);
        expect(s1).toBe(s2);
        expect(s1).toMatch(/^[0-9a-f]{64}$/);
        const next = await other.analytics.salt('2026-01-06');
        expect(next).not.toBe(s1);
        // The old day's salt is gone: asking again makes a new one.
        expect(await repos.analytics.salt('2026-01-05')).not.toBe(s1);
      } finally {
        await other.close();
      }
    });

    it('two nodes folding the same sessions at once lose nothing', async () => {
      const other = await db.open();
      try {
        const sessions = Array.from({ length: 50 }, (_, i) => `s${i}`);
        const write = (r: Repositories) =>
          Promise.all(
            [0, 1, 2].map(() =>
              r.analytics.applySessions(
                sessions.map((sessionId) => delta({ sessionId, viewed: true, watchS: 1 })),
                SESSION_SLACK_S,
              ),
            ),
          );
        await Promise.all([write(repos), write(other)]);
        const [row] = await repos.analytics.hourly({ videoId: 'video1' }, T0, T0 + HOUR_MS);
        expect(row?.views).toBe(50);
        expect(row?.watchS).toBeCloseTo(50 * 6, 5);
      } finally {
        await other.close();
      }
    });
  });
}
