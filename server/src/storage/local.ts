import fs from 'node:fs';
import path from 'node:path';
import { isValidId } from '../ids.ts';

/**
 * Where bytes live on local disk. The only module that builds paths: everything else asks it.
 *   <dataDir>/uploads/<fileId>        the tus upload (and <fileId>.json, tus's own info file)
 *   <dataDir>/videos/<videoId>/…      encoder outputs: master.m3u8, <rung>/…, poster.jpg
 */
export class LocalStorage {
  readonly uploadsDir: string;
  readonly videosDir: string;

  constructor(readonly dataDir: string) {
    this.uploadsDir = path.join(dataDir, 'uploads');
    this.videosDir = path.join(dataDir, 'videos');
    fs.mkdirSync(this.uploadsDir, { recursive: true });
    fs.mkdirSync(this.videosDir, { recursive: true });
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
    await fs.promises.rm(this.videoDir(videoId), { recursive: true, force: true });
  }
}

function assertId(id: string): void {
  if (!isValidId(id)) throw new Error(`invalid id "${id}"`);
}
