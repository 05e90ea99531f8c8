/*
 * Beacon ingest (issue 16): `POST /v1/beacons` from players, public and cheap. A beacon is checked,
 * budgeted per client address, and folded into an in-memory delta of its session; every
 * `flushMs` (or when many sessions wait) the deltas go to the database in one transaction, where
 * the caps against the stored session apply. The hot path does no database work: the video's owner
 * and duration and the day's salt come from caches.
 */
import crypto from 'node:crypto';
import type { BeaconRequest } from '@vodkit/api';
import type { FastifyBaseLogger } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { AnalyticsConfig } from '../config-analytics.ts';
import type { SessionDelta } from '../db/analytics-sql.ts';
import type { AnalyticsRepository, FilesRepository, JobsRepository } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import { ClientRateLimit, clientKey, SessionBudget } from './beacon-limits.ts';

const ID = /^[A-Za-z0-9_-]+$/;
const ERROR_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;
export const MAX_BEACON_BYTES = 16 * 1024;
const MAX_EVENTS = 64;
/** Watch time a session may hold beyond its first-to-last-beacon wall clock: what played before the first beacon left. */
export const SESSION_SLACK_S = 15;
/** Sessions buffered before a flush is started early, and before beacons are refused (503) while one runs. */
const FLUSH_AT = 2000;
const MAX_PENDING = 20_000;
/** Videos (and unknown ids) remembered, and for how long: a protection or deletion shows within a minute. */
const VIDEO_CACHE = { max: 10_000, ttl: 60_000 };
/** A video of unknown duration still cannot collect more than a day of watch time per session. */
const NO_DURATION_CAP_S = 86_400;

function fail(message: string): never {
  throw new ApiError('validation_failed', message);
}

function finite(v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    fail(`${what} must be a number from ${min} to ${max}`);
  }
  return v;
}

/** A beacon body (a string when sent as text/plain), checked field by field; throws validation_failed. */
export function parseBeacon(body: unknown): BeaconRequest {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      fail('the beacon body is not JSON');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('the beacon must be a JSON object');
  const { videoId, sessionId, events } = value as Record<string, unknown>;
  if (typeof videoId !== 'string' || videoId.length > 64 || !ID.test(videoId)) {
    fail('videoId must be 1 to 64 of A-Za-z0-9_-');
  }
  if (typeof sessionId !== 'string' || sessionId.length < 8 || sessionId.length > 64 || !ID.test(sessionId)) {
    fail('sessionId must be 8 to 64 of A-Za-z0-9_-');
  }
  if (!Array.isArray(events) || events.length > MAX_EVENTS)
    fail(`events must be an array of at most ${MAX_EVENTS}`);
  const out: BeaconRequest['events'] = [];
  for (const e of events as unknown[]) {
    if (typeof e !== 'object' || e === null || typeof (e as { type?: unknown }).type !== 'string') {
      fail('each event must be an object with a type');
    }
    const ev = e as Record<string, unknown>;
    switch (ev.type) {
      case 'view':
        out.push({ type: 'view' });
        break;
      case 'startup':
        out.push({ type: 'startup', ms: finite(ev.ms, 0, 600_000, 'startup.ms') });
        break;
      case 'playing':
        out.push({ type: 'playing', s: finite(ev.s, 0, 3600, 'playing.s') });
        break;
      case 'rebuffer':
        out.push({ type: 'rebuffer', ms: finite(ev.ms, 0, 3_600_000, 'rebuffer.ms') });
        break;
      case 'rendition':
        out.push({ type: 'rendition', height: Math.round(finite(ev.height, 1, 8640, 'rendition.height')) });
        break;
      case 'error':
        if (typeof ev.code !== 'string' || !ERROR_CODE.test(ev.code))
          fail('error.code must be 1 to 64 of A-Za-z0-9_.:-');
        out.push({ type: 'error', code: ev.code });
        break;
      default:
      // Unknown types are skipped: newer players keep working against this server.
    }
  }
  return { videoId, sessionId, events: out };
}

export interface BeaconClient {
  /** The client address (as fastify resolved it behind VOD_TRUST_PROXY): hashed, budgeted, never stored. */
  ip: string;
  userAgent: string;
}

/** What happened to one beacon: stored (buffered), or dropped without a trace (unknown video, over budget). */
export type BeaconOutcome = 'stored' | 'unknown_video' | 'over_session_budget';

export interface BeaconCounters {
  beacon(outcome: BeaconOutcome | 'rate_limited'): void;
  flushed(sessions: number, seconds: number, ok: boolean): void;
}

export interface BeaconServiceDeps {
  config: AnalyticsConfig;
  analytics: AnalyticsRepository;
  jobs: JobsRepository;
  files: FilesRepository;
  log: FastifyBaseLogger;
  counters?: BeaconCounters;
}

interface VideoInfo {
  apiKey: string;
  capS: number;
}

