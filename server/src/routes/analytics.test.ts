import fs from 'node:fs';
import type { EncoderJob, KeyStats, VideoStats } from '@vodkit/api';
import { signToken } from '@vodkit/api/sign';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadAndProbe } from '../../test/encode-job.ts';
import { clips, tempDir } from '../../test/fixtures.ts';
import { apiFetcher, sqliteDb, startServer, type TestServer } from '../../test/server.ts';

let server: TestServer;
let token: string;
let videoId: string;
/** The probed duration of the clip: the watch-time cap per session is this plus a second. */
let duration: number;
const api = apiFetcher(
  () => server.baseUrl,
  () => token,
);

/** A session id a player would make. */
let n = 0;
const session = () => `sess${String(++n).padStart(8, '0')}${Math.random().toString(36).slice(2, 8)}`;

/** What navigator.sendBeacon sends: a text/plain string, an Origin of the embedding page, no credentials header. */
function beacon(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.baseUrl}/v1/beacons`, {
    method: 'POST',
    headers: {
      'content-type': 'text/plain;charset=UTF-8',
      origin: 'https://customer.example',
      'user-agent': 'Mozilla/5.0 test',
      'x-forwarded-for': '198.51.100.1',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Writes what the ingest buffered: the test waits for the write itself, not for a timer. */
const flush = () => server.app.vodkit.beacons.flush();

async function stats(id = videoId, query = ''): Promise<VideoStats> {
  const res = await api(`/v1/videos/${id}/stats${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as VideoStats;
}

beforeAll(async () => {
  const dir = tempDir('vodkit-analytics-');
  // Client addresses come from X-Forwarded-For (a trusted loopback proxy), so each test is its own
  // client: a burst of 120 takes the 100-beacon flood; the 429 test goes past it from another address.
  // No encoder: a queued job is a video, and its duration is the probe's.
  const [s, clip] = await Promise.all([
    startServer(
      {
        VOD_TRUST_PROXY: 'loopback',
        VOD_BEACON_RATE: '1',
        VOD_BEACON_BURST: '120',
        VOD_BEACON_SESSIONS_PER_HOUR: '5',
      },
      tempDir(),
      { startWorkers: false },
    ),
    clips.h264Aac(dir, { duration: 2, width: 160, height: 90 }),
  ]);
  server = s;
  token = await server.token();
  const file = await uploadAndProbe(server, token, fs.readFileSync(clip), 'clip.mp4');
  duration = file.metadata!.duration!;
  const res = await api('/v1/encoder/jobs', {
    method: 'POST',
    json: { fileId: file.fileId, presets: [{ format: 'hls', resolutions: ['240'] }] },
  });
  expect(res.status).toBe(201);
  videoId = ((await res.json()) as EncoderJob).videoId;
});

afterAll(async () => {
  await server?.close();
});

