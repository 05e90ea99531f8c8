import type { FileKind, FileRecord, MediaMetadata, Page, RejectCode } from '@vodkit/api';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { FileRow, FilesRepository, JobsRepository } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import { isValidId } from '../ids.ts';
import { DEMUXER_ALLOWLIST } from '../media/ffmpeg.ts';
import { ProbeError, type ProbeResult, probeFile } from '../media/probe.ts';
import type { LocalStorage } from '../storage/local.ts';
import { LocalOutputs, type VideoOutputs } from '../storage/outputs.ts';
import { isCompleteUpload, LocalUploadsStore, type UploadsStore } from '../storage/uploads-store.ts';
import type { Principal } from './auth.ts';
import { fileEventKey, type VideoEventBus } from './events.ts';

export interface FileServiceDeps {
  config: Config;
  storage: LocalStorage;
  /** Where tus keeps the uploads; absent: tus's files under `storage.uploadsDir` (the embedded default). */
  uploads?: UploadsStore;
  files: FilesRepository;
  jobs: JobsRepository;
  events: VideoEventBus;
  log: FastifyBaseLogger;
  /** Where the videos' outputs and caption files live (default the video folders of `storage`). */
  outputs?: VideoOutputs;
}

/**
 * The tus `Upload-Metadata` key under which the server (never the client) records the API key
 * that created an upload: it decides who may resume it and who owns the file.
 */
export const UPLOAD_OWNER_KEY = 'apikey';

/** A source with more streams than this is rejected (`too_many_streams`): real videos have a handful. */
export const MAX_STREAMS = 8;

export interface FinishedUpload {
  fileId: string;
  apiKey: string;
  size: number;
  filename: string | null;
  filetype: string | null;
  title: string | null;
}

export class FileService {
  /** Probes in flight by file id, so a file is never probed twice at once (finish hook vs reconcile). */
  readonly #probing = new Map<string, Promise<void>>();

  /** The one owner of tus storage (storage/uploads-store.ts): this never reads tus's files itself. */
  readonly uploads: UploadsStore;

  constructor(readonly deps: FileServiceDeps) {
    this.uploads = deps.uploads ?? new LocalUploadsStore(deps.storage.uploadsDir);
  }

  /**
   * Called once the last byte of an upload is on disk: records the file, probes it and applies
   * the policy, all before the final PATCH is answered. A bad file ends `rejected` with a
   * reason; this never throws for one.
   */
  async onUploadFinished(upload: FinishedUpload): Promise<FileRecord> {
    // tus calls its finish hook again for an empty PATCH at the final offset: probe once only.
    const known = await this.deps.files.get(upload.fileId);
    if (known && known.status !== 'probing') return toRecord(known);
    await this.deps.files.insertProbing(upload);
    await this.#probe(upload.fileId);
    return toRecord((await this.deps.files.get(upload.fileId))!);
  }

