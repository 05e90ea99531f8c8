import { EventEmitter } from 'node:events';
import type { VideoEventName } from '@vodkit/api';

export interface VideoEvent {
  type: VideoEventName;
  videoId: string;
  data: Record<string, unknown>;
}

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
}
