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