  async get(principal: Principal, fileId: string): Promise<FileRecord> {
    return toRecord(await this.#owned(principal, fileId));
  }

  async list(principal: Principal, page: number, perPage: number): Promise<Page<FileRecord>> {
    const { rows, total } = await this.deps.files.list(principal.apiKey, page, perPage);
    return {
      data: rows.map(toRecord),
      pageInfo: { page, perPage, total, lastPage: Math.max(1, Math.ceil(total / perPage)) },
    };
  }

  /** Deletes the file, its upload bytes and every video made from it; refused while a job uses it. */
  async delete(principal: Principal, fileId: string): Promise<void> {
    await this.#owned(principal, fileId);
    const { jobs, files, storage } = this.deps;
    const outputs = this.deps.outputs ?? new LocalOutputs(storage);
    if ((await jobs.activeCountForFile(fileId)) > 0) {
      throw new ApiError('conflict', 'an encoding job is still using this file: cancel it first');
    }
    // Bytes before rows: if we die halfway the record is still there to delete again, and an
    // upload without a record would be resurrected by reconcile() at the next boot.
    for (const videoId of await jobs.videoIdsForFile(fileId)) {
      await outputs.removeVideo(videoId);
      // The row travels with the event: listeners (webhooks) say whose video it was after it is gone.
      const job = await jobs.getByVideo(videoId);
      this.deps.events.emit({ type: 'deleted', videoId, data: { fileId }, ...(job ? { job } : {}) });
      await outputs.removeTracks(videoId);
    }
    await this.uploads.remove(fileId);
    await jobs.deleteForFile(fileId);
    await files.delete(fileId);
  }

  /**
   * At boot: tus fires its finish hook once, so an upload that completed just before a crash
   * (bytes on disk, no record) is recorded and probed now; files left in `probing` are probed again.
   */
  async reconcile(): Promise<void> {
    const { files, log } = this.deps;
    let recovered = 0;
    for (const upload of await this.uploads.list()) {
      if (upload.size === null || !isCompleteUpload(upload)) continue;
      if (await files.has(upload.id)) continue;
      const apiKey = upload.metadata[UPLOAD_OWNER_KEY];
      if (!apiKey) {
        log.warn({ fileId: upload.id }, 'completed upload without an owner: left alone');
        continue;
      }
      await this.onUploadFinished({ fileId: upload.id, apiKey, size: upload.size, ...uploadDetails(upload) });
      recovered++;
    }
    const stuck = await files.listProbing();
    for (const file of stuck) await this.#probe(file.fileId);
    if (recovered || stuck.length) log.info({ recovered, reprobed: stuck.length }, 'reconciled uploads');
  }

  /**
   * Removes unfinished uploads older than `maxAgeMs` (tus expiration). We do not use the datastores'
   * own `deleteExpired()`: FileStore's trusts the `offset` in the info file, which stays 0, so it
   * would delete finished sources too; S3Store's only knows multipart uploads, not our files.
   */
  async sweepExpiredUploads(maxAgeMs: number, now = Date.now(), owner?: string): Promise<number> {
    let removed = 0;
    for (const upload of await this.uploads.list()) {
      if (owner !== undefined && upload.metadata[UPLOAD_OWNER_KEY] !== owner) continue;
      if (isCompleteUpload(upload)) continue;
      if (await this.deps.files.has(upload.id)) continue;
      if (!(now - upload.createdAtMs > maxAgeMs)) continue;
      await this.uploads.remove(upload.id);
      removed++;
    }
    return removed;
  }

  /** The ids of a key's files created before `beforeIso` (the demo sandbox sweep). */
  idsCreatedBefore(apiKey: string, beforeIso: string): Promise<string[]> {
    return this.deps.files.idsCreatedBefore(apiKey, beforeIso);
  }

  /** For /healthz: the database answers a query. */
  async databaseOk(): Promise<boolean> {
    try {
      await this.deps.files.has('healthcheck');
      return true;
    } catch {
      return false;
    }
  }

  async #owned(principal: Principal, fileId: string): Promise<FileRow> {
    const row = isValidId(fileId) ? await this.deps.files.get(fileId) : undefined;
    // Another key's file answers exactly like a missing one: ids are not an oracle.
    if (!row || row.apiKey !== principal.apiKey) throw new ApiError('not_found', `no file ${fileId}`);
    return row;
  }

  /**
   * A file reached `ready` or `rejected` (probe, or a link ingest that failed): the webhooks (in this
   * process) and the file's event stream (on every node) hear of it.
   */
  fileSettled(fileId: string): void {
    this.deps.events.emitFileProbed(fileId);
    this.fileChanged(fileId);
  }

  /** The file's status changed: its event stream reads and sends the new record. */
  fileChanged(fileId: string): void {
    try {
      this.deps.events.emit({ type: 'probed', videoId: fileEventKey(fileId), data: { fileId } });
    } catch (err) {
      this.deps.log.error({ err, fileId }, 'files: could not emit a file event');
    }
  }

  #probe(fileId: string): Promise<void> {
    const running = this.#probing.get(fileId);
    if (running) return running;
    const job = this.#probeOnce(fileId)
      .then(() => this.fileSettled(fileId))
      .finally(() => this.#probing.delete(fileId));
    this.#probing.set(fileId, job);
    return job;
  }

