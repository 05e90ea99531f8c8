import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Origin, startOrigin } from '../../test/origin.ts';
import { fetchLink, LinkError, type LinkFetchOptions } from './link-fetch.ts';
import { ingestRefuses } from './ssrf.ts';

/*
 * The production address rule on every redirect hop. The origin listens on 127.0.0.2, and the rule
 * is production's (`ingestRefuses` without VOD_INGEST_ALLOW_PRIVATE) but for that one address, which
 * stands in for a public origin: where its redirects lead is judged exactly as in production.
 */
const ORIGIN_HOST = '127.0.0.2';
let origin: Origin;

beforeAll(async () => {
  origin = await startOrigin(ORIGIN_HOST);
});
afterAll(() => origin?.close());

const options = (o: Partial<LinkFetchOptions> = {}): LinkFetchOptions => ({
  refuses: (ip) => ip !== ORIGIN_HOST && ingestRefuses(ip, false),
  idleTimeoutMs: 5000,
  maxBytes: 1024 * 1024,
  signal: new AbortController().signal,
  ...o,
});

async function failure(path: string, o: Partial<LinkFetchOptions> = {}): Promise<LinkError> {
  try {
    for await (const _ of fetchLink(new URL(origin.url(path)), options(o))) {
      // drain
    }
  } catch (err) {
    if (err instanceof LinkError) return err;
    throw err;
  }
  throw new Error(`${path} downloaded`);
}

const requestsTo = (prefix: string) => origin.requests.filter((r) => r.path.startsWith(prefix)).length;

describe('fetchLink redirects', () => {
  it('refuses a hop to a private address, by literal IP or by a name that resolves to one', async () => {
    origin.route('/to-ip', (_req, res) => res.writeHead(302, { location: 'http://10.0.0.1/a.mp4' }).end());
    origin.route('/to-loopback', (_req, res) =>
      res.writeHead(307, { location: `http://127.0.0.1:${origin.port}/a.mp4` }).end(),
    );
    // `localhost` resolves to loopback: the guarded lookup refuses it before any connection.
    origin.route('/to-name', (_req, res) =>
      res.writeHead(301, { location: `http://localhost:${origin.port}/a.mp4` }).end(),
    );
    for (const path of ['/to-ip', '/to-loopback', '/to-name']) {
      const err = await failure(path);
      expect(err.code, path).toBe('url_not_allowed');
    }
    // Only the three first hops reached the origin (which also listens on nothing but 127.0.0.2).
    expect(requestsTo('/to-')).toBe(3);
    expect(requestsTo('/a.mp4')).toBe(0);
  });

  it('refuses a hop to another scheme, and follows at most 5 hops', async () => {
    origin.route('/to-ftp', (_req, res) => res.writeHead(302, { location: 'ftp://example.com/a.mp4' }).end());
    expect((await failure('/to-ftp')).code).toBe('url_not_allowed');
    for (let i = 0; i < 7; i++) {
      origin.route(`/hop${i}`, (_req, res) => res.writeHead(302, { location: `/hop${i + 1}` }).end());
    }
    const err = await failure('/hop0');
    expect(err).toMatchObject({ code: 'download_failed', message: 'more than 5 redirects' });
    expect(requestsTo('/hop')).toBe(6);
  });

  it('ends with the abort reason (the total time limit) while the origin is still sending', async () => {
    origin.route('/slow', (_req, res) => {
      res.writeHead(200, { 'content-length': '1000000' });
      const drip = setInterval(() => res.write('x'), 20);
      res.on('close', () => clearInterval(drip));
    });
    const controller = new AbortController();
    const err = await failure('/slow', {
      signal: controller.signal,
      onBytes: (n) => {
        if (n >= 3) controller.abort(new LinkError('download_timeout', 'the download took too long'));
      },
    });
    expect(err.code).toBe('download_timeout');
  });
});
