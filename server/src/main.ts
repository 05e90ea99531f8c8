import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { SecretKeyMissingError } from './db/keys.ts';
import { detectFfmpeg, FfmpegMissingError } from './media/ffmpeg.ts';

/** Give in-flight requests and encoders this long to finish on SIGINT/SIGTERM, then exit anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Prints one line and exits 1: a start-up problem the operator fixes, not a stack trace to read. */
function die(message: string): never {
  console.error(`vodkit: ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  // Everything we create (database, WAL, uploads, outputs, dev-key.json) is for our user only.
  process.umask(0o077);
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) die(`configuration error: ${err.message}`);
    throw err;
  }
  if (config.scale.role === 'worker') die('VOD_ROLE=worker serves no HTTP: start it with npm run worker');

  let ffmpegVersion: string;
  try {
    ffmpegVersion = await detectFfmpeg(config);
  } catch (err) {
    if (err instanceof FfmpegMissingError) die(err.message);
    throw err;
  }

  let app: FastifyInstance;
  try {
    app = await buildApp(config, { ffmpegVersion });
  } catch (err) {
    if (err instanceof SecretKeyMissingError || err instanceof ConfigError) die(err.message);
    throw err;
  }
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') die(`port ${config.port} is already in use: set VOD_PORT to another port`);
    if (code === 'EACCES')
      die(`not allowed to listen on ${config.host}:${config.port}: set VOD_PORT above 1023`);
    throw err;
  }
  // performance.now() counts from process start: this includes loading Node, tsx and every module.
  const bootMs = Math.round(performance.now());

  console.log(
    `Vodkit ${config.publicUrl}  (listening on ${config.host}:${config.port}, ready in ${bootMs} ms)`,
  );
  console.log(`  ${ffmpegVersion}`);
  console.log(`  data: ${config.dataDir}${config.demo ? `  demo: ${config.publicUrl}/` : ''}`);
  const devKey = app.vodkit.createdDevKey;
  if (devKey) {
    // The secret itself never goes to stdout: stdout ends up in logs.
    console.log(`\n  A development API key was created: ${devKey.apiKey}`);
    console.log(
      `  Its secret is in ${path.join(config.dataDir, 'dev-key.json')} (readable by this user only);`,
    );
    console.log('  manage keys with `npm run keys`.\n');
  }
  if (!config.secretKey) {
    console.log(
      '  API and webhook secrets are stored unencrypted: set VOD_SECRET_KEY to encrypt them at rest.',
    );
  }

  installShutdown(app);
}

function installShutdown(app: FastifyInstance): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      console.error(`vodkit: ${signal} again, exiting now`);
      process.exit(1);
    }
    closing = true;
    console.log(`vodkit: ${signal}, shutting down (stopping uploads and encoders)…`);
    // /readyz fails from now on: load balancers stop sending new work while the rest drains.
    app.vodkit.readiness.draining = true;
    const force = setTimeout(() => {
      console.error(`vodkit: still busy after ${SHUTDOWN_GRACE_MS} ms, exiting anyway`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    app.close().then(
      () => {
        clearTimeout(force);
        process.exit(0);
      },
      (err: unknown) => {
        console.error('vodkit: error while shutting down', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error('vodkit: failed to start:', err);
  process.exit(1);
});