describe('POST /v1/beacons', () => {
  it('takes a text/plain beacon from any origin without a key, and the stats show the view', async () => {
    const sessionId = session();
    const res = await beacon({
      videoId,
      sessionId,
      events: [{ type: 'view' }, { type: 'startup', ms: 420 }, { type: 'rendition', height: 180 }],
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://customer.example');
    expect(res.headers.get('set-cookie')).toBeNull();
    // application/json works too (fetch from a native app or another player).
    const json = await fetch(`${server.baseUrl}/v1/beacons`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Mozilla/5.0 test',
        'x-forwarded-for': '198.51.100.1',
      },
      body: JSON.stringify({
        videoId,
        sessionId,
        events: [
          { type: 'playing', s: 1.5 },
          { type: 'future', x: 1 },
        ],
      }),
    });
    expect(json.status).toBe(202);
    await flush();
    const s = await stats();
    expect(s.views).toBe(1);
    expect(s.uniqueViewers).toBe(1);
    expect(s.watchTimeS).toBe(1.5);
    expect(s.startupMs.p50).toBeGreaterThanOrEqual(400);
    expect(s.startupMs.p50).toBeLessThan(500);
    expect(s.granularity).toBe('day');
    expect(s.series).toHaveLength(8);
    expect(s.series.at(-1)!.views).toBe(1);
  });

  it('caps a session’s watch time by the video’s duration', async () => {
    const before = await stats();
    const sessionId = session();
    // Two seconds of video: an hour of "playing" is worth at most its duration (+1 s) per session.
    await beacon({ videoId, sessionId, events: [{ type: 'view' }, { type: 'playing', s: 3600 }] });
    await beacon({ videoId, sessionId, events: [{ type: 'playing', s: 3600 }] });
    await flush();
    await beacon({ videoId, sessionId, events: [{ type: 'playing', s: 3600 }] });
    await flush();
    const after = await stats();
    expect(after.views).toBe(before.views + 1);
    const added = after.watchTimeS - before.watchTimeS;
    expect(duration).toBeGreaterThan(1.9);
    expect(added).toBeCloseTo(duration + 1, 1);
  });

  it('bounds a flood of forged sessions from one address, and stores nothing for unknown videos', async () => {
    const before = await stats();
    const db = sqliteDb(server.app);
    const rowsBefore = db.prepare('SELECT count(*) AS n FROM analytics_sessions').get() as { n: number };
    const flood = Array.from({ length: 100 }, (_, i) =>
      beacon(
        { videoId, sessionId: session(), events: [{ type: 'view' }, { type: 'playing', s: 2 }] },
        { 'user-agent': `forged-${i}`, 'x-forwarded-for': '198.51.100.2' },
      ),
    );
    expect((await Promise.all(flood)).every((r) => r.status === 202)).toBe(true);
    const unknown = await beacon({
      videoId: 'nosuchvideo0000000000',
      sessionId: session(),
      events: [{ type: 'view' }],
    });
    expect(unknown.status).toBe(202);
    await flush();
    const after = await stats();
    // VOD_BEACON_SESSIONS_PER_HOUR=5 for this address: 100 forged sessions add 5 views and visitors
    // (up to 10 if the flood straddles the turn of a clock hour, when the budget starts again).
    const added = after.views - before.views;
    expect(added).toBeGreaterThanOrEqual(5);
    expect(added).toBeLessThanOrEqual(10);
    expect(after.uniqueViewers - before.uniqueViewers).toBe(added);
    const rows = db.prepare('SELECT count(*) AS n FROM analytics_sessions').get() as { n: number };
    expect(rows.n - rowsBefore.n).toBe(added);
    expect(
      db
        .prepare("SELECT count(*) AS n FROM analytics_sessions WHERE video_id = 'nosuchvideo0000000000'")
        .get(),
    ).toEqual({
      n: 0,
    });
  });

  it('stores no address: no column of any analytics table holds the client IP', async () => {
    await beacon(
      { videoId, sessionId: session(), events: [{ type: 'view' }] },
      { 'x-forwarded-for': '203.0.113.77' },
    );
    await flush();
    await server.app.vodkit.analytics.rollupNow(Date.now() + server.config.analytics.sessionIdleMs + 1);
    const db = sqliteDb(server.app);
    const tables = ['analytics_sessions', 'analytics_hourly', 'analytics_visitors', 'analytics_salts'];
    const dump = tables.map((t) => JSON.stringify(db.prepare(`SELECT * FROM ${t}`).all())).join('\n');
    expect(dump).toContain(videoId);
    for (const ip of ['127.0.0.1', '203.0.113.77', '::ffff:127.0.0.1', 'Mozilla'])
      expect(dump).not.toContain(ip);
    // Whatever the table, a visitor is a 22-character hash.
    const visitors = db.prepare('SELECT visitor FROM analytics_visitors').all() as { visitor: string }[];
    expect(visitors.length).toBeGreaterThan(0);
    for (const v of visitors) expect(v.visitor).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('refuses a body over 16 KB with 413 and a malformed one with 400', async () => {
    const big = await beacon({ videoId, sessionId: session(), events: [], pad: 'x'.repeat(17 * 1024) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('beacon_too_large');
    for (const body of [
      'not json',
      { videoId, sessionId: 'short', events: [] },
      { videoId, sessionId: session(), events: [{ type: 'playing', s: -1 }] },
      { videoId, sessionId: session(), events: new Array(65).fill({ type: 'view' }) },
    ]) {
      const res = await beacon(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('rate-limits each client address with 429 and Retry-After, and not its neighbours', async () => {
    const from = (ip: string) =>
      beacon({ videoId: 'v', sessionId: session(), events: [] }, { 'x-forwarded-for': ip });
    // A burst of 120, then one a second (exact figures: beacon-limits.test.ts): of 200 sent at once,
    // the first 120 pass and, unless this took over 80 s, some are refused.
    const statuses = (await Promise.all(Array.from({ length: 200 }, () => from('198.51.100.3')))).map(
      (r) => r.status,
    );
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(120);
    const res = await from('198.51.100.3');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('too_many_beacons');
    expect((await from('198.51.100.4')).status).toBe(202);
  });
});

describe('stats API', () => {
  it('is scoped to the key, needs allow_read, and checks its range', async () => {
    const other = await server.app.vodkit.auth.createKey('other');
    const otherToken = await signToken({
      apiKey: other.apiKey,
      secret: other.secret,
      permissions: ['allow_read'],
    });
    expect((await api(`/v1/videos/${videoId}/stats`, { bearer: otherToken })).status).toBe(404);
    const noRead = await server.token(['allow_upload']);
    expect((await api(`/v1/videos/${videoId}/stats`, { bearer: noRead })).status).toBe(403);
    expect((await api(`/v1/videos/${videoId}/stats`, { bearer: null })).status).toBe(401);
    expect(
      (await api(`/v1/videos/${videoId}/stats?from=2020-01-01&to=2026-01-01&granularity=hour`)).status,
    ).toBe(400);
    expect((await api(`/v1/videos/${videoId}/stats?from=yesterday`)).status).toBe(400);
    const otherStats = (await (await api('/v1/stats', { bearer: otherToken })).json()) as KeyStats;
    expect(otherStats.views).toBe(0);
    expect(otherStats.topVideos).toEqual([]);
  });

  it('rolls sessions into hourly buckets without changing the figures, and GET /v1/stats ranks the key’s videos', async () => {
    const hour = await stats(
      videoId,
      `?granularity=hour&from=${new Date(Date.now() - 3600_000).toISOString()}`,
    );
    const before = await stats();
    const db = sqliteDb(server.app);
    await server.app.vodkit.analytics.rollupNow(Date.now() + server.config.analytics.sessionIdleMs + 1);
    // Idempotent: a second pass finds nothing left to add.
    await server.app.vodkit.analytics.rollupNow(Date.now() + server.config.analytics.sessionIdleMs + 1);
    expect(db.prepare('SELECT count(*) AS n FROM analytics_sessions').get()).toEqual({ n: 0 });
    expect(
      (db.prepare('SELECT count(*) AS n FROM analytics_hourly').get() as { n: number }).n,
    ).toBeGreaterThan(0);
    const after = await stats();
    expect(after).toEqual(before);
    expect(hour.granularity).toBe('hour');
    expect(hour.series.reduce((a, b) => a + b.views, 0)).toBe(before.views);
    const key = (await (await api('/v1/stats')).json()) as KeyStats;
    expect(key.views).toBe(before.views);
    expect(key.topVideos[0]).toMatchObject({ videoId, views: before.views, title: 'clip.mp4' });
  });
});
