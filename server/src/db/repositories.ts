/*
 * The repository seam (issue 8): every read and write of the database goes through these
 * interfaces, implemented twice with the same behaviour — SQLite (`db/*.ts`, the embedded default)
 * and PostgreSQL (`db/pg/*.ts`, scaled out). They are async because PostgreSQL is; the SQLite
 * implementations answer from a resolved promise. One contract suite (`test/repositories-contract.ts`)
 * runs against both, so a behaviour the services rely on is pinned for both engines.
 *
 * Row types stay next to their SQLite implementation, which was first; both implementations map
 * to the same rows.
 */
import type { Chapter, Download, JobStatus, MediaMetadata, Rendition } from '@vodkit/api';
import type { HourlyRow, SessionDelta, StatsScope, TopVideoRow } from './analytics-sql.ts';
import type { ChunkKey, ChunkTaskRow, NewChunkTask } from './chunk-tasks.ts';
import type { FileRow, NewFile } from './files.ts';
import type { FinalStatus, JobRow, NewJob } from './jobs.ts';
import type { ApiKeyRow } from './keys.ts';
import type { PlaybackAccessRow } from './playback.ts';
import type { StudioSessionRow } from './studio-sessions.ts';
import type { NewTrack, TrackRow } from './tracks.ts';
import type { DeliveryRow, EndpointRow, NewDelivery, NewEvent } from './webhooks.ts';

export type {
  ApiKeyRow,
  ChunkKey,
  ChunkTaskRow,
  DeliveryRow,
  EndpointRow,
  FileRow,
  FinalStatus,
  HourlyRow,
  JobRow,
  NewChunkTask,
  NewDelivery,
  NewEvent,
  NewFile,
  NewJob,
  NewTrack,
  PlaybackAccessRow,
  SessionDelta,
  StatsScope,
  StudioSessionRow,
  TopVideoRow,
  TrackRow,
};

/** The Studio's filter of a key's videos (`GET /v1/videos`). */
export interface VideoFilter {
  /** Matched, case-insensitively, anywhere in the title (the video's own, else its file's title or name). */
  q: string | null;
  status: JobStatus | null;
}

export interface Page<T> {
  rows: T[];
  total: number;
}

export interface FilesRepository {
  /** Inserts a file in `probing`; a second insert of the same id is ignored (tus may finish twice after a crash). */
  insertProbing(file: NewFile): Promise<void>;
  /** Link ingest: a file in `downloading` (progress 0 of unknown), its lease `leaseMs` from now. */
  insertDownloading(file: NewFile, leaseMs: number): Promise<void>;
  /**
   * A download's progress, and its lease renewed `leaseMs` from now; false when the file is no longer
   * `downloading` (deleted, or rejected because its lease ran out): the downloader stops.
   */
  updateDownload(fileId: string, bytes: number, total: number | null, leaseMs: number): Promise<boolean>;
  /** The bytes are all in the store: `probing`, with the size received; false as for `updateDownload`. */
  finishDownload(fileId: string, size: number): Promise<boolean>;
  /** The download failed: `rejected` with a reason; false when the file had left `downloading` already. */
  rejectDownload(fileId: string, code: string, message: string): Promise<boolean>;
  /**
   * Rejects the downloads whose lease ran out before `atMs` (default: now, on the database's clock):
   * their node died. Returns their ids.
   */
  expireDownloads(code: string, message: string, atMs?: number): Promise<string[]>;
  markReady(fileId: string, metadata: MediaMetadata, probeMs: number): Promise<void>;
  markRejected(
    fileId: string,
    code: string,
    message: string,
    probeMs: number | null,
    metadata?: MediaMetadata,
  ): Promise<void>;
  get(fileId: string): Promise<FileRow | undefined>;
  /** Newest first. */
  list(apiKey: string, page: number, perPage: number): Promise<Page<FileRow>>;
  /** Files left in `probing` (a server died mid-probe): probed again at start-up. */
  listProbing(): Promise<FileRow[]>;
  /** A key's files created before `beforeIso` (the demo sandbox sweep). */
  idsCreatedBefore(apiKey: string, beforeIso: string): Promise<string[]>;
  has(fileId: string): Promise<boolean>;
  delete(fileId: string): Promise<boolean>;
}

/**
 * The encoding queue: a job is claimed with a lease (owner + expiry) that its worker renews while
 * ffmpeg runs; a lease that runs out means the worker died, and the job goes back to the queue.
 * Every transition is one statement guarded by the owner, so two workers never hold the same job.
 */
