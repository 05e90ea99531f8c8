/*
 * `npm run worker`: an encoding node (VOD_ROLE=worker) with no HTTP server. It claims jobs from the
 * shared PostgreSQL queue, encodes them and makes their pictures; API nodes serve everything else.
 *
 * Health: `VOD_HEALTH_FILE` (a path) is touched every few seconds while the loops run, for a
 * file-age probe; `VOD_HEALTH_PORT` answers `GET /healthz` on 127.0.0.1 (or `VOD_HEALTH_HOST`) with
 * 200 `ok` (503 while stopping), for an HTTP probe. Either, both or neither. With `VOD_METRICS_TOKEN`,
 * the port also answers `GET /metrics` (Prometheus text) to `Authorization: Bearer <token>`.
 *
 * SIGTERM/SIGINT hand the running jobs back to the queue (another worker restarts them at once)
 * and exit 0; a second signal, or a stop that takes longer than the grace period, exits 1.
 */
import fs from 'node:fs';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { createContext, type VodkitContext } from './context.ts';
import { SecretKeyMissingError } from './db/keys.ts';
import { detectFfmpeg, FfmpegMissingError } from './media/ffmpeg.ts';

const SHUTDOWN_GRACE_MS = 10_000;
/** How often the health file is touched; a probe should allow a few periods (e.g. 30 s). */
export const HEALTH_TOUCH_MS = 5_000;

function die(message: string): never {
  console.error(`vodkit worker: ${message}`);
  process.exit(1);
}

export interface HealthOptions {
  file: string | null;
  port: number | null;
  host: string;
}

/** Reads VOD_HEALTH_FILE / VOD_HEALTH_PORT / VOD_HEALTH_HOST; throws ConfigError on a bad value. */
export function loadHealthOptions(env: NodeJS.ProcessEnv): HealthOptions {
  const rawPort = env.VOD_HEALTH_PORT;
  let port: number | null = null;
  if (rawPort) {
    port = Number(rawPort);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new ConfigError(`VOD_HEALTH_PORT must be a port number from 1 to 65535, got "${rawPort}"`);
    }
  }
  return { file: env.VOD_HEALTH_FILE || null, port, host: env.VOD_HEALTH_HOST || '127.0.0.1' };
}

/** The health signal: a touched file and/or a tiny node:http answer. `stop()` ends both. */
export async function startHealth(
  options: HealthOptions,
  healthy: () => boolean,
  /** `GET /metrics` on the same port (issue 16): the Prometheus text, or null when the bearer is wrong. */
  metrics: ((authorization: string | undefined) => Promise<string | null>) | null = null,
): Promise<{ port: number | null; stop(): Promise<void> }> {
  let timer: NodeJS.Timeout | null = null;
  if (options.file) {
    const file = options.file;
    const touch = () => {
      if (!healthy()) return;
      const now = new Date();
      try {
        fs.utimesSync(file, now, now);
      } catch {
        fs.writeFileSync(file, '');
      }
    };
    // The first touch throws (a bad path is a start-up error); later failures show as a stale file.
    touch();
    timer = setInterval(() => {
      try {
        touch();
      } catch {}
    }, HEALTH_TOUCH_MS);
    timer.unref();
  }
  let server: http.Server | null = null;
  if (options.port !== null) {
    server = http.createServer((req, res) => {
      if (metrics && req.method === 'GET' && req.url === '/metrics') {
        metrics(req.headers.authorization).then(
          (text) => {
            res.writeHead(text === null ? 401 : 200, {
              'content-type': text === null ? 'text/plain' : 'text/plain; version=0.0.4; charset=utf-8',
              'cache-control': 'no-store',
            });
            res.end(text ?? 'unauthorized\n');
          },
          () => {
            res.writeHead(500).end();
          },
        );
        return;
      }
      const ok = req.method === 'GET' && req.url === '/healthz';
      const up = healthy();
      res.writeHead(!ok ? 404 : up ? 200 : 503, {
        'content-type': 'text/plain',
        'cache-control': 'no-store',
      });
      res.end(!ok ? 'not found\n' : up ? 'ok\n' : 'stopping\n');
    });
    server.requestTimeout = 5_000;
    server.headersTimeout = 5_000;
    const s = server;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(options.port ?? 0, options.host, () => resolve());
    });
  }
  const address = server?.address();
  return {
    port: address && typeof address === 'object' ? address.port : null,
    async stop() {
      if (timer) clearInterval(timer);
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server?.close(() => resolve()));
      }
    },
  };
}

async function main(): Promise<void> {
  process.umask(0o077);
  let config: Config;
  let health: HealthOptions;
  try {
    config = loadConfig();
    health = loadHealthOptions(process.env);
  } catch (err) {
    if (err instanceof ConfigError) die(`configuration error: ${err.message}`);
    throw err;
  }
  if (config.scale.role !== 'worker') {
    die(
      `npm run worker starts an encoding node: set VOD_ROLE=worker (with VOD_DATABASE_URL and VOD_S3_*); VOD_ROLE=${config.scale.role} runs with npm start`,
    );
  }
  let ffmpegVersion: string;
  try {
    ffmpegVersion = await detectFfmpeg(config);
  } catch (err) {
    if (err instanceof FfmpegMissingError) die(err.message);
    throw err;
  }
  const log = pino({ level: config.logLevel });
  let ctx: VodkitContext;
  try {
    ctx = await createContext(config, { log, ffmpegVersion, role: 'worker' });
    await ctx.start();
  } catch (err) {
    if (err instanceof SecretKeyMissingError || err instanceof ConfigError) die(err.message);
    throw err;
  }
  let stopping = false;
  let probe: Awaited<ReturnType<typeof startHealth>>;
  try {
    const token = config.analytics.metricsToken;
    probe = await startHealth(
      health,
      () => !stopping,
      token ? (authorization) => ctx.metrics.scrape(authorization, token) : null,
    );
  } catch (err) {
    await ctx.close();
    die(`health signal: ${(err as Error).message}`);
  }
  log.info(
    { concurrency: config.encodeConcurrency, healthFile: health.file, healthPort: probe.port },
    `vodkit worker ready (${ffmpegVersion})`,
  );

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`vodkit worker: ${signal} again, exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: handing running jobs back to the queue`);
    const force = setTimeout(() => {
      console.error(`vodkit worker: still busy after ${SHUTDOWN_GRACE_MS} ms, exiting anyway`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    Promise.all([ctx.close(), probe.stop()]).then(
      () => {
        clearTimeout(force);
        process.exit(0);
      },
      (err: unknown) => {
        console.error('vodkit worker: error while shutting down', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error('vodkit worker: fatal:', err);
    process.exit(1);
  });
}