export class BeaconService {
  readonly #rate: ClientRateLimit;
  readonly #budget: SessionBudget;
  readonly #videos = new LRUCache<string, VideoInfo | false>(VIDEO_CACHE);
  readonly #lookups = new Map<string, Promise<VideoInfo | false>>();
  /** Sessions this node has counted against a budget already (bounded; an evicted one is counted again). */
  readonly #known = new LRUCache<string, true>({ max: 100_000 });
  #salt: { day: string; salt: Promise<string> } | null = null;
  #pending = new Map<string, SessionDelta>();
  #flushing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(private readonly deps: BeaconServiceDeps) {
    this.#rate = new ClientRateLimit(deps.config.ratePerS, deps.config.burst);
    this.#budget = new SessionBudget(deps.config.sessionsPerHour);
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.deps.config.flushMs).unref();
  }

  /** Throws too_many_beacons (429) over the client's rate, unavailable (503) while the buffer is full. */
  async accept(beacon: BeaconRequest, client: BeaconClient, nowMs = Date.now()): Promise<BeaconOutcome> {
    const who = clientKey(client.ip);
    if (!this.#rate.take(who, nowMs)) {
      this.deps.counters?.beacon('rate_limited');
      throw new ApiError('too_many_beacons', 'too many beacons from this address: slow down', {
        retryAfterS: this.#rate.retryAfterS(who),
      });
    }
    const video = await this.#video(beacon.videoId);
    const outcome = video ? await this.#fold(beacon, video, client, who, nowMs) : 'unknown_video';
    this.deps.counters?.beacon(outcome);
    return outcome;
  }

  async #fold(
    beacon: BeaconRequest,
    video: VideoInfo,
    client: BeaconClient,
    who: string,
    nowMs: number,
  ): Promise<BeaconOutcome> {
    const key = `${beacon.videoId}\n${beacon.sessionId}`;
    let d = this.#pending.get(key);
    if (!d) {
      if (this.#pending.size >= MAX_PENDING) {
        throw new ApiError('unavailable', 'beacons are arriving faster than they are written: retry later');
      }
      if (!this.#known.has(key)) {
        if (!this.#budget.take(who, nowMs)) return 'over_session_budget';
        this.#known.set(key, true);
      }
      const visitor = await this.#visitor(client, nowMs);
      // Another beacon of the session may have been folded while the salt was read.
      d = this.#pending.get(key);
      if (!d) {
        d = {
          videoId: beacon.videoId,
          sessionId: beacon.sessionId,
          apiKey: video.apiKey,
          visitor,
          atMs: nowMs,
          viewed: false,
          watchS: 0,
          startupMs: null,
          rebufferCount: 0,
          rebufferS: 0,
          errorCode: null,
          switches: 0,
          maxHeight: 0,
          capS: video.capS,
        };
        this.#pending.set(key, d);
      }
    }
    d.atMs = Math.max(d.atMs, nowMs);
    for (const e of beacon.events) {
      switch (e.type) {
        case 'view':
          d.viewed = true;
          break;
        case 'startup':
          d.startupMs ??= e.ms;
          break;
        case 'playing':
          d.watchS += e.s;
          break;
        case 'rebuffer':
          d.rebufferCount++;
          d.rebufferS += e.ms / 1000;
          break;
        case 'rendition':
          d.switches++;
          d.maxHeight = Math.max(d.maxHeight, e.height);
          break;
        case 'error':
          d.errorCode ??= e.code;
          break;
      }
    }
    if (this.#pending.size >= FLUSH_AT) void this.flush();
    return 'stored';
  }

  /** Writes what is buffered in one transaction; one flush at a time (a caller during one waits for it, then flushes). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending.values()];
    this.#pending = new Map();
    const started = performance.now();
    this.#flushing = this.deps.analytics
      .applySessions(batch, SESSION_SLACK_S)
      .then(
        () => this.deps.counters?.flushed(batch.length, (performance.now() - started) / 1000, true),
        (err: unknown) => {
          // Analytics are best effort: a failed batch is logged and dropped, never retried without bound.
          this.deps.counters?.flushed(batch.length, (performance.now() - started) / 1000, false);
          this.deps.log.error({ err, sessions: batch.length }, 'beacons: flush failed, batch dropped');
        },
      )
      .finally(() => {
        this.#flushing = null;
      });
    await this.#flushing;
  }

  /** Stops the timer and writes what is buffered. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.flush();
  }

  /** The owner and watch-time cap of a video; false when there is no such video. One lookup per id at a time. */
  async #video(videoId: string): Promise<VideoInfo | false> {
    const cached = this.#videos.get(videoId);
    if (cached !== undefined) return cached;
    let lookup = this.#lookups.get(videoId);
    if (!lookup) {
      lookup = (async () => {
        const job = await this.deps.jobs.getByVideo(videoId);
        if (!job) return false as const;
        const duration =
          job.outputDuration ?? (await this.deps.files.get(job.fileId))?.metadata?.duration ?? null;
        return { apiKey: job.apiKey, capS: duration ? duration + 1 : NO_DURATION_CAP_S };
      })().finally(() => this.#lookups.delete(videoId));
      this.#lookups.set(videoId, lookup);
      const info = await lookup;
      this.#videos.set(videoId, info);
      return info;
    }
    return lookup;
  }

  /** hash(salt of the day, address, user agent), as Plausible does: a visitor is not followed across days. */
  async #visitor(client: BeaconClient, nowMs: number): Promise<string> {
    const day = new Date(nowMs).toISOString().slice(0, 10);
    if (this.#salt?.day !== day) {
      const salt = this.deps.analytics.salt(day);
      this.#salt = { day, salt };
      salt.catch(() => {
        if (this.#salt?.salt === salt) this.#salt = null;
      });
    }
    const salt = await this.#salt.salt;
    return crypto
      .createHash('sha256')
      .update(`${salt}\n${client.ip}\n${client.userAgent.slice(0, 512)}`)
      .digest('base64url')
      .slice(0, 22);
  }
}
