/*
 * Viewer statistics (issue 16): the stats API over hourly buckets plus live sessions, and the
 * background rollup that turns idle sessions into buckets and applies the retention.
 */
import type {
  KeyStats,
  StatsBucket,
  StatsGranularity,
  StatsRange,
  StatsSummary,
  VideoStats,
} from '@vodkit/api';
import type { FastifyBaseLogger } from 'fastify';
import type { AnalyticsConfig } from '../config-analytics.ts';
import { HOUR_MS, type HourlyRow, STARTUP_BIN_EDGES_MS, STARTUP_BINS } from '../db/analytics-sql.ts';
import type { AnalyticsRepository, StatsScope } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import type { Principal } from './auth.ts';
import type { VideoService } from './videos.ts';

const DAY_MS = 24 * HOUR_MS;
const GRANULARITY_MS: Record<StatsGranularity, number> = { hour: HOUR_MS, day: DAY_MS };
/** Buckets a series may have: a month of hours, two years of days. */
const MAX_BUCKETS: Record<StatsGranularity, number> = { hour: 31 * 24, day: 731 };
/** Sessions summed per rollup transaction, and passes per tick: a tick is bounded, the next one goes on. */
const ROLLUP_BATCH = 5000;
const ROLLUP_PASSES = 20;
const SWEEP_BATCH = 10_000;

export interface StatsQuery {
  from?: string;
  to?: string;
  granularity?: StatsGranularity;
}

interface Range {
  fromMs: number;
  toMs: number;
  granularity: StatsGranularity;
  stepMs: number;
}

/** from/to as ISO dates (default: the last 7 days), aligned outward to the granularity (default: hours up to 2 days). */
export function statsRange(q: StatsQuery, nowMs = Date.now()): Range {
  const parse = (v: string | undefined, name: string, fallback: number) => {
    if (v === undefined || v === '') return fallback;
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new ApiError('validation_failed', `${name} must be an ISO 8601 date`);
    return ms;
  };
  const to = parse(q.to, 'to', nowMs);
  const from = parse(q.from, 'from', to - 7 * DAY_MS);
  if (from >= to) throw new ApiError('validation_failed', 'from must be before to');
  const granularity = q.granularity ?? (to - from <= 2 * DAY_MS ? 'hour' : 'day');
  const stepMs = GRANULARITY_MS[granularity];
  const fromMs = from - (from % stepMs);
  const toMs = Math.ceil(to / stepMs) * stepMs;
  if ((toMs - fromMs) / stepMs > MAX_BUCKETS[granularity]) {
    throw new ApiError(
      'validation_failed',
      `a ${granularity} series has at most ${MAX_BUCKETS[granularity]} buckets: narrow from/to or use granularity=day`,
    );
  }
  return { fromMs, toMs, granularity, stepMs };
}

/** The q-quantile of a histogram, interpolated inside its bin; the open last bin answers its lower edge. */
export function histogramQuantile(bins: number[], q: number): number | null {
  const total = bins.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < bins.length; i++) {
    const n = bins[i]!;
    if (n > 0 && seen + n >= rank) {
      const lo = i === 0 ? 0 : STARTUP_BIN_EDGES_MS[i - 1]!;
      const hi = STARTUP_BIN_EDGES_MS[i];
      if (hi === undefined) return lo;
      return Math.round(lo + ((hi - lo) * Math.max(0, rank - seen)) / n);
    }
    seen += n;
  }
  return STARTUP_BIN_EDGES_MS.at(-1)!;
}

interface Sums {
  views: number;
  watchS: number;
  rebufferS: number;
  errors: number;
  startup: number[];
}

const empty = (): Sums => ({
  views: 0,
  watchS: 0,
  rebufferS: 0,
  errors: 0,
  startup: new Array(STARTUP_BINS).fill(0),
});

