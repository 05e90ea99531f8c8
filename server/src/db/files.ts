import type { FileRecord, FileStatus, MediaMetadata } from '@vodkit/api';
import type { Db } from './database.ts';
import { now } from './database.ts';
import type { FilesRepository } from './repositories.ts';

/** A file record plus what the API never shows (its owner). */
export interface FileRow extends Omit<FileRecord, 'kind'> {
  apiKey: string;
}

interface Row {
  file_id: string;
  api_key: string;
  filename: string | null;
  filetype: string | null;
  title: string | null;
  size: number;
  status: FileStatus;
  metadata: string | null;
  reason_code: string | null;
  reason_message: string | null;
  probe_ms: number | null;
  created_at: string;
  updated_at: string;
  progress_bytes: number | null;
  progress_total: number | null;
}

const toFile = (r: Row): FileRow => ({
  fileId: r.file_id,
  apiKey: r.api_key,
  filename: r.filename,
  filetype: r.filetype,
  title: r.title,
  size: r.size,
  status: r.status,
  metadata: r.metadata ? (JSON.parse(r.metadata) as MediaMetadata) : null,
  reason: r.reason_code ? { code: r.reason_code, message: r.reason_message ?? '' } : null,
  probeMs: r.probe_ms,
  progress: r.progress_bytes === null ? null : { bytes: r.progress_bytes, total: r.progress_total },
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface NewFile {
  fileId: string;
  apiKey: string;
  filename: string | null;
  filetype: string | null;
  title: string | null;
  size: number;
}

export class FilesRepo implements FilesRepository {
  constructor(private readonly db: Db) {}

  /** Inserts a file in `probing`; a second insert of the same id is ignored (tus may finish twice after a crash). */
  async insertProbing(file: NewFile): Promise<void> {
    const t = now();
    this.db
      .prepare(
        `INSERT OR IGNORE INTO files (file_id, api_key, filename, filetype, title, size, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'probing', ?, ?)`,
      )
      .run(file.fileId, file.apiKey, file.filename, file.filetype, file.title, file.size, t, t);
  }

  async insertDownloading(file: NewFile, leaseMs: number): Promise<void> {
    const t = now();
    this.db
      .prepare(
        `INSERT INTO files (file_id, api_key, filename, filetype, title, size, status, created_at, updated_at,
           progress_bytes, progress_total, lease_until)
         VALUES (?, ?, ?, ?, ?, ?, 'downloading', ?, ?, 0, NULL, ?)`,
      )
      .run(
        file.fileId,
        file.apiKey,
        file.filename,
        file.filetype,
        file.title,
        file.size,
        t,
        t,
        Date.now() + leaseMs,
      );
  }

  async updateDownload(
    fileId: string,
    bytes: number,
    total: number | null,
    leaseMs: number,
  ): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE files SET progress_bytes = ?, progress_total = ?, lease_until = ?, updated_at = ?
           WHERE file_id = ? AND status = 'downloading'`,
        )
        .run(bytes, total, Date.now() + leaseMs, now(), fileId).changes === 1
    );
  }

  async finishDownload(fileId: string, size: number): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE files SET status = 'probing', size = ?, progress_bytes = ?, progress_total = ?, lease_until = NULL,
           updated_at = ? WHERE file_id = ? AND status = 'downloading'`,
        )
        .run(size, size, size, now(), fileId).changes === 1
    );
  }

  async rejectDownload(fileId: string, code: string, message: string): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE files SET status = 'rejected', reason_code = ?, reason_message = ?, lease_until = NULL, updated_at = ?
           WHERE file_id = ? AND status = 'downloading'`,
        )
        .run(code, message, now(), fileId).changes === 1
    );
  }

  async expireDownloads(code: string, message: string, atMs = Date.now()): Promise<string[]> {
    return (
      this.db
        .prepare(
          `UPDATE files SET status = 'rejected', reason_code = ?, reason_message = ?, lease_until = NULL, updated_at = ?
           WHERE status = 'downloading' AND lease_until < ? RETURNING file_id`,
        )
        .all(code, message, now(), atMs) as { file_id: string }[]
    ).map((r) => r.file_id);
  }

  async markReady(fileId: string, metadata: MediaMetadata, probeMs: number): Promise<void> {
    this.db
      .prepare(
        `UPDATE files SET status = 'ready', metadata = ?, probe_ms = ?, reason_code = NULL, reason_message = NULL,
         updated_at = ? WHERE file_id = ?`,
      )
      .run(JSON.stringify(metadata), probeMs, now(), fileId);
  }

  async markRejected(
    fileId: string,
    code: string,
    message: string,
    probeMs: number | null,
    metadata?: MediaMetadata,
  ): Promise<void> {
    this.db
      .prepare(
        `UPDATE files SET status = 'rejected', reason_code = ?, reason_message = ?, probe_ms = ?, metadata = ?,
         updated_at = ? WHERE file_id = ?`,
      )
      .run(code, message, probeMs, metadata ? JSON.stringify(metadata) : null, now(), fileId);
  }

  async get(fileId: string): Promise<FileRow | undefined> {
    const row = this.db.prepare('SELECT * FROM files WHERE file_id = ?').get(fileId) as Row | undefined;
    return row && toFile(row);
  }

  /** Newest first. */
  async list(apiKey: string, page: number, perPage: number): Promise<{ rows: FileRow[]; total: number }> {
    const total = (
      this.db.prepare('SELECT count(*) AS n FROM files WHERE api_key = ?').get(apiKey) as { n: number }
    ).n;
    const rows = (
      this.db
        .prepare('SELECT * FROM files WHERE api_key = ? ORDER BY created_at DESC, file_id LIMIT ? OFFSET ?')
        .all(apiKey, perPage, (page - 1) * perPage) as Row[]
    ).map(toFile);
    return { rows, total };
  }

  /** Files left in `probing` (the server died mid-probe): probed again at start-up. */
  async listProbing(): Promise<FileRow[]> {
    return (this.db.prepare("SELECT * FROM files WHERE status = 'probing'").all() as Row[]).map(toFile);
  }

  /** A key's files created before `beforeIso` (the demo sandbox sweep). */
  async idsCreatedBefore(apiKey: string, beforeIso: string): Promise<string[]> {
    return (
      this.db
        .prepare('SELECT file_id FROM files WHERE api_key = ? AND created_at < ?')
        .all(apiKey, beforeIso) as { file_id: string }[]
    ).map((r) => r.file_id);
  }

  async has(fileId: string): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM files WHERE file_id = ?').get(fileId) !== undefined;
  }

  async delete(fileId: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM files WHERE file_id = ?').run(fileId).changes === 1;
  }
}
