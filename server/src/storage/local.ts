import fs from 'node:fs';
import path from 'node:path';
import { isValidId } from '../ids.ts';

/**
 * Where bytes live on local disk. The only module that builds paths: everything else asks it.
 *   <dataDir>/uploads/<fileId>        the tus upload (and <fileId>.json, tus's own info file)
 *   <dataDir>/videos/<videoId>/…      encoder outputs: master.m3u8, <rung>/…, poster.jpg
 *   <dataDir>/videos/<videoId>/thumbs/ pictures: the representative poster, the job's thumbnails
 *   <dataDir>/videos/<videoId>/.thumbcache/  on-demand thumbnails (hidden: served only by their route)
 *   <dataDir>/videos/<videoId>/.pictures.json  what the pictures pipeline has finished
 *   <dataDir>/tracks/<videoId>/<trackId>.vtt  cleaned caption files; outside the encoder's folder,
 *                                     which every encode attempt clears
 */
export class LocalStorage {
  readonly uploadsDir: string;
  readonly videosDir: string;
  /** videosDir with symlinks resolved (a data dir may itself sit behind one), for containment checks. */
  readonly #realVideosDir: string;
  readonly tracksDir: string;

  constructor(readonly dataDir: string) {
    this.uploadsDir = path.join(dataDir, 'uploads');
    this.videosDir = path.join(dataDir, 'videos');
    this.tracksDir = path.join(dataDir, 'tracks');
    fs.mkdirSync(this.uploadsDir, { recursive: true });
    fs.mkdirSync(this.videosDir, { recursive: true });
    this.#realVideosDir = fs.realpathSync(this.videosDir);
  }

  uploadPath(fileId: string): string {
    assertId(fileId);
    return path.join(this.uploadsDir, fileId);
  }

  videoDir(videoId: string): string {
    assertId(videoId);
    return path.join(this.videosDir, videoId);
  }

  /**
   * The absolute path of a file inside a video's output folder, or null when the relative path
   * escapes it, is hidden, or is a temp file ffmpeg has not renamed yet.
   */
  resolveVideoFile(videoId: string, relative: string): string | null {
    if (!isValidId(videoId)) return null;
    const root = path.join(this.videosDir, videoId);
    const full = path.resolve(root, relative);
    if (!full.startsWith(root + path.sep)) return null;
    const parts = path.relative(root, full).split(path.sep);
    if (parts.some((p) => p.startsWith('.') || p.endsWith('.tmp'))) return null;
    return full;
  }

  /** The job's pictures: `thumbs/poster.jpg`, `thumbs/<ms>-<resolution>.<format>`. */
  thumbsDir(videoId: string): string {
    return path.join(this.videoDir(videoId), 'thumbs');
  }

  /** Hidden from the stream route: on-demand renders are reached through their own route only. */
  thumbnailCacheDir(videoId: string): string {
    return path.join(this.videoDir(videoId), '.thumbcache');
  }

  pictureManifestPath(videoId: string): string {
    return path.join(this.videoDir(videoId), '.pictures.json');
  }

  /** Every cached on-demand thumbnail of every video, for the cache's size cap (read once at boot). */
  async thumbnailCacheEntries(): Promise<{ file: string; size: number; mtimeMs: number }[]> {
    const out: { file: string; size: number; mtimeMs: number }[] = [];
    const videos = await fs.promises.readdir(this.videosDir).catch(() => [] as string[]);
    for (const videoId of videos) {
      if (!isValidId(videoId)) continue;
      const dir = this.thumbnailCacheDir(videoId);
      const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        const file = path.join(dir, name);
        const stat = await fs.promises.stat(file).catch(() => null);
        if (stat?.isFile()) out.push({ file, size: stat.size, mtimeMs: stat.mtimeMs });
      }
    }
    return out;
  }

  /**
   * Like `resolveVideoFile`, and the file's real path (symlinks followed) must still be inside the
   * video's real folder: a symlink planted in an output folder cannot serve /etc/passwd or another
   * video. Null when it escapes or does not exist.
   */
  async realVideoFile(videoId: string, relative: string): Promise<string | null> {
    const full = this.resolveVideoFile(videoId, relative);
    if (!full) return null;
    try {
      const real = await fs.promises.realpath(full);
      return real.startsWith(path.join(this.#realVideosDir, videoId) + path.sep) ? real : null;
    } catch {
      return null;
    }
  }

  async removeUpload(fileId: string): Promise<void> {
    const file = this.uploadPath(fileId);
    await fs.promises.rm(file, { force: true });
    await fs.promises.rm(`${file}.json`, { force: true });
  }

  /** Removes the top-level entries of a video folder that `owned` claims (one feature's outputs), keeping the rest. */
  async removeVideoEntries(videoId: string, owned: (entry: string) => boolean): Promise<void> {
    const dir = this.videoDir(videoId);
    let entries: string[];
    try {
      entries = await fs.promises.readdir(dir);
    } catch {
      return;
    }
    await Promise.all(
      entries.filter(owned).map((e) => fs.promises.rm(path.join(dir, e), { recursive: true, force: true })),
    );
  }

  async removeVideo(videoId: string): Promise<void> {
    // Retries: a picture ffmpeg being stopped may still drop a file in while the tree is removed.
    await fs.promises.rm(this.videoDir(videoId), { recursive: true, force: true, maxRetries: 3 });
  }

  trackPath(videoId: string, trackId: string): string {
    assertId(videoId);
    assertId(trackId);
    return path.join(this.tracksDir, videoId, `${trackId}.vtt`);
  }

  /** Written to a temp name and renamed: a player never reads half a caption file. */
  async writeTrack(videoId: string, trackId: string, vtt: string): Promise<void> {
    const file = this.trackPath(videoId, trackId);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.writeFile(`${file}.tmp`, vtt, 'utf8');
    await fs.promises.rename(`${file}.tmp`, file);
  }

  /** The caption file's text, or null when it is not there. */
  async readTrack(videoId: string, trackId: string): Promise<string | null> {
    return fs.promises.readFile(this.trackPath(videoId, trackId), 'utf8').catch(() => null);
  }

  async removeTrack(videoId: string, trackId: string): Promise<void> {
    await fs.promises.rm(this.trackPath(videoId, trackId), { force: true });
  }

  /** Every caption file of a video (when the video itself is deleted). */
  async removeTracks(videoId: string): Promise<void> {
    assertId(videoId);
    await fs.promises.rm(path.join(this.tracksDir, videoId), { recursive: true, force: true });
  }

  /** A text file of a video's output folder (a playlist), or null when missing or not servable. */
  async readVideoText(videoId: string, relative: string): Promise<string | null> {
    const file = await this.realVideoFile(videoId, relative);
    return file ? fs.promises.readFile(file, 'utf8').catch(() => null) : null;
  }
}

function assertId(id: string): void {
  if (!isValidId(id)) throw new Error(`invalid id "${id}"`);
}
