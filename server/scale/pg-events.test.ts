import pg from 'pg';
import { afterAll, expect, inject, it } from 'vitest';
import type { EventBus, VideoEvent } from '../src/services/events.ts';
import { PgEventBus } from '../src/services/pg-events.ts';

const { databaseUrl } = inject('scaleEnv');
const buses: PgEventBus[] = [];
const open = async () => {
  const errors: Error[] = [];
  const bus = new PgEventBus(databaseUrl, (e) => errors.push(e));
  buses.push(bus);
  await bus.ready();
  return Object.assign(bus, { errors });
};
afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
});

/** Resolves with the first `n` events `bus` hears for `videoId`. */
const collect = (bus: Pick<EventBus, 'on'>, videoId: string, n: number) =>
  new Promise<VideoEvent[]>((resolve) => {
    const seen: VideoEvent[] = [];
    const off = bus.on(videoId, (e) => {
      seen.push(e);
      if (seen.length === n) {
        off();
        resolve(seen);
      }
    });
  });

it('delivers an event emitted by a worker to an API node on another connection, in order', async () => {
  const worker = await open();
  const api = await open();
  const forVideo = collect(api, 'vid1', 3);
  const all = collect(api, '*', 4);
  const events: VideoEvent[] = [
    { type: 'progress', videoId: 'vid1', data: { progress: 10 } },
    { type: 'progress', videoId: 'vid2', data: { progress: 50 } },
    { type: 'playable', videoId: 'vid1', data: { renditions: ['360'] } },
    { type: 'completed', videoId: 'vid1', data: { progress: 100 } },
  ];
  for (const e of events) worker.emit(e);
  expect(await forVideo).toEqual([events[0], events[2], events[3]]);
  expect(await all).toEqual(events);
  expect([...worker.errors, ...api.errors]).toEqual([]);
});

it('has the in-process EventBus surface, unsubscribes, and refuses an event too big for NOTIFY', async () => {
  const bus: Pick<EventBus, 'emit' | 'on'> = await open();
  let heard = 0;
  const off = bus.on('vid3', () => heard++);
  const done = collect(bus, 'vid3', 2);
  bus.emit({ type: 'progress', videoId: 'vid3', data: {} });
  off();
  bus.emit({ type: 'progress', videoId: 'vid3', data: {} });
  await done;
  expect(heard).toBe(0); // unsubscribed before either NOTIFY came back
  expect(() => bus.emit({ type: 'failed', videoId: 'vid3', data: { message: 'x'.repeat(8000) } })).toThrow(
    /over 7900 bytes/,
  );
});

it('measures NOTIFY latency from one connection to a listener on another (median printed)', async () => {
  const worker = await open();
  const api = await open();
  const samples: number[] = [];
  for (let i = 0; i < 200; i++) {
    const got = collect(api, 'lat', 1);
    const t = process.hrtime.bigint();
    worker.emit({ type: 'progress', videoId: 'lat', data: { i } });
    const [e] = await got;
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    expect(e?.data).toEqual({ i });
  }
  samples.sort((a, b) => a - b);
  const pct = (p: number) => samples[Math.floor((samples.length - 1) * p)]!.toFixed(2);
  console.log(
    `scale: NOTIFY emit→listener latency over 200 events: median ${pct(0.5)} ms, p95 ${pct(0.95)} ms`,
  );
});

it('hears events again after its listening connection is cut (database restart, network)', async () => {
  const worker = await open();
  const api = await open();
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  const cut = await admin.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'vodkit-events'",
  );
  await admin.end();
  expect(cut.rowCount).toBeGreaterThanOrEqual(2);
  let heard = false;
  api.on('again', () => {
    heard = true;
  });
  // NOTIFY is at most once: events sent while the listener reconnects are lost, later ones arrive.
  for (let i = 0; i < 100 && !heard; i++) {
    worker.emit({ type: 'progress', videoId: 'again', data: { i } });
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(heard).toBe(true);
  expect(api.errors.length).toBeGreaterThan(0); // the cut was reported, not swallowed
});

it('onEmitted hears only this node’s own emits (the webhook outbox writes each event once), and the in-process job row never crosses', async () => {
  const a = await open();
  const b = await open();
  const ownA: VideoEvent[] = [];
  const ownB: VideoEvent[] = [];
  a.onEmitted((e) => ownA.push(e));
  b.onEmitted((e) => ownB.push(e));
  const heardByB = collect(b, 'vid9', 1);
  const job = { jobId: 'job9' } as unknown as NonNullable<VideoEvent['job']>;
  a.emit({ type: 'deleted', videoId: 'vid9', data: { fileId: 'f9' }, job });
  // Synchronous within emit, on the emitting node only, with the row.
  expect(ownA).toEqual([{ type: 'deleted', videoId: 'vid9', data: { fileId: 'f9' }, job }]);
  expect(await heardByB).toEqual([{ type: 'deleted', videoId: 'vid9', data: { fileId: 'f9' } }]);
  await a.flush();
  expect(ownB).toEqual([]);
  expect([...a.errors, ...b.errors]).toEqual([]);
});