function add(into: Sums, r: HourlyRow): void {
  into.views += r.views;
  into.watchS += r.watchS;
  into.rebufferS += r.rebufferS;
  into.errors += r.errors;
  for (let i = 0; i < STARTUP_BINS; i++) into.startup[i]! += r.startup[i] ?? 0;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

function summary(s: Sums, uniqueViewers: number): StatsSummary {
  return {
    views: s.views,
    uniqueViewers,
    watchTimeS: round(s.watchS, 1),
    startupMs: { p50: histogramQuantile(s.startup, 0.5), p95: histogramQuantile(s.startup, 0.95) },
    rebufferRatio: s.watchS + s.rebufferS > 0 ? round(s.rebufferS / (s.watchS + s.rebufferS), 4) : 0,
    errorRate: s.views > 0 ? round(s.errors / s.views, 4) : 0,
  };
}

export interface AnalyticsServiceDeps {
  config: AnalyticsConfig;
  analytics: AnalyticsRepository;
  videos: VideoService;
  log: FastifyBaseLogger;
}

export class AnalyticsService {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(private readonly deps: AnalyticsServiceDeps) {}

  /** `GET /v1/videos/:videoId/stats`: 404 for a video of another key, as everywhere. */
  async videoStats(principal: Principal, videoId: string, q: StatsQuery): Promise<VideoStats> {
    await this.deps.videos.get(principal, videoId);
    return { videoId, ...(await this.#range({ videoId }, statsRange(q))) };
  }

  /** `GET /v1/stats`: every video of the key, with its ten most viewed. */
  async keyStats(principal: Principal, q: StatsQuery): Promise<KeyStats> {
    const range = statsRange(q);
    const [stats, top] = await Promise.all([
      this.#range({ apiKey: principal.apiKey }, range),
      this.deps.analytics.topVideos(principal.apiKey, range.fromMs, range.toMs, 10),
    ]);
    const topVideos = await Promise.all(
      top.map(async (t) => ({
        videoId: t.videoId,
        title: await this.deps.videos.get(principal, t.videoId).then(
          (v) => v.title,
          () => null,
        ),
        views: t.views,
        watchTimeS: round(t.watchS, 1),
      })),
    );
    return { ...stats, topVideos };
  }

  async #range(scope: StatsScope, r: Range): Promise<StatsRange> {
    const [rows, uniques] = await Promise.all([
      this.deps.analytics.hourly(scope, r.fromMs, r.toMs),
      this.deps.analytics.uniques(scope, r.fromMs, r.toMs, r.stepMs),
    ]);
    const total = empty();
    const buckets = new Map<number, Sums>();
    for (const row of rows) {
      add(total, row);
      const start = row.hour - (row.hour % r.stepMs);
      const b = buckets.get(start) ?? empty();
      buckets.set(start, b);
      add(b, row);
    }
    const series: StatsBucket[] = [];
    for (let start = r.fromMs; start < r.toMs; start += r.stepMs) {
      series.push({
        start: new Date(start).toISOString(),
        ...summary(buckets.get(start) ?? empty(), uniques.byBucket.get(start) ?? 0),
      });
    }
    return {
      from: new Date(r.fromMs).toISOString(),
      to: new Date(r.toMs).toISOString(),
      granularity: r.granularity,
      ...summary(total, uniques.total),
      startupHistogram: total.startup.map((count, i) => ({ upToMs: STARTUP_BIN_EDGES_MS[i] ?? null, count })),
      series,
    };
  }

  /** Starts the rollup loop (every `rollupMs`; passes never overlap). */
  start(): void {
    this.#timer ??= setInterval(() => {
      if (!this.#running) void this.rollupNow();
    }, this.deps.config.rollupMs).unref();
  }

  /**
   * Rolls sessions idle for `sessionIdleMs` into hourly buckets (at most ROLLUP_PASSES batches), then
   * deletes buckets past the retention (one bounded batch per table). Idempotent and safe to run on
   * every node at once.
   */
  rollupNow(nowMs = Date.now()): Promise<void> {
    this.#running ??= (async () => {
      try {
        const { analytics } = this.deps;
        for (let pass = 0; pass < ROLLUP_PASSES; pass++) {
          if ((await analytics.rollup(nowMs - this.deps.config.sessionIdleMs, ROLLUP_BATCH)) < ROLLUP_BATCH)
            break;
        }
        const keepFrom = nowMs - this.deps.config.retentionDays * DAY_MS;
        await analytics.sweep(keepFrom - (keepFrom % HOUR_MS), SWEEP_BATCH);
      } catch (err) {
        this.deps.log.error({ err }, 'analytics: rollup failed (retried next tick)');
      }
    })().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
