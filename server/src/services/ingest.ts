import { Readable } from 'node:stream';
import type { CreateFileFromUrlRequest, FileRecord } from '@vodkit/api';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { FilesRepository } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { UploadsStore } from '../storage/uploads-store.ts';
import type { Principal } from './auth.ts';
import { fileEventKey, type VideoEventBus } from './events.ts';
import { type FileService, toRecord } from './files.ts';
import { checkLinkAddress, fetchLink, LinkError, parseLinkUrl } from './link-fetch.ts';
import type { QuotaService } from './quotas.ts';
import { ingestRefuses } from './ssrf.ts';

export interface IngestDeps {
  config: Config;
  files: FilesRepository;
  fileService: FileService;
  uploads: UploadsStore;
  quotas: QuotaService;
  events: VideoEventBus;
  log: FastifyBaseLogger;
  /**
   * True when no other node shares the database (SQLite): at start every `downloading` file is
   * this process's own, left by a crash, and is rejected at once instead of when its lease runs out.
   */
  soleNode: boolean;
}

/** How long a download's claim lasts without renewal: a node that died is noticed this late. */
export const INGEST_LEASE_MS = 60_000;
/** Progress is written (and sent on the file's event stream) this often while bytes arrive. */
const TICK_MS = 500;
/** The lease is renewed at least this often, bytes or not (queued downloads too). */
const RENEW_MS = 10_000;
/** How often a node looks for downloads whose node died. */
const SWEEP_MS = 30_000;
/** What a title or file name keeps of the URL. */
const MAX_TITLE = 500;

const INTERRUPTED = 'the server stopped while downloading; send the URL again';

interface Download {
  fileId: string;
  apiKey: string;
  url: URL;
  bytes: number;
  total: number | null;
  /** What was last written to the database, and when. */
  writtenBytes: number;
  writtenAt: number;
  controller: AbortController | null;
}

/** Thrown into a download whose file was deleted under it: it stops and keeps nothing. */
class Stopped extends Error {
  override readonly name = 'Stopped';
}

/** Thrown into a download when the server stops: it ends `download_interrupted`. */
class LinkInterrupted extends Error {
  override readonly name = 'LinkInterrupted';
}

/**
 * Link ingest (issue 15 §1): `POST /v1/files` with `{url}` makes a file in `downloading`, and this
 * node downloads it into the uploads store (where tus would have put it) and hands it to the usual
 * probe. Downloads wait in a queue for a slot (per node and per key); each holds an upload
 * reservation of the key's quota until it ends, and a lease in its row that this node renews: a
 * node that dies leaves rows whose lease runs out, and any node rejects them
 * (`download_interrupted`): the file fails, it does not resume, since the partial bytes of a
 * multipart upload on a dead node are not worth the bookkeeping.
 */
export class IngestService {
  readonly #queue: Download[] = [];
  readonly #active = new Map<string, Download>();
  readonly #perKey = new Map<string, number>();
  readonly #runs = new Set<Promise<void>>();
  #ticker: NodeJS.Timeout | null = null;
  #sweeper: NodeJS.Timeout | null = null;
  #ticking = false;
  #stopped = false;

  constructor(readonly deps: IngestDeps) {}

