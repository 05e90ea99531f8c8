/*
 * The wiring of one Vodkit process: repositories, storage, event bus and services, chosen by the
 * configuration (SQLite or PostgreSQL, in-process or LISTEN/NOTIFY bus) and started for its role.
 * `app.ts` builds the HTTP server around it; `worker.ts` runs it without one.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.ts';
import { openRepositories } from './db/open.ts';
import type { JobWaker } from './db/pg/jobs.ts';
import type { Repositories } from './db/repositories.ts';
import { AnalyticsService } from './services/analytics.ts';
import { AuthService, type DevKey } from './services/auth.ts';
import { BeaconService } from './services/beacons.ts';
import { ChaptersService } from './services/chapters.ts';
import { ClipService } from './services/clips.ts';
import { EncodingService } from './services/encoding.ts';
import { EventBus, type VideoEventBus } from './services/events.ts';
import { FileService } from './services/files.ts';
import { IngestService } from './services/ingest.ts';
import { InstantClipService } from './services/instant-clips.ts';
import { KeysService } from './services/keys.ts';
import { Metrics } from './services/metrics.ts';
import type { PgEventBus } from './services/pg-events.ts';
import { PictureService } from './services/pictures.ts';
import { PlaybackService } from './services/playback.ts';
import { QuotaService } from './services/quotas.ts';
import { SandboxSweeper } from './services/sandbox.ts';
import { StudioService } from './services/studio.ts';
import { TracksService } from './services/tracks.ts';
import { VideoService } from './services/videos.ts';
import { WebhookService } from './services/webhooks.ts';
import { LocalStorage } from './storage/local.ts';
import type { VideoOutputs } from './storage/outputs.ts';
import { createVideoOutputs, prepareVideoOutputs } from './storage/outputs-factory.ts';
import { lockDownDataDir } from './storage/permissions.ts';
import { createUploadsStore, type UploadsStore } from './storage/uploads-store.ts';

export type Role = Config['scale']['role'];

/** Everything a route plugin may use: services (and the config for URLs), never the database. */
export interface AppContext {
  config: Config;
  /** The development key when this boot created it (empty database), for main.ts to print. */
  createdDevKey: DevKey | null;
  /** The version line of the ffmpeg that was found at boot, for /healthz. */
  ffmpegVersion: string | null;
  storage: LocalStorage;
  /** tus storage and its lock (local disk or S3; in-process or PostgreSQL), and where sources are read. */
  uploads: UploadsStore;
  auth: AuthService;
  events: VideoEventBus;
  files: FileService;
  encoding: EncodingService;
  clips: ClipService;
  videos: VideoService;
  webhooks: WebhookService;
  pictures: PictureService;
  tracks: TracksService;
  chapters: ChaptersService;
  instantClips: InstantClipService;
  /** Sweeps what the demo's sandbox key made (run by the demo routes). */
  sandbox: SandboxSweeper;
  /** Per-key limits on active jobs and unfinished uploads. */
  quotas: QuotaService;
  /** Link ingest: files downloaded from a URL (`POST /v1/files` with `{url}`). */
  ingest: IngestService;
  /** Protected playback: protection flags, origins, playback tokens and playlist signatures. */
  playback: PlaybackService;
  /** Where video outputs and caption files live: the video folders, or S3 (storage/outputs.ts). */
  outputs: VideoOutputs;
  /** Studio sign-in and sessions (the cookie `routes/auth.ts` also accepts). */
  studio: StudioService;
  /** `/v1/keys`: a key's own keys. */
  keys: KeysService;
  /** Viewer analytics: beacon ingest (buffered writes) and the stats API with its rollup (issue 16). */
  beacons: BeaconService;
  analytics: AnalyticsService;
  /** Prometheus metrics of this process (`GET /metrics`, or the worker's health port). */
  metrics: Metrics;
  /** `/readyz`: false once `drain()` was called (SIGTERM), before the server closes. */
  readiness: { draining: boolean };
}