  async #probeOnce(fileId: string): Promise<void> {
    const { config, files, log } = this.deps;
    const t0 = performance.now();
    const elapsed = () => Math.round((performance.now() - t0) * 10) / 10;
    let result: ProbeResult;
    try {
      // The local file, or on S3 a presigned URL: the API node probes the upload where tus put it.
      result = await probeFile(config, await this.uploads.source(fileId), {
        timeoutMs: config.probeTimeoutMs,
      });
    } catch (err) {
      if (err instanceof ProbeError) {
        const code: RejectCode = err.formatRefused ? 'unsupported_container' : err.code;
        await files.markRejected(fileId, code, err.message, elapsed());
      } else {
        log.error({ err, fileId }, 'probe crashed');
        await files.markRejected(fileId, 'probe_failed', 'the file could not be probed', elapsed());
      }
      return;
    }
    const probeMs = elapsed();
    const rejection = judge(result, config);
    if (rejection)
      await files.markRejected(fileId, rejection.code, rejection.message, probeMs, result.metadata);
    else await files.markReady(fileId, result.metadata, probeMs);
  }
}

/** The file's name, type and title from tus metadata; Uppy sends `name`/`type`, others `filename`/`filetype`. */
export function uploadDetails(info: { metadata?: Record<string, string | null> }): {
  filename: string | null;
  filetype: string | null;
  title: string | null;
} {
  const m = info.metadata ?? {};
  const pick = (...keys: string[]) => {
    for (const k of keys) {
      const v = m[k];
      if (typeof v === 'string' && v.trim()) return v.trim().slice(0, 500);
    }
    return null;
  };
  return { filename: pick('filename', 'name'), filetype: pick('filetype', 'type'), title: pick('title') };
}

/** Upload policy: what this server accepts to encode. media/ only reports. */
function judge(result: ProbeResult, config: Config): { code: RejectCode; message: string } | null {
  const m = result.metadata;
  const names = m.container.split(',');
  if (!names.some((n) => (DEMUXER_ALLOWLIST as readonly string[]).includes(n))) {
    return { code: 'unsupported_container', message: `the container "${m.container}" is not accepted` };
  }
  if (m.image) {
    // A still image (a watermark's logo): only its size is judged.
    return m.image.width * m.image.height > config.maxPixels
      ? {
          code: 'too_many_pixels',
          message: `${m.image.width}×${m.image.height} is more than the ${config.maxPixels} pixels accepted`,
        }
      : null;
  }
  if (!m.video && !m.audio) {
    return { code: 'no_media_streams', message: 'the file has neither a video nor an audio stream' };
  }
  if (result.streamCount > MAX_STREAMS) {
    return {
      code: 'too_many_streams',
      message: `the file has ${result.streamCount} streams; at most ${MAX_STREAMS} are accepted`,
    };
  }
  if (m.video?.codec === 'unknown' || m.audio?.codec === 'unknown') {
    return { code: 'unsupported_codec', message: 'a stream uses a codec this server cannot decode' };
  }
  if (m.video && m.video.codedWidth * m.video.codedHeight > config.maxPixels) {
    return {
      code: 'too_many_pixels',
      message: `${m.video.codedWidth}×${m.video.codedHeight} is more than the ${config.maxPixels} pixels per frame accepted`,
    };
  }
  if (m.duration > config.maxDurationSeconds) {
    return {
      code: 'too_long',
      message: `the file lasts ${Math.round(m.duration)} s; at most ${config.maxDurationSeconds} s are accepted`,
    };
  }
  return null;
}

/** The public shape: field by field, so nothing private (the owner's key) can slip out. */
export function toRecord(row: FileRow): FileRecord {
  return {
    fileId: row.fileId,
    filename: row.filename,
    filetype: row.filetype,
    title: row.title,
    size: row.size,
    status: row.status,
    kind: kindOf(row.metadata),
    metadata: row.metadata,
    reason: row.reason,
    probeMs: row.probeMs,
    progress: row.progress,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** What the probe found: an image, a video (with or without audio), audio alone; null before it said. */
function kindOf(m: MediaMetadata | null): FileKind | null {
  if (m?.image) return 'image';
  if (m?.video) return 'video';
  return m?.audio ? 'audio' : null;
}
