import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Config } from './config.ts';
import { type Db, openDatabase } from './db/database.ts';
import { FilesRepo } from './db/files.ts';
import { JobsRepo } from './db/jobs.ts';
import { KeysRepo } from './db/keys.ts';
import { PlaybackRepo } from './db/playback.ts';
import { TracksRepo } from './db/tracks.ts';
import { OpenUploadsRepo } from './db/uploads.ts';
import { WebhooksRepo } from './db/webhooks.ts';
import { ApiError } from './errors.ts';
import { clientErrorHandler, httpServerOptions, installIdleTimeout } from './http-limits.ts';
import demoRoutes from './routes/demo.ts';
import filesRoutes from './routes/files.ts';
import healthRoutes from './routes/health.ts';
import jobsRoutes from './routes/jobs.ts';
import picturesRoutes from './routes/pictures.ts';
import playbackRoutes from './routes/playback.ts';
import siteRoutes from './routes/site.ts';
import streamRoutes from './routes/stream.ts';
import { installStreamGate } from './routes/stream-gate.ts';
import tracksRoutes from './routes/tracks.ts';
import uploadsRoutes from './routes/uploads.ts';
import videosRoutes from './routes/videos.ts';
import webhooksRoutes from './routes/webhooks.ts';
import { AuthService, type DevKey } from './services/auth.ts';
import { EncodingService } from './services/encoding.ts';
import { EventBus } from './services/events.ts';
import { FileService } from './services/files.ts';
import { PictureService } from './services/pictures.ts';
import { PlaybackService } from './services/playback.ts';
import { QuotaService } from './services/quotas.ts';
import { SandboxSweeper } from './services/sandbox.ts';
import { TracksService } from './services/tracks.ts';
import { VideoService } from './services/videos.ts';
import { WebhookService } from './services/webhooks.ts';
import { LocalStorage } from './storage/local.ts';
import { lockDownDataDir } from './storage/permissions.ts';
import { createUploadsStore, type UploadsStore } from './storage/uploads-store.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's services, for main.ts, the CLI and tests. */
    vodkit: AppContext;
  }
}

/** Everything a route plugin may use: services (and the config for URLs), never the db or fs directly. */
export interface AppContext {
  config: Config;
  /** The development key when this boot created it (empty data dir), for main.ts to print. */
  createdDevKey: DevKey | null;
  /** The version line of the ffmpeg that was found at boot, for /healthz. */
  ffmpegVersion: string | null;
  db: Db;
  storage: LocalStorage;
  /** tus storage and its lock (local disk or S3; in-process or PostgreSQL), and where sources are read. */
  uploads: UploadsStore;
  auth: AuthService;
  events: EventBus;
  files: FileService;
  encoding: EncodingService;
  videos: VideoService;
  webhooks: WebhookService;
  pictures: PictureService;
  tracks: TracksService;
  /** Sweeps what the demo's sandbox key made (run by the demo routes). */
  sandbox: SandboxSweeper;
  /** Per-key limits on active jobs and unfinished uploads. */
  quotas: QuotaService;
  /** Protected playback: protection flags, origins, playback tokens and playlist signatures. */
  playback: PlaybackService;
}

export interface BuildOptions {
  /** Passed to fastify's logger; false in tests. */
  logger?: boolean;
  /** Start the encoding workers (default true). Tests of pure HTTP shape may turn them off. */
  startWorkers?: boolean;
  ffmpegVersion?: string | null;
}

