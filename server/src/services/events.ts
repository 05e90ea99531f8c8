import { EventEmitter } from 'node:events';
import type { VideoEventName } from '@vodkit/api';

export interface VideoEvent {
  type: VideoEventName;
  videoId: string;
  data: Record<string, unknown>;
}

/** Not an id we mint (ids are lowercase alphanumerics), so no video's listeners ever hear it. */
const FILE_PROBED = 'file:probed';

/** In-process fan-out of video events to SSE listeners (and, later, webhook deliveries). */
export class EventBus {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  emit(event: VideoEvent): void {
    this.#emitter.emit(event.videoId, event);
    this.#emitter.emit('*', event);
  }

  /** Subscribes to one video's events (or `*` for all); returns the unsubscribe function. */
  on(videoId: string, listener: (event: VideoEvent) => void): () => void {
    this.#emitter.on(videoId, listener);
    return () => this.#emitter.off(videoId, listener);
  }

  /** A file's probe ended (`ready` or `rejected`); files have no SSE stream, webhooks listen here. */
  emitFileProbed(fileId: string): void {
    this.#emitter.emit(FILE_PROBED, fileId);
  }

  onFileProbed(listener: (fileId: string) => void): () => void {
    this.#emitter.on(FILE_PROBED, listener);
    return () => this.#emitter.off(FILE_PROBED, listener);
  }
}
