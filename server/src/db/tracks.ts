import type { CaptionKind } from '@vodkit/api';
import type { Db } from './database.ts';
import { now } from './database.ts';
import type { TracksRepository } from './repositories.ts';

export interface TrackRow {
  trackId: string;
  videoId: string;
  apiKey: string;
  language: string;
  label: string;
  kind: CaptionKind;
  default: boolean;
  cueCount: number;
  bytes: number;
  createdAt: string;
}

interface Row {
  track_id: string;
  video_id: string;
  api_key: string;
  language: string;
  label: string;
  kind: CaptionKind;
  is_default: number;
  cue_count: number;
  bytes: number;
  created_at: string;
}

const toTrack = (r: Row): TrackRow => ({
  trackId: r.track_id,
  videoId: r.video_id,
  apiKey: r.api_key,
  language: r.language,
  label: r.label,
  kind: r.kind,
  default: r.is_default === 1,
  cueCount: r.cue_count,
  bytes: r.bytes,
  createdAt: r.created_at,
});

export type NewTrack = Omit<TrackRow, 'createdAt'>;

export class TracksRepo implements TracksRepository {
  constructor(private readonly db: Db) {}

  /**
   * Inserts a track unless the video already has `max`; a new default clears the old one in the
   * same transaction, so a video never has two. False when the limit was reached.
   */
  async insert(track: NewTrack, max: number): Promise<TrackRow | null> {
    return this.db.transaction((): TrackRow | null => {
      if (this.#count(track.videoId) >= max) return null;
      if (track.default)
        this.db.prepare('UPDATE tracks SET is_default = 0 WHERE video_id = ?').run(track.videoId);
      const createdAt = now();
      this.db
        .prepare(
          `INSERT INTO tracks (track_id, video_id, api_key, language, label, kind, is_default, cue_count, bytes, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          track.trackId,
          track.videoId,
          track.apiKey,
          track.language,
          track.label,
          track.kind,
          track.default ? 1 : 0,
          track.cueCount,
          track.bytes,
          createdAt,
        );
      return { ...track, createdAt };
    })();
  }

  async setDefault(videoId: string, trackId: string, value: boolean): Promise<boolean> {
    return this.db.transaction((): boolean => {
      const has = this.db
        .prepare('SELECT 1 FROM tracks WHERE track_id = ? AND video_id = ?')
        .get(trackId, videoId);
      if (!has) return false;
      if (value) this.db.prepare('UPDATE tracks SET is_default = 0 WHERE video_id = ?').run(videoId);
      this.db.prepare('UPDATE tracks SET is_default = ? WHERE track_id = ?').run(value ? 1 : 0, trackId);
      return true;
    })();
  }

  async get(trackId: string): Promise<TrackRow | undefined> {
    const row = this.db.prepare('SELECT * FROM tracks WHERE track_id = ?').get(trackId) as Row | undefined;
    return row && toTrack(row);
  }

  /** Oldest first: the order of the playlist's subtitle group and of the player's menu. */
  async listForVideo(videoId: string): Promise<TrackRow[]> {
    return (
      this.db
        .prepare('SELECT * FROM tracks WHERE video_id = ? ORDER BY created_at, track_id')
        .all(videoId) as Row[]
    ).map(toTrack);
  }

  async count(videoId: string): Promise<number> {
    return this.#count(videoId);
  }

  #count(videoId: string): number {
    return (
      this.db.prepare('SELECT count(*) AS n FROM tracks WHERE video_id = ?').get(videoId) as { n: number }
    ).n;
  }

  async delete(trackId: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM tracks WHERE track_id = ?').run(trackId).changes === 1;
  }
}