/** Builds the whole app without listening: `main.ts` listens, tests use `inject()` or listen on port 0. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : { level: config.logLevel },
    // tus PATCH bodies stream straight to disk; this limit is only for JSON bodies.
    bodyLimit: 1024 * 1024,
    // X-Forwarded-* count only from a configured proxy (VOD_TRUST_PROXY); timeouts; JSON 4xx.
    trustProxy: config.trustProxy,
    http: httpServerOptions(config),
    clientErrorHandler,
    // Per-request lines only when debugging: segment GETs would drown everything else.
    logController: new LogController({
      disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace',
    }),
  });

  installIdleTimeout(app.server, config.bodyIdleTimeoutMs);

  const db = openDatabase(config.dataDir);
  const storage = new LocalStorage(config.dataDir);
  lockDownDataDir(config.dataDir);
  const uploads = createUploadsStore(config, storage.uploadsDir);
  const keys = new KeysRepo(db, config.secretKey);
  const filesRepo = new FilesRepo(db);
  const jobsRepo = new JobsRepo(db);
  const events = new EventBus();
  const auth = new AuthService(keys, { maxTokenLifetimeS: config.maxTokenLifetimeS });
  const files = new FileService({
    config,
    storage,
    uploads,
    files: filesRepo,
    jobs: jobsRepo,
    events,
    log: app.log,
  });
  const pictures = new PictureService({
    config,
    storage,
    uploads,
    files: filesRepo,
    jobs: jobsRepo,
    events,
    log: app.log,
  });
  const encoding = new EncodingService({
    config,
    storage,
    files: filesRepo,
    jobs: jobsRepo,
    events,
    log: app.log,
    uploads,
    pictures,
  });
  const videos = new VideoService({ config, files: filesRepo, jobs: jobsRepo, pictures });
  const webhooks = new WebhookService({
    config,
    repo: new WebhooksRepo(db, config.secretKey),
    jobs: jobsRepo,
    files: filesRepo,
    events,
    log: app.log,
  });
  const quotas = new QuotaService({
    config,
    jobs: jobsRepo,
    files: filesRepo,
    openUploads: new OpenUploadsRepo(db),
    uploads,
  });
  const playback = new PlaybackService({ dataDir: config.dataDir, repo: new PlaybackRepo(db), keys });
  const ctx: AppContext = {
    config,
    createdDevKey: auth.ensureDevKey(config.dataDir),
    ffmpegVersion: options.ffmpegVersion ?? null,
    db,
    storage,
    uploads,
    auth,
    events,
    files,
    encoding,
    videos,
    webhooks,
    pictures,
    tracks: new TracksService({
      config,
      storage,
      tracks: new TracksRepo(db),
      jobs: jobsRepo,
      files: filesRepo,
    }),
    sandbox: new SandboxSweeper({ config, auth, encoding, files, jobs: jobsRepo, quotas, log: app.log }),
    quotas,
    playback,
  };

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof ApiError) return reply.status(err.status).send(err.toBody());
    const e = err as { validation?: unknown; statusCode?: number; message?: string; code?: string };
    if (e.validation) {
      return reply
        .status(400)
        .send({ error: { code: 'validation_failed', message: e.message ?? 'invalid request' } });
    }
    if (e.statusCode === 415 || e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply
        .status(415)
        .send({ error: { code: 'unsupported_media', message: e.message ?? 'unsupported content type' } });
    }
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      const code =
        e.statusCode === 413 ? 'upload_too_large' : e.statusCode === 404 ? 'not_found' : 'validation_failed';
      return reply.status(e.statusCode).send({ error: { code, message: e.message ?? 'bad request' } });
    }
    // 5xx: log everything, show nothing of it.
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'internal', message: 'internal server error' } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: { code: 'not_found', message: `no route for ${request.method} ${request.url.split('?')[0]}` },
    }),
  );

  // The API is called from customers' pages on other origins, with an Authorization header.
  await app.register(cors, {
    origin: true,
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
    exposedHeaders: [
      'Location',
      'Upload-Offset',
      'Upload-Length',
      'Upload-Metadata',
      'Tus-Resumable',
      'Tus-Version',
      'Tus-Max-Size',
      'Tus-Extension',
      'Upload-Expires',
    ],
    maxAge: 86400,
  });

  // Before every route plugin, so each /stream route (ours and any added later) inherits the gate.
  installStreamGate(app, ctx);
  await app.register(healthRoutes, ctx);
  await app.register(uploadsRoutes, ctx);
  await app.register(filesRoutes, ctx);
  await app.register(jobsRoutes, ctx);
  await app.register(videosRoutes, ctx);
  await app.register(webhooksRoutes, ctx);
  await app.register(tracksRoutes, ctx);
  await app.register(streamRoutes, ctx);
  await app.register(picturesRoutes, ctx);
  await app.register(playbackRoutes, ctx);
  if (config.demo) await app.register(demoRoutes, ctx);
  await app.register(siteRoutes, ctx);

  app.decorate('vodkit', ctx);
  app.addHook('onReady', async () => {
    await files.reconcile();
    if (options.startWorkers !== false) encoding.start();
    webhooks.start();
  });
  app.addHook('onClose', async () => {
    // encoding.stop() first marks its jobs stopped, then pictures.stop() frees the ones awaiting pictures.
    await Promise.all([encoding.stop(), pictures.stop()]);
    await webhooks.stop();
    await uploads.close();
    db.close();
  });
  return app;
}
