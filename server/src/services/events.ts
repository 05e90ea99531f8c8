import { EventEmitter } from 'node:events';
import type { VideoEventName } from '@vodkit/api';
import type { JobRow } from '../db/repositories.ts';

export interface VideoEvent {
  type: VideoEventName;
  videoId: string;
  data: Record<string, unknown>;
  /**
   * The job row as the emitter read it, for this process's own listeners only (never sent to other
   * nodes): `deleted` carries it because the row is gone by the time a listener could read it.
   */
  job?: JobRow;
}

/**
 * The bus key of one file's events (link-ingest `progress`, and `probed` when its status changes),
 * for `GET /v1/files/:fileId/events`. The slash keeps it apart from every video id (ids are
 * lowercase alphanumerics), so a video's listeners never hear a file's events; `PgEventBus` carries
 * them across nodes like any other.
 */
export const fileEventKey = (fileId: string): string => `file/${fileId}`;

/** Not an id we mint (ids are lowercase alphanumerics), so no video's listeners ever hear it. */
const FILE_PROBED = 'file:probed';

/**
 * What services depend on: the in-process `EventBus` (one node) or `PgEventBus` (LISTEN/NOTIFY,
 * several nodes). `on` hears every node's events (SSE); `onEmitted` hears only this process's own
 * emits, so the webhook outbox gets each event once however many nodes listen.
 */
export interface VideoEventBus {
  emit(event: VideoEvent): void;
  /** Subscribes to one video's events (or `*` for all), from any node; returns the unsubscribe function. */
  on(videoId: string, listener: (event: VideoEvent) => void): () => void;
  /** Events this process emitted, synchronously within `emit`. */
  onEmitted(listener: (event: VideoEvent) => void): () => void;
  /** A file reached `ready` or `rejected` in this process (for webhooks; the file stream listens to `probed`). */
  emitFileProbed(fileId: string): void;
  onFileProbed(listener: (fileId: string) => void): () => void;
}

/** In-process fan-out of video events to SSE listeners and webhook deliveries. */
export class EventBus implements VideoEventBus {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  emit(event: VideoEvent): void {
    this.#emitter.emit(event.videoId, event);
    this.#emitter.emit('*', event);
  }

  onEmitted(listener: (event: VideoEvent) => void): () => void {
    return this.on('*', listener);
  }

  /** Subscribes to one video's events (or `*` for all); returns the unsubscribe function. */
  on(videoId: string, listener: (event: VideoEvent) => void): () => void {
    this.#emitter.on(videoId, listener);
    return () => this.#emitter.off(videoId, listener);
  }

  /** A file reached `ready` or `rejected` in this process; webhooks listen here. */
  emitFileProbed(fileId: string): void {
    this.#emitter.emit(FILE_PROBED, fileId);
  }

  onFileProbed(listener: (fileId: string) => void): () => void {
    this.#emitter.on(FILE_PROBED, listener);
    return () => this.#emitter.off(FILE_PROBED, listener);
  }
}
