import type { Video } from '@vodkit/api';
import { property } from 'lit/decorators.js';
import { StudioElement } from './studio-element.ts';

/**
 * A part of a video's page that reads something of its own about the video (tracks, chapters,
 * stats): `load()` runs when the video (or `loadKey()`) changes, not on every refresh of the video.
 */
export abstract class VideoPanel extends StudioElement {
  @property({ attribute: false }) video!: Video;
  #loadedFor = '';

  protected abstract load(): Promise<void>;

  /** What a load depends on; a panel with more than the video (a range) extends it. */
  protected loadKey(): string {
    return this.video.videoId;
  }

  protected override willUpdate(): void {
    if (!this.video) return;
    const key = this.loadKey();
    if (key === this.#loadedFor) return;
    this.#loadedFor = key;
    void this.load();
  }
}
