import type { CaptionKind } from '@vodkit/api';
import type pg from 'pg';
import type { TracksRepository } from '../repositories.ts';
import type { NewTrack, TrackRow } from '../tracks.ts';
import { inTransaction, iso, lockFor, NOW } from './sql.ts';

interface Row {
  track_id: string;
  video_id: string;
  api_key: string;
  language: string;
  label: string;
  kind: CaptionKind;
  is_default: boolean;
  cue_count: number;
  bytes: number;
  created_at: Date;
}

const toTrack = (r: Row): TrackRow => ({
  trackId: r.track_id,
  videoId: r.video_id,
  apiKey: r.api_key,
  language: r.language,
  label: r.label,
  kind: r.kind,
  default: r.is_default,
  cueCount: r.cue_count,
  bytes: r.bytes,
  createdAt: iso(r.created_at)!,
});

const COLUMNS =
  'track_id, video_id, api_key, language, label, kind, is_default, cue_count, bytes, created_at';

/** Text tracks on PostgreSQL, as the SQLite `TracksRepo`. */
export class PgTracksRepository implements TracksRepository {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * The count, the old default's reset and the insert hold one advisory lock per video, so two API
   * nodes adding tracks to one video at once cannot both pass the limit or both leave a default.
   */
  async insert(track: NewTrack, max: number): Promise<TrackRow | null> {
    return inTransaction(this.pool, async (client) => {
      await lockFor(client, `tracks:${track.videoId}`);
      const { rows } = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM tracks WHERE video_id = $1',
        [track.videoId],
      );
      if (Number(rows[0]!.n) >= max) return null;
      if (track.default) {
        await client.query('UPDATE tracks SET is_default = false WHERE video_id = $1 AND is_default', [
          track.videoId,
        ]);
      }
      const inserted = await client.query<{ created_at: Date }>(
        `INSERT INTO tracks (track_id, video_id, api_key, language, label, kind, is_default, cue_count, bytes,
           created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, ${NOW}) RETURNING created_at`,
        [
          track.trackId,
          track.videoId,
          track.apiKey,
          track.language,
          track.label,
          track.kind,
          track.default,
          track.cueCount,
          track.bytes,
        ],
      );
      return { ...track, createdAt: iso(inserted.rows[0]!.created_at)! };
    });
  }

  async setDefault(videoId: string, trackId: string, value: boolean): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      // The insert's lock: a track added as the default meanwhile cannot make two.
      await lockFor(client, `tracks:${videoId}`);
      const has = await client.query('SELECT 1 FROM tracks WHERE track_id = $1 AND video_id = $2', [
        trackId,
        videoId,
      ]);
      if (has.rowCount !== 1) return false;
      if (value) {
        await client.query('UPDATE tracks SET is_default = false WHERE video_id = $1 AND is_default', [
          videoId,
        ]);
      }
      await client.query('UPDATE tracks SET is_default = $2 WHERE track_id = $1', [trackId, value]);
      return true;
    });
  }

  async get(trackId: string): Promise<TrackRow | undefined> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM tracks WHERE track_id = $1`, [
      trackId,
    ]);
    return rows[0] && toTrack(rows[0]);
  }

  async listForVideo(videoId: string): Promise<TrackRow[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM tracks WHERE video_id = $1 ORDER BY created_at, track_id`,
      [videoId],
    );
    return rows.map(toTrack);
  }

  async count(videoId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM tracks WHERE video_id = $1',
      [videoId],
    );
    return Number(rows[0]!.n);
  }

  async delete(trackId: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM tracks WHERE track_id = $1', [trackId]);
    return res.rowCount === 1;
  }
}
