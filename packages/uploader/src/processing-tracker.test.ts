/// <reference types="node" />
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { messagesFor } from './i18n.ts';
import type { ProcessingSnapshot } from './processing.ts';
import { ProcessingTracker } from './processing-tracker.ts';
import { TokenSource } from './token-source.ts';

/**
 * The tracker's HTTP side against a real socket: an origin that drops connections and answers errors
 * on cue, standing in for a network that comes and goes between the browser and Vodkit (the whole
 * element against the real server is in e2e/tests/uploader-retry.spec.ts).
 */

type Answer = 'drop' | number | Record<string, unknown>;
let server: http.Server | null = null;

async function origin(answers: Answer[]): Promise<{ base: string; requests: string[] }> {
  const requests: string[] = [];
  server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const answer = answers.shift() ?? 503;
    if (answer === 'drop') return req.socket.destroy();
    if (typeof answer === 'number') {
      res.writeHead(answer, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { code: 'conflict', message: `HTTP ${answer} here.` } }));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = null;
});

const file = (status: string, extra: Record<string, unknown> = {}) => ({
  fileId: 'f1',
  filename: 'a.mp4',
  status,
  metadata: status === 'ready' ? { duration: 2 } : null,
  reason: null,
  ...extra,
});

function track(base: string, encode = false) {
  const states: ProcessingSnapshot[] = [];
  const tracker = new ProcessingTracker(
    'f1',
    {
      apiBase: base,
      tokens: new TokenSource({ token: 't', tokenUrl: null }),
      encode,
      messages: () => messagesFor('en'),
    },
    (next) => states.push(next),
  );
  return { tracker, states };
}

describe('ProcessingTracker after a network drop', () => {
  it('a dropped connection says "reconnecting" and goes on by itself: no failure', async () => {
    const { base, requests } = await origin(['drop', 503, file('ready')]);
    const { tracker, states } = track(base);
    await tracker.start();
    expect(requests).toEqual(['GET /v1/files/f1', 'GET /v1/files/f1', 'GET /v1/files/f1']);
    expect(states.some((s) => s.reconnecting)).toBe(true);
    expect(tracker.state).toMatchObject({ stage: 'ready', reconnecting: false, reason: null });
    expect(states.some((s) => s.stage === 'failed' || s.stage === 'interrupted')).toBe(false);
  });

  it('a refused job request stops as interrupted (never "failed"), says what to do, and retry() creates the job', async () => {
    const job = { jobId: 'j1', videoId: 'v1', status: 'completed', progress: 100, playback: { hls: '/h' } };
    const { base, requests } = await origin([file('ready'), 409, file('ready'), job]);
    const { tracker, states } = track(base, true);
    await tracker.start();
    // What the row is handed, not only the tracker's own state.
    expect(states.at(-1)).toMatchObject({
      stage: 'interrupted',
      retryable: true,
      reason: {
        code: 'conflict',
        message:
          'HTTP 409 here. Your file is safe on the server, but encoding has not started: retry to start it.',
      },
    });
    expect(tracker.canRetry).toBe(true);
    await tracker.retry();
    expect(tracker.state).toMatchObject({ stage: 'completed', videoId: 'v1', jobId: 'j1', reason: null });
    expect(requests.filter((r) => r === 'POST /v1/encoder/jobs')).toHaveLength(2);
  });

  it('follows a link’s download progress until the probe is done', async () => {
    const { base } = await origin([
      file('downloading', { progress: { bytes: 10, total: 100 } }),
      file('downloading', { progress: { bytes: 60, total: 100 } }),
      file('probing'),
      file('ready'),
    ]);
    const { tracker, states } = track(base);
    await tracker.start();
    expect(states.filter((s) => s.stage === 'downloading').map((s) => s.download?.bytes)).toEqual([10, 60]);
    expect(tracker.state).toMatchObject({ stage: 'ready', download: null });
  });
});
