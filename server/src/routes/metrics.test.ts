import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeToEnd, uploadAndProbe } from '../../test/encode-job.ts';
import { clips, tempDir } from '../../test/fixtures.ts';
import { sqliteDb, startServer, type TestServer } from '../../test/server.ts';
import { startHealth } from '../worker.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
let server: TestServer;
let token: string;
let videoId: string;

const scrape = (authorization?: string) =>
  fetch(`${server.baseUrl}/metrics`, authorization ? { headers: { authorization } } : {});

/** The value of one sample line (`name{labels} value`), or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  const dir = tempDir('vodkit-metrics-');
  const [s, clip] = await Promise.all([
    startServer({ VOD_METRICS_TOKEN: TOKEN }),
    clips.h264Aac(dir, { duration: 1, width: 160, height: 90 }),
  ]);
  server = s;
  token = await server.token();
  // Real traffic for the series: a tus upload, a GET, an encode.
  const file = await uploadAndProbe(server, token, fs.readFileSync(clip), 'clip.mp4');
  const read = await fetch(`${server.baseUrl}/v1/files/${file.fileId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(read.status).toBe(200);
  const job = await encodeToEnd(server, token, file.fileId);
  expect(job.status).toBe('completed');
  videoId = job.videoId;
});

afterAll(async () => {
  await server?.close();
});

describe('GET /metrics', () => {
  it('answers only the bearer of VOD_METRICS_TOKEN', async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape(`Bearer ${TOKEN}x`)).status).toBe(401);
    expect((await scrape(`Bearer ${token}`)).status).toBe(401);
  });

  it('has the process metrics and every vodkit series, with the traffic they saw', async () => {
    // An event stream held open while scraping.
    const abort = new AbortController();
    const sse = await fetch(`${server.baseUrl}/v1/videos/${videoId}/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    expect(sse.status).toBe(200);
    await sse.body!.getReader().read();
    try {
      const res = await scrape(`Bearer ${TOKEN}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await res.text();
      expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
      expect(
        sample(
          text,
          'vodkit_http_request_duration_seconds_count{route="/v1/files/:fileId",method="GET",status="200"}',
        ),
      ).toBeGreaterThan(0);
      expect(sample(text, 'vodkit_jobs{status="completed"}')).toBe(1);
      expect(sample(text, 'vodkit_jobs{status="queued"}')).toBe(0);
      expect(sample(text, 'vodkit_queue_depth')).toBe(0);
      expect(sample(text, 'vodkit_encode_seconds_count')).toBe(1);
      expect(sample(text, 'vodkit_time_to_playable_seconds_count')).toBe(1);
      expect(sample(text, 'vodkit_tus_received_bytes_total')).toBeGreaterThan(1000);
      expect(sample(text, 'vodkit_sse_streams')).toBe(1);
      expect(text).toContain('# TYPE vodkit_webhook_deliveries_total counter');
      expect(text).toContain('# TYPE vodkit_beacons_total counter');
    } finally {
      abort.abort();
    }
  });

  it('is served by a worker on its health port, with the same token', async () => {
    const health = await startHealth(
      { file: null, port: 0, host: '127.0.0.1' },
      () => true,
      (auth) => server.app.vodkit.metrics.scrape(auth, TOKEN),
    );
    try {
      const url = `http://127.0.0.1:${health.port}/metrics`;
      expect((await fetch(url)).status).toBe(401);
      const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('vodkit_jobs{status="completed"} 1');
    } finally {
      await health.stop();
    }
  });
});

describe('GET /readyz', () => {
  it('is ready with a database, fails while draining, and /healthz stays up', async () => {
    let res = await fetch(`${server.baseUrl}/readyz`);
    expect([res.status, await res.json()]).toEqual([200, { ready: true, draining: false, database: true }]);
    server.app.vodkit.readiness.draining = true;
    try {
      res = await fetch(`${server.baseUrl}/readyz`);
      expect([res.status, await res.json()]).toEqual([503, { ready: false, draining: true, database: null }]);
      expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    } finally {
      server.app.vodkit.readiness.draining = false;
    }
  });

  it('fails when the database does not answer (and without VOD_METRICS_TOKEN there is no /metrics)', async () => {
    const other = await startServer({}, tempDir(), { startWorkers: false });
    try {
      const metrics = await fetch(`${other.baseUrl}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(metrics.status).toBe(404);
      expect((await fetch(`${other.baseUrl}/readyz`)).status).toBe(200);
      sqliteDb(other.app).close();
      const res = await fetch(`${other.baseUrl}/readyz`);
      expect([res.status, await res.json()]).toEqual([
        503,
        { ready: false, draining: false, database: false },
      ]);
    } finally {
      await other.close().catch(() => {});
    }
  });
});