export interface JobsRepository {
  insert(job: NewJob): Promise<JobRow>;
  /**
   * Inserts the job unless its key already has `maxActive` jobs queued or processing; null then.
   * Count and insert are one atomic step, so concurrent creates (on any API node) hold the limit.
   */
  insertWithin(job: NewJob, maxActive: number): Promise<JobRow | null>;
  get(jobId: string): Promise<JobRow | undefined>;
  getByVideo(videoId: string): Promise<JobRow | undefined>;
  /** Newest first. */
  list(apiKey: string, page: number, perPage: number): Promise<Page<JobRow>>;
  /** A key's videos (one a job), newest first, by title and status. */
  listVideos(apiKey: string, filter: VideoFilter, page: number, perPage: number): Promise<Page<JobRow>>;
  /** The video's own title; null falls back to its file's. False when there is no such video. */
  setTitle(videoId: string, title: string | null): Promise<boolean>;
  /**
   * Takes the next queued job for `owner` until `leaseMs` from now, atomically, fair across keys
   * (fewest processing first, then the key whose last job started longest ago, then the oldest job).
   * The job starts from scratch: progress, renditions and `playable` are reset.
   */
  claimNext(owner: string, leaseMs: number): Promise<JobRow | undefined>;
  /** Extends the lease; false when the job is no longer ours (cancelled, or requeued after we stalled). */
  renewLease(jobId: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Puts `processing` jobs whose lease ran out (their worker died) back in the queue; returns them. */
  requeueExpired(atMs?: number): Promise<JobRow[]>;
  /** Jobs some worker holds right now, with their lease owners. */
  listProcessing(): Promise<JobRow[]>;
  /** Gives a job held by `owner` back to the queue (shutting down, or that owner's process is gone). */
  release(jobId: string, owner: string): Promise<boolean>;
  /** Records the encoder's pid with the lease, so a restarted server can kill an orphan before requeueing. */
  setEncoderPid(jobId: string, owner: string, pid: number | null): Promise<void>;
  /** The duration the encode really produced (reported instead of the probed one). */
  setOutputDuration(jobId: string, owner: string, seconds: number): Promise<void>;
  setDownloads(jobId: string, owner: string, downloads: Download[]): Promise<void>;
  updateProgress(jobId: string, owner: string, progress: number): Promise<void>;
  /** The master playlist and a first segment of every rendition are published. */
  markPlayable(jobId: string, owner: string, renditions: Rendition[]): Promise<boolean>;
  /** Ends a job we are running; false when it had already left `processing` under us (cancelled). */
  finish(
    jobId: string,
    owner: string,
    status: FinalStatus,
    error?: { code: string; message: string } | null,
  ): Promise<boolean>;
  /** Cancels a job that has not ended, whoever runs it; false when it already ended. */
  cancel(jobId: string, message: string): Promise<boolean>;
  /** Every video made from this file (any status): their outputs go when the file goes. */
  videoIdsForFile(fileId: string): Promise<string[]>;
  /** Jobs still queued or running on this file: deleting it now would pull the source from under ffmpeg. */
  activeCountForFile(fileId: string): Promise<number>;
  /** A key's queued and processing jobs created before `beforeIso` (the demo sandbox sweep). */
  activeIdsForKey(apiKey: string, beforeIso: string): Promise<string[]>;
  /** Queued + processing jobs of one key (the per-key job quota). */
  activeCountForKey(apiKey: string): Promise<number>;
  deleteForFile(fileId: string): Promise<void>;
  /** Jobs per status (the `vodkit_jobs` gauge); statuses without jobs are absent. */
  countByStatus(): Promise<Partial<Record<JobStatus, number>>>;
}

/**
 * API keys. With a secret key (VOD_SECRET_KEY) secrets are sealed (AES-256-GCM, db/sealed.ts)
 * before they reach the database and opened on the way out; callers only ever see plain secrets.
 */
export interface KeysRepository {
  /** `createdBy`: the key that made this one through `POST /v1/keys` (null: the CLI or the server). */
  insert(
    apiKey: string,
    secret: string,
    name: string | null,
    sandbox?: boolean,
    createdBy?: string | null,
  ): Promise<ApiKeyRow>;
  get(apiKey: string): Promise<ApiKeyRow | undefined>;
  /** The newest usable sandbox key, if any. */
  getSandbox(): Promise<ApiKeyRow | undefined>;
  sandboxApiKeys(): Promise<string[]>;
  list(): Promise<ApiKeyRow[]>;
  /** The keys one key made through `POST /v1/keys`, oldest first. */
  listCreatedBy(apiKey: string): Promise<ApiKeyRow[]>;
  count(): Promise<number>;
  revoke(apiKey: string): Promise<boolean>;
}

/**
 * Chunked encoding's tasks (issue 17 #2): the chunks of one attempt of a job, each claimed by any
 * worker with a lease of its own. Every transition is one statement guarded by the lease owner; a
 * task is claimable and renewable only while its job is `processing` on that attempt, so a cancel
 * stops every chunk at its worker's next renewal.
 */
export interface ChunkTasksRepository {
  /**
   * Replaces the job's tasks with this attempt's (queued, or held by `owner` when `ownerRuns`), if
   * `owner` still holds the job on `attempt`; false (nothing written) otherwise.
   */
  plan(
    jobId: string,
    attempt: number,
    owner: string,
    videoId: string,
    tasks: readonly NewChunkTask[],
    leaseMs: number,
  ): Promise<boolean>;
  /** Takes the oldest queued task of a live job (of `jobId` only, when given) for `worker`. */
  claim(worker: string, leaseMs: number, jobId?: string | null): Promise<ChunkTaskRow | undefined>;
  /** Extends the lease; false when the task or its job is no longer ours (cancelled, failed, requeued). */
  renew(key: ChunkKey, worker: string, leaseMs: number): Promise<boolean>;
  /** The chunk is in shared storage: `done`, encoded by `worker`. False when it was not ours any more. */
  complete(key: ChunkKey, worker: string): Promise<boolean>;
  /**
   * Hands a task back: `error` null (a shutdown) returns its try; a failure counts, and the task is
   * `failed` for good once it was tried `maxTries` times.
   */
  giveBack(key: ChunkKey, worker: string, error: string | null, maxTries: number): Promise<void>;
  /** Tasks whose lease ran out (their worker died) go back to the queue, or fail past `maxTries`. */
  requeueExpired(maxTries: number, atMs?: number): Promise<ChunkTaskRow[]>;
  /** One attempt's tasks, by index. */
  list(jobId: string, attempt: number): Promise<ChunkTaskRow[]>;
}

/** Protection settings of videos (the job row) and keys. */
export interface PlaybackRepository {
  access(videoId: string): Promise<PlaybackAccessRow | undefined>;
  setProtected(videoId: string, value: boolean): Promise<void>;
  setVideoOrigins(videoId: string, origins: string[] | null): Promise<void>;
  keyOrigins(apiKey: string): Promise<string[] | null>;
  setKeyOrigins(apiKey: string, origins: string[] | null): Promise<void>;
}

export interface TracksRepository {
  /**
   * Inserts a track unless the video already has `max`; a new default clears the old one in the
   * same transaction, so a video never has two. Null when the limit was reached.
   */
  insert(track: NewTrack, max: number): Promise<TrackRow | null>;
  get(trackId: string): Promise<TrackRow | undefined>;
  /** Oldest first: the order of the playlist's subtitle group and of the player's menu. */
  listForVideo(videoId: string): Promise<TrackRow[]>;
  count(videoId: string): Promise<number>;
  /**
   * Makes the track the video's default (clearing the old one in the same transaction) or not;
   * false when the video has no such track.
   */
  setDefault(videoId: string, trackId: string, value: boolean): Promise<boolean>;
  delete(trackId: string): Promise<boolean>;
}

/** Chapters of videos: the whole list is read and replaced at once. */
export interface ChaptersRepository {
  /** In start order; empty when none. */
  get(videoId: string): Promise<Chapter[]>;
  /** Replaces the list; an empty one removes it. */
  set(videoId: string, chapters: readonly Chapter[]): Promise<void>;
}

/** Unfinished uploads per key (the upload quotas), reserved before tus creates the upload. */
export interface OpenUploadsRepository {
  /** Reserves one upload of `size` bytes for the key unless that would pass either limit; true when reserved. */
  reserve(fileId: string, apiKey: string, size: number, maxCount: number, maxBytes: number): Promise<boolean>;
  usage(apiKey: string): Promise<{ count: number; bytes: number }>;
  release(fileId: string): Promise<void>;
  ids(): Promise<string[]>;
}

/**
 * Webhook endpoints and the outbox. An event and its deliveries are written in one transaction;
 * the dispatcher claims due deliveries with a lease, like the encoding queue.
 */
export interface WebhooksRepository {
  insertEndpoint(e: Omit<EndpointRow, 'createdAt'>): Promise<EndpointRow>;
  getEndpoint(endpointId: string): Promise<EndpointRow | undefined>;
  /** Oldest first. */
  listEndpoints(apiKey: string, page?: number, perPage?: number): Promise<Page<EndpointRow>>;
  countEndpoints(apiKey: string): Promise<number>;
  /** The endpoint goes with its deliveries (cascade): nothing more is sent to it. */
  deleteEndpoint(endpointId: string): Promise<boolean>;
  getSigningSecret(apiKey: string): Promise<{ secret: string; createdAt: string } | undefined>;
  /** Creates or replaces the key's signing secret; pending retries are signed with the new one. */
  setSigningSecret(apiKey: string, secret: string): Promise<{ secret: string; createdAt: string }>;
  /** Writes the event and one pending delivery per target, due now. */
  enqueue(event: NewEvent, deliveries: NewDelivery[], atMs?: number): Promise<void>;
  /**
   * Takes up to `limit` due deliveries until `leaseUntil`: pending ones whose time has come, and ones
   * a dead process was sending (lease run out), so a crash mid-request means a retry, not a loss.
   */
  claimDue(atMs: number, leaseUntil: number, limit: number): Promise<DeliveryRow[]>;
  getDelivery(deliveryId: string): Promise<DeliveryRow | undefined>;
  /** Newest first. */
  listDeliveries(endpointId: string, page: number, perPage: number): Promise<Page<DeliveryRow>>;
  /** Deliveries to jobs' own `webhookUrl` of one key, newest first. */
  listJobDeliveries(apiKey: string, page: number, perPage: number): Promise<Page<DeliveryRow>>;
  recordSuccess(deliveryId: string, responseStatus: number): Promise<void>;
  /** One failed attempt: pending again at `nextAtMs`, or `failed` for good when it is null. */
  recordFailure(
    deliveryId: string,
    failure: { responseStatus: number | null; error: string; nextAtMs: number | null },
  ): Promise<void>;
  /** An attempt we abandoned ourselves (shutdown): pending again at once, no attempt counted. */
  release(deliveryId: string): Promise<void>;
  /** Replay: pending now, with the retry schedule from its start; false while an attempt is in flight. */
  requeue(deliveryId: string): Promise<boolean>;
  /** Forgets events older than `beforeIso` whose every delivery has ended; returns how many. */
  sweep(beforeIso: string): Promise<number>;
  /** Earliest `next_at` of a pending delivery, for tests and the dispatcher's sleep. */
  nextDueAt(): Promise<number | null>;
}

/**
 * Studio sessions (the cookie) and one-time sign-in links, by the SHA-256 of their token. Expiry is
 * the caller's clock (`atMs`), so tests and nodes pass the time they judge by.
 */
export interface StudioSessionsRepository {
  insert(row: Omit<StudioSessionRow, 'createdAt'>): Promise<void>;
  /** The unexpired row of this kind, if any. */
  get(tokenHash: string, kind: StudioSessionRow['kind'], atMs: number): Promise<StudioSessionRow | undefined>;
  /** Reads and deletes in one statement: a sign-in link works once, even with two nodes racing. */
  take(
    tokenHash: string,
    kind: StudioSessionRow['kind'],
    atMs: number,
  ): Promise<StudioSessionRow | undefined>;
  delete(tokenHash: string): Promise<boolean>;
  /** Forgets rows expired at `atMs`; returns how many. */
  sweep(atMs: number): Promise<number>;
}

/** Distinct visitors per bucket start (epoch ms) and over the whole range. */
export interface Uniques {
  total: number;
  byBucket: Map<number, number>;
}

/**
 * Viewer analytics (issue 16): sessions fed by beacons, rolled up into hourly buckets once idle.
 * Every write is bounded (a batch, a limit) and a rollup is idempotent: the sessions it sums are
 * deleted in the same transaction, so a pass that fails or runs twice counts nothing twice.
 */
export interface AnalyticsRepository {
  /** The day's salt of the visitor hash (created by the first node that asks); older salts are deleted. */
  salt(day: string): Promise<string>;
  /** Folds a flush of beacons into their sessions in one transaction, capping time per session. */
  applySessions(deltas: SessionDelta[], slackS: number): Promise<void>;
  /** Sums up to `limit` sessions idle since before `idleBeforeMs` into hourly buckets and deletes them. */
  rollup(idleBeforeMs: number, limit: number): Promise<number>;
  /** Deletes up to `limit` buckets and visitor rows per table from hours before `beforeHourMs` (retention). */
  sweep(beforeHourMs: number, limit: number): Promise<number>;
  /** Sums per hour in [fromMs, toMs): rolled buckets plus live sessions (viewed ones). */
  hourly(scope: StatsScope, fromMs: number, toMs: number): Promise<HourlyRow[]>;
  uniques(scope: StatsScope, fromMs: number, toMs: number, granularityMs: number): Promise<Uniques>;
  /** A key's most viewed videos in the range. */
  topVideos(apiKey: string, fromMs: number, toMs: number, limit: number): Promise<TopVideoRow[]>;
  /** Sessions not yet rolled up (tests, metrics). */
  sessionCount(): Promise<number>;
}

/** Every repository of one database, opened and migrated; `close` ends its connections. */
export interface Repositories {
  engine: 'sqlite' | 'postgres';
  files: FilesRepository;
  jobs: JobsRepository;
  chunkTasks: ChunkTasksRepository;
  keys: KeysRepository;
  playback: PlaybackRepository;
  tracks: TracksRepository;
  chapters: ChaptersRepository;
  openUploads: OpenUploadsRepository;
  webhooks: WebhooksRepository;
  studioSessions: StudioSessionsRepository;
  analytics: AnalyticsRepository;
  close(): Promise<void>;
}