/** The whole process context: what routes get, plus the repositories and the lifecycle (main, CLI, tests). */
export interface VodkitContext extends AppContext {
  role: Role;
  repos: Repositories;
  /** Starts what this role runs in the background: upload reconcile, encoding loop, webhook dispatcher. */
  start(): Promise<void>;
  /** Stops the background work (running encodes go back to the queue), then closes the bus and database. */
  close(): Promise<void>;
}

export interface ContextOptions {
  log: FastifyBaseLogger;
  ffmpegVersion?: string | null;
  /** Run the encoding loop (default: when the role encodes). Tests of pure HTTP shape turn it off. */
  startWorkers?: boolean;
  /** Overrides `config.scale.role` (tests). */
  role?: Role;
}

/** Which background loops a role runs. */
export function roleRuns(role: Role): { http: boolean; encoding: boolean; dispatcher: boolean } {
  return {
    http: role !== 'worker',
    // Encoding and its pictures go together: pictures are made beside the encode, by its worker.
    encoding: role !== 'api',
    // Webhooks are written to the outbox wherever their event happens; API nodes send them.
    dispatcher: role !== 'worker',
  };
}

export async function createContext(config: Config, options: ContextOptions): Promise<VodkitContext> {
  const { log } = options;
  const role = options.role ?? config.scale.role;
  const runs = roleRuns(role);
  const repos = await openRepositories(config);
  let pgEvents: PgEventBus | null = null;
  let waker: JobWaker | null = null;
  let uploads: UploadsStore | null = null;
  try {
    const storage = new LocalStorage(config.dataDir);
    lockDownDataDir(config.dataDir);
    uploads = await createUploadsStore(config, storage.uploadsDir);
    const { files: filesRepo, jobs: jobsRepo } = repos;
    // PostgreSQL's modules load only when it is configured: the embedded default boots without them.
    if (config.scale.databaseUrl) {
      const { PgEventBus } = await import('./services/pg-events.ts');
      pgEvents = new PgEventBus(config.scale.databaseUrl, (err) => log.error({ err }, 'event bus error'));
      await pgEvents.ready();
    }
    const events: VideoEventBus = pgEvents ?? new EventBus();
    // A worker idles on LISTEN: jobs queued by API nodes wake it at once, without polling fast.
    if (config.scale.databaseUrl && runs.encoding) {
      const { JobWaker } = await import('./db/pg/jobs.ts');
      waker = new JobWaker(config.scale.databaseUrl, (err) => log.error({ err }, 'job waker error'));
      await waker.ready();
    }
    const outputs = await createVideoOutputs(
      config,
      storage,
      async (videoId) => (await jobsRepo.getByVideo(videoId))?.attempts ?? null,
    );
    const auth = new AuthService(repos.keys, { maxTokenLifetimeS: config.maxTokenLifetimeS });
    // What the media services share: where the bytes are, the records, and who hears of changes.
    const media = { config, storage, uploads, files: filesRepo, jobs: jobsRepo, events, log, outputs };
    const files = new FileService(media);
    const pictures = new PictureService(media);
    const encoding = new EncodingService({
      ...media,
      chunkTasks: repos.chunkTasks,
      pictures,
      timings: { leaseMs: config.jobLeaseMs, renewMs: Math.round(config.jobLeaseMs / 3) },
      ...(waker ? { waker } : {}),
    });
    const clips = new ClipService({ files: filesRepo, jobs: jobsRepo, encoding });
    const metrics = new Metrics(jobsRepo);
    const stopWatchingEncodes = metrics.watchEncodes(events, jobsRepo);
    const chapters = new ChaptersService({
      config,
      chapters: repos.chapters,
      jobs: jobsRepo,
      files: filesRepo,
    });
    const videos = new VideoService({ config, files: filesRepo, jobs: jobsRepo, pictures, chapters });
    const webhooks = new WebhookService({
      config,
      repo: metrics.countWebhookOutcomes(repos.webhooks),
      jobs: jobsRepo,
      files: filesRepo,
      events,
      log,
    });
    const quotas = new QuotaService({
      config,
      jobs: jobsRepo,
      files: filesRepo,
      openUploads: repos.openUploads,
      uploads,
    });
    const ingest = new IngestService({
      config,
      files: filesRepo,
      fileService: files,
      uploads,
      quotas,
      events,
      log,
      soleNode: repos.engine === 'sqlite',
    });
    const playback = new PlaybackService({ dataDir: config.dataDir, repo: repos.playback, keys: repos.keys });
    const tracks = new TracksService({
      config,
      storage,
      tracks: repos.tracks,
      jobs: jobsRepo,
      files: filesRepo,
      outputs,
    });
    const beacons = new BeaconService({
      config: config.analytics,
      analytics: repos.analytics,
      jobs: jobsRepo,
      files: filesRepo,
      log,
      counters: metrics.beaconCounters(),
    });
    const analytics = new AnalyticsService({
      config: config.analytics,
      analytics: repos.analytics,
      videos,
      log,
    });
    const instantClips = new InstantClipService({
      jobs: jobsRepo,
      files: filesRepo,
      outputs,
      streamText: (videoId, relative) => tracks.streamText(videoId, relative),
    });
    const sandbox = new SandboxSweeper({ config, auth, encoding, files, jobs: jobsRepo, quotas, log });
    const studio = new StudioService({
      sessions: repos.studioSessions,
      keys: repos.keys,
      sessionTtlS: config.studioSessionTtlS,
    });
    const keys = new KeysService(repos.keys, auth);
    // Only where keys are handed out (HTTP nodes): a worker never creates one.
    const createdDevKey = runs.http ? await auth.ensureDevKey(config.dataDir) : null;

    let started = false;
    let closed: Promise<void> | null = null;
    return {
      config,
      createdDevKey,
      ffmpegVersion: options.ffmpegVersion ?? null,
      role,
      repos,
      storage,
      uploads,
      auth,
      events,
      files,
      encoding,
      clips,
      videos,
      webhooks,
      pictures,
      tracks,
      chapters,
      instantClips,
      sandbox,
      quotas,
      ingest,
      playback,
      outputs,
      studio,
      keys,
      beacons,
      analytics,
      metrics,
      readiness: { draining: false },
      async start() {
        if (started) return;
        started = true;
        // The bucket and its CORS rule, wherever a node starts first.
        await prepareVideoOutputs(outputs);
        // Uploads land on HTTP nodes; a worker has none of its own to reconcile.
        if (runs.http) await files.reconcile();
        // Downloads run where they were asked for: on HTTP nodes.
        if (runs.http) await ingest.start();
        if (runs.encoding && options.startWorkers !== false) encoding.start();
        if (runs.dispatcher) webhooks.start();
        // Beacons arrive at HTTP nodes; each rolls up idle sessions (the passes are safe together).
        if (runs.http) {
          beacons.start();
          analytics.start();
        }
      },
      close() {
        closed ??= (async () => {
          await ingest.stop();
          // encoding.stop() first marks its jobs stopped, then pictures.stop() frees the ones awaiting pictures.
          await Promise.all([encoding.stop(), pictures.stop()]);
          await webhooks.stop();
          stopWatchingEncodes();
          // Buffered beacons are written before the database closes.
          await Promise.all([beacons.close(), analytics.stop()]);
          await uploads?.close();
          await Promise.all([pgEvents?.close(), waker?.close()]);
          await repos.close();
        })();
        return closed;
      },
    };
  } catch (err) {
    await pgEvents?.close().catch(() => {});
    await waker?.close().catch(() => {});
    await uploads?.close().catch(() => {});
    await repos.close().catch(() => {});
    throw err;
  }
}
