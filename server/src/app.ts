import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Config } from './config.ts';
import { type ContextOptions, createContext, roleRuns, type VodkitContext } from './context.ts';
import { ApiError } from './errors.ts';
import {
  clientErrorHandler,
  httpServerOptions,
  installBodyDeadline,
  installIdleTimeout,
} from './http-limits.ts';
import analyticsRoutes from './routes/analytics.ts';
import { installAuth } from './routes/auth.ts';
import chaptersRoutes from './routes/chapters.ts';
import clipsRoutes from './routes/clips.ts';
import demoRoutes from './routes/demo.ts';
import filesRoutes from './routes/files.ts';
import healthRoutes from './routes/health.ts';
import jobsRoutes from './routes/jobs.ts';
import keysRoutes from './routes/keys.ts';
import { installMetrics } from './routes/metrics.ts';
import picturesRoutes from './routes/pictures.ts';
import playbackRoutes from './routes/playback.ts';
import siteRoutes from './routes/site.ts';
import streamRoutes from './routes/stream.ts';
import { installStreamGate } from './routes/stream-gate.ts';
import studioRoutes from './routes/studio.ts';
import tracksRoutes from './routes/tracks.ts';
import uploadsRoutes from './routes/uploads.ts';
import videoLibraryRoutes from './routes/video-library.ts';
import videosRoutes from './routes/videos.ts';
import webhooksRoutes from './routes/webhooks.ts';

export type { AppContext } from './context.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The process context (services, repositories, lifecycle), for main.ts, the CLI and tests. */
    vodkit: VodkitContext;
  }
}

export interface BuildOptions {
  /** Passed to fastify's logger; false in tests. */
  logger?: boolean;
  /** Start the encoding workers (default: when the role encodes). Tests of pure HTTP shape may turn them off. */
  startWorkers?: boolean;
  ffmpegVersion?: string | null;
  /** Overrides `config.scale.role` (tests): `api` serves HTTP without encoding. */
  role?: ContextOptions['role'];
}

/** Builds the whole app without listening: `main.ts` listens, tests use `inject()` or listen on port 0. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : { level: config.logLevel },
    // tus PATCH bodies stream straight to disk; this limit is for JSON bodies (a job's userData is
    // at most 16 KiB). The caption route sets its own.
    bodyLimit: 64 * 1024,
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

  const role = options.role ?? config.scale.role;
  if (!roleRuns(role).http) throw new Error(`VOD_ROLE=${role} serves no HTTP: start it with worker.ts`);
  const ctx = await createContext(config, {
    log: app.log,
    ffmpegVersion: options.ffmpegVersion ?? null,
    role,
    ...(options.startWorkers === undefined ? {} : { startWorkers: options.startWorkers }),
  });
  // A failure past this point must not leave the database open.
  try {
    await registerAll(app, ctx);
  } catch (err) {
    await ctx.close();
    throw err;
  }
  app.decorate('vodkit', ctx);
  app.addHook('onReady', () => ctx.start());
  app.addHook('onClose', () => ctx.close());
  return app;
}

async function registerAll(app: FastifyInstance, ctx: VodkitContext): Promise<void> {
  const { config } = ctx;
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

  // Before every route plugin, so each /stream route (ours and any added later) inherits the gate,
  // each route naming a permission is authenticated from its headers, and each body has a deadline.
  installStreamGate(app, ctx);
  installAuth(app, ctx.auth, { service: ctx.studio, config });
  installBodyDeadline(app, config.bodyTimeoutMs);
  installMetrics(app, ctx);
  await app.register(healthRoutes, ctx);
  await app.register(uploadsRoutes, ctx);
  await app.register(filesRoutes, ctx);
  await app.register(jobsRoutes, ctx);
  await app.register(videosRoutes, ctx);
  await app.register(videoLibraryRoutes, ctx);
  await app.register(keysRoutes, ctx);
  await app.register(studioRoutes, ctx);
  await app.register(clipsRoutes, ctx);
  await app.register(webhooksRoutes, ctx);
  await app.register(tracksRoutes, ctx);
  await app.register(chaptersRoutes, ctx);
  await app.register(streamRoutes, ctx);
  await app.register(picturesRoutes, ctx);
  await app.register(playbackRoutes, ctx);
  await app.register(analyticsRoutes, ctx);
  if (config.demo) await app.register(demoRoutes, ctx);
  await app.register(siteRoutes, ctx);
}
