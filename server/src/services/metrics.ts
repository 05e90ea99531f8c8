/*
 * Prometheus metrics (issue 16), one registry per process context (tests run several apps in one
 * process). API nodes serve it at `GET /metrics`, workers on `VOD_HEALTH_PORT`; both only with
 * `Authorization: Bearer $VOD_METRICS_TOKEN`.
 */
import crypto from 'node:crypto';
import type { JobStatus } from '@vodkit/api';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { JobsRepository, WebhooksRepository } from '../db/repositories.ts';
import type { BeaconCounters } from './beacons.ts';
import type { VideoEventBus } from './events.ts';

const JOB_STATUSES: JobStatus[] = ['queued', 'processing', 'completed', 'failed', 'cancelled'];

export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'route' | 'method' | 'status'>;
  readonly encodeSeconds: Histogram;
  readonly timeToPlayable: Histogram;
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly tusBytes: Counter;
  readonly sseStreams: Gauge;
  readonly beacons: Counter<'outcome'>;
  readonly beaconFlushSeconds: Histogram<'ok'>;

  constructor(jobs: JobsRepository) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'vodkit_http_request_duration_seconds',
      help: 'HTTP requests by route pattern, method and status (tus and event streams hand their replies over and are not timed).',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    new Gauge({
      name: 'vodkit_jobs',
      help: 'Encoding jobs in the database by status.',
      labelNames: ['status'],
      registers,
      async collect() {
        const counts = await jobs.countByStatus();
        for (const status of JOB_STATUSES) this.set({ status }, counts[status] ?? 0);
      },
    });
    new Gauge({
      name: 'vodkit_queue_depth',
      help: 'Jobs waiting for a worker (status queued).',
      registers,
      async collect() {
        this.set((await jobs.countByStatus()).queued ?? 0);
      },
    });
    this.encodeSeconds = new Histogram({
      name: 'vodkit_encode_seconds',
      help: 'From a job starting to it completing, for jobs completed by this process.',
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers,
    });
    this.timeToPlayable = new Histogram({
      name: 'vodkit_time_to_playable_seconds',
      help: 'From a job being created to its video being playable, for jobs encoded by this process.',
      buckets: [0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'vodkit_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: succeeded, retrying (failed, another attempt is due), failed (no attempt left).',
      labelNames: ['outcome'],
      registers,
    });
    this.tusBytes = new Counter({
      name: 'vodkit_tus_received_bytes_total',
      help: 'Upload bytes written by tus PATCH requests.',
      registers,
    });
    this.sseStreams = new Gauge({
      name: 'vodkit_sse_streams',
      help: 'Open Server-Sent Events streams.',
      registers,
    });
    this.beacons = new Counter({
      name: 'vodkit_beacons_total',
      help: 'Analytics beacons by outcome: stored, unknown_video, over_session_budget, rate_limited.',
      labelNames: ['outcome'],
      registers,
    });
    this.beaconFlushSeconds = new Histogram({
      name: 'vodkit_beacon_flush_seconds',
      help: 'One buffered write of beacon sessions to the database.',
      labelNames: ['ok'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
  }

  /** What the beacon ingest reports. */
  beaconCounters(): BeaconCounters {
    return {
      beacon: (outcome) => this.beacons.inc({ outcome }),
      flushed: (_sessions, seconds, ok) => this.beaconFlushSeconds.observe({ ok: String(ok) }, seconds),
    };
  }

  /** Times this process's encodes from its own events (a worker's jobs show on that worker's metrics). */
  watchEncodes(events: VideoEventBus, jobs: JobsRepository): () => void {
    return events.onEmitted((event) => {
      if (event.type !== 'playable' && event.type !== 'completed') return;
      void jobs.getByVideo(event.videoId).then(
        (job) => {
          if (!job) return;
          if (event.type === 'playable') {
            this.timeToPlayable.observe((Date.now() - Date.parse(job.createdAt)) / 1000);
          } else if (job.startedAt) {
            const end = job.finishedAt ? Date.parse(job.finishedAt) : Date.now();
            this.encodeSeconds.observe((end - Date.parse(job.startedAt)) / 1000);
          }
        },
        () => {},
      );
    });
  }

  /** The webhooks repository, counting each attempt's outcome as the dispatcher records it. */
  countWebhookOutcomes(repo: WebhooksRepository): WebhooksRepository {
    const counter = this.webhookDeliveries;
    return new Proxy(repo, {
      get(target, prop) {
        if (prop === 'recordSuccess') {
          return (...args: Parameters<WebhooksRepository['recordSuccess']>) => {
            counter.inc({ outcome: 'succeeded' });
            return target.recordSuccess(...args);
          };
        }
        if (prop === 'recordFailure') {
          return (...args: Parameters<WebhooksRepository['recordFailure']>) => {
            counter.inc({ outcome: args[1].nextAtMs === null ? 'failed' : 'retrying' });
            return target.recordFailure(...args);
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /** The Prometheus text for `Authorization: Bearer <token>`; null when the header does not carry it. */
  async scrape(authorization: string | undefined, token: string): Promise<string | null> {
    if (!bearerMatches(authorization, token)) return null;
    return this.registry.metrics();
  }
}

/** Constant-time: both sides are hashed to the same length before `timingSafeEqual`. */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const given = /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '';
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(token).digest();
  return crypto.timingSafeEqual(a, b) && given.length > 0;
}