  /** Checks the URL and its address, reserves quota, records the file and queues its download. */
  async create(principal: Principal, body: CreateFileFromUrlRequest): Promise<FileRecord> {
    const { config, files, quotas } = this.deps;
    let url: URL;
    try {
      url = parseLinkUrl(body.url);
      await checkLinkAddress(url, config.ingest.allowPrivate);
    } catch (err) {
      if (err instanceof LinkError) throw new ApiError('url_not_allowed', err.message);
      throw err;
    }
    if (this.#stopped) throw new ApiError('unavailable', 'the server is shutting down');
    if (this.#queue.length >= config.ingest.queueMax) {
      throw new ApiError(
        'unavailable',
        `${this.#queue.length} downloads are waiting on this server already (VOD_INGEST_QUEUE_MAX): try again later`,
      );
    }
    const fileId = newId();
    // Nothing announces the size yet: the reservation is the largest upload, as for a deferred tus length.
    await quotas.reserveUpload(fileId, principal.apiKey, null);
    const name = nameOf(url);
    try {
      await files.insertDownloading(
        {
          fileId,
          apiKey: principal.apiKey,
          filename: name,
          filetype: null,
          title: body.title?.trim().slice(0, MAX_TITLE) || name,
          size: 0,
        },
        INGEST_LEASE_MS,
      );
    } catch (err) {
      await quotas.releaseUpload(fileId);
      throw err;
    }
    const now = Date.now();
    this.#queue.push({
      fileId,
      apiKey: principal.apiKey,
      url,
      bytes: 0,
      total: null,
      writtenBytes: 0,
      writtenAt: now,
      controller: null,
    });
    this.#ensureTicker();
    this.#pump();
    return toRecord((await files.get(fileId))!);
  }

  /** Rejects the downloads a dead node left, now and every 30 s (API nodes). */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#expire(this.deps.soleNode ? Number.MAX_SAFE_INTEGER : undefined);
    this.#sweeper = setInterval(() => {
      this.#expire().catch((err: unknown) => this.deps.log.error({ err }, 'ingest: sweep failed'));
    }, SWEEP_MS).unref();
  }

  /**
   * Shutting down: queued and running downloads end `rejected` (`download_interrupted`) now, rather
   * than when their lease runs out, and their partial bytes go.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = null;
    for (const d of this.#queue.splice(0)) await this.#fail(d, 'download_interrupted', INTERRUPTED);
    for (const d of this.#active.values()) d.controller?.abort(new LinkInterrupted());
    await Promise.allSettled([...this.#runs]);
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = null;
  }

  /**
   * The file was deleted (its owner checked by the caller): a download of it on this node stops now
   * and keeps nothing. On another node the next progress write finds the row gone and does the same.
   */
  cancel(fileId: string): void {
    const d = this.#active.get(fileId) ?? this.#queue.find((q) => q.fileId === fileId);
    if (d) this.#drop(d);
  }

  /** Downloads waiting and running on this node (tests, health). */
  get counts(): { queued: number; running: number } {
    return { queued: this.#queue.length, running: this.#active.size };
  }

  #pump(): void {
    const { concurrency, concurrencyPerKey } = this.deps.config.ingest;
    for (let i = 0; i < this.#queue.length && this.#active.size < concurrency; ) {
      const d = this.#queue[i]!;
      if ((this.#perKey.get(d.apiKey) ?? 0) >= concurrencyPerKey) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      this.#active.set(d.fileId, d);
      this.#perKey.set(d.apiKey, (this.#perKey.get(d.apiKey) ?? 0) + 1);
      const run = this.#run(d).finally(() => {
        this.#runs.delete(run);
        this.#active.delete(d.fileId);
        const n = (this.#perKey.get(d.apiKey) ?? 1) - 1;
        if (n > 0) this.#perKey.set(d.apiKey, n);
        else this.#perKey.delete(d.apiKey);
        if (!this.#stopped) this.#pump();
      });
      this.#runs.add(run);
    }
  }

  async #run(d: Download): Promise<void> {
    const { config, files, uploads, fileService, log } = this.deps;
    const controller = new AbortController();
    d.controller = controller;
    const limit = setTimeout(
      () =>
        controller.abort(
          new LinkError('download_timeout', `the download took longer than ${config.ingest.timeoutMs} ms`),
        ),
      config.ingest.timeoutMs,
    );
    // What the source threw, whatever the store makes of it on the way out.
    let sourceError: unknown = null;
    const chunks = fetchLink(d.url, {
      refuses: (ip) => ingestRefuses(ip, config.ingest.allowPrivate),
      idleTimeoutMs: config.ingest.idleTimeoutMs,
      maxBytes: config.maxUploadBytes,
      signal: controller.signal,
      onStart: (total) => {
        d.total = total;
      },
      onBytes: (bytes) => {
        d.bytes = bytes;
      },
    });
    async function* recorded(): AsyncGenerator<Buffer, void> {
      try {
        yield* chunks;
      } catch (err) {
        sourceError = err;
        throw err;
      }
    }
    try {
      await uploads.putSource(
        d.fileId,
        Readable.from(recorded(), { objectMode: false }),
        config.maxUploadBytes,
      );
      clearTimeout(limit);
      if (!(await files.finishDownload(d.fileId, d.bytes))) {
        // Deleted (or expired) while the last bytes went in: nothing of it may stay.
        await uploads.remove(d.fileId);
        return;
      }
      await this.deps.quotas.releaseUpload(d.fileId);
      fileService.fileChanged(d.fileId);
      const row = (await files.get(d.fileId))!;
      // The usual probe, webhooks and event stream, exactly as for a finished tus upload.
      await fileService.onUploadFinished({
        fileId: d.fileId,
        apiKey: d.apiKey,
        size: d.bytes,
        filename: row.filename,
        filetype: row.filetype,
        title: row.title,
      });
    } catch (err) {
      clearTimeout(limit);
      const cause = controller.signal.aborted ? controller.signal.reason : (sourceError ?? err);
      if (cause instanceof Stopped) {
        await uploads.remove(d.fileId).catch(() => {});
        await this.deps.quotas.releaseUpload(d.fileId).catch(() => {});
        return;
      }
      if (cause instanceof LinkError) await this.#fail(d, cause.code, cause.message);
      else if (cause instanceof LinkInterrupted) await this.#fail(d, 'download_interrupted', INTERRUPTED);
      else {
        log.error({ err: cause, fileId: d.fileId }, 'ingest: the download failed');
        await this.#fail(d, 'download_failed', 'the download could not be stored');
      }
    }
  }

  /** Ends a download `rejected`: its bytes and reservation go, webhooks and the event stream hear. */
  async #fail(d: Pick<Download, 'fileId'>, code: string, message: string): Promise<void> {
    const { files, uploads, quotas, fileService, log } = this.deps;
    try {
      await uploads.remove(d.fileId);
      await quotas.releaseUpload(d.fileId);
      if (await files.rejectDownload(d.fileId, code, message)) fileService.fileSettled(d.fileId);
    } catch (err) {
      log.error({ err, fileId: d.fileId }, 'ingest: could not record a failed download');
    }
  }

  /** Downloads whose node died (lease run out before `atMs`): rejected, bytes and reservation gone. */
  async #expire(atMs?: number): Promise<void> {
    const { files, uploads, quotas, fileService, log } = this.deps;
    const ids = await files.expireDownloads('download_interrupted', INTERRUPTED, atMs);
    for (const fileId of ids) {
      await uploads
        .remove(fileId)
        .catch((err: unknown) => log.error({ err, fileId }, 'ingest: cleanup failed'));
      await quotas.releaseUpload(fileId);
      fileService.fileSettled(fileId);
    }
    if (ids.length) log.info({ rejected: ids.length }, 'ingest: downloads of a stopped node rejected');
  }

  #ensureTicker(): void {
    this.#ticker ??= setInterval(() => {
      if (this.#ticking) return;
      this.#ticking = true;
      this.#tick()
        .catch((err: unknown) => this.deps.log.error({ err }, 'ingest: progress write failed'))
        .finally(() => {
          this.#ticking = false;
        });
    }, TICK_MS).unref();
  }

  /**
   * Writes progress that moved and renews leases that are due, queued downloads included; a row
   * that is no longer `downloading` (the file was deleted) stops its download.
   */
  async #tick(): Promise<void> {
    const now = Date.now();
    for (const d of [...this.#active.values(), ...this.#queue]) {
      const moved = d.bytes !== d.writtenBytes;
      if (!moved && now - d.writtenAt < RENEW_MS) continue;
      const { bytes, total } = d;
      const still = await this.deps.files.updateDownload(d.fileId, bytes, total, INGEST_LEASE_MS);
      d.writtenBytes = bytes;
      d.writtenAt = now;
      if (!still) {
        this.#drop(d);
        continue;
      }
      if (moved) {
        this.deps.events.emit({
          type: 'progress',
          videoId: fileEventKey(d.fileId),
          data: { fileId: d.fileId, status: 'downloading', progress: { bytes, total } },
        });
      }
    }
  }

  /** The file left `downloading` under us (deleted): stop, and keep nothing. */
  #drop(d: Download): void {
    const queued = this.#queue.indexOf(d);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      this.deps.quotas.releaseUpload(d.fileId).catch(() => {});
      return;
    }
    d.controller?.abort(new Stopped());
  }
}

/** The last segment of the URL's path, decoded: the default title and file name. */
export function nameOf(url: URL): string {
  const segment = url.pathname.split('/').filter(Boolean).pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    name = segment;
  }
  // Control characters have no place in a title shown in pages and webhooks.
  name = name.replace(/\p{Cc}/gu, '').trim();
  return (name || url.hostname).slice(0, MAX_TITLE);
}
