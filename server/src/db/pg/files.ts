import type { FileStatus, MediaMetadata } from '@vodkit/api';
import type pg from 'pg';
import type { FileRow, NewFile } from '../files.ts';
import type { FilesRepository, Page } from '../repositories.ts';
import { iso, NOW, NOW_MS, num } from './sql.ts';

interface Row {
  file_id: string;
  api_key: string;
  filename: string | null;
  filetype: string | null;
  title: string | null;
  size: string;
  status: FileStatus;
  metadata: MediaMetadata | null;
  reason_code: string | null;
  reason_message: string | null;
  probe_ms: number | null;
  created_at: Date;
  updated_at: Date;
  progress_bytes: string | null;
  progress_total: string | null;
}

const toFile = (r: Row): FileRow => ({
  fileId: r.file_id,
  apiKey: r.api_key,
  filename: r.filename,
  filetype: r.filetype,
  title: r.title,
  size: Number(r.size),
  status: r.status,
  metadata: r.metadata,
  reason: r.reason_code ? { code: r.reason_code, message: r.reason_message ?? '' } : null,
  probeMs: num(r.probe_ms),
  progress:
    r.progress_bytes === null ? null : { bytes: Number(r.progress_bytes), total: num(r.progress_total) },
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
});

const COLUMNS = `file_id, api_key, filename, filetype, title, size, status, metadata, reason_code, reason_message,
  probe_ms, created_at, updated_at, progress_bytes, progress_total`;

/** Uploaded files on PostgreSQL: the same rows and rules as the SQLite `FilesRepo`. */
export class PgFilesRepository implements FilesRepository {
  constructor(private readonly pool: pg.Pool) {}

  async insertProbing(file: NewFile): Promise<void> {
    await this.pool.query(
      `INSERT INTO files (file_id, api_key, filename, filetype, title, size, status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'probing', ${NOW}, ${NOW})
       ON CONFLICT (file_id) DO NOTHING`,
      [file.fileId, file.apiKey, file.filename, file.filetype, file.title, file.size],
    );
  }

  async insertDownloading(file: NewFile, leaseMs: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO files (file_id, api_key, filename, filetype, title, size, status, created_at, updated_at,
         progress_bytes, progress_total, lease_until)
       VALUES ($1, $2, $3, $4, $5, $6, 'downloading', ${NOW}, ${NOW}, 0, NULL, ${NOW_MS} + $7)`,
      [file.fileId, file.apiKey, file.filename, file.filetype, file.title, file.size, leaseMs],
    );
  }

  async updateDownload(
    fileId: string,
    bytes: number,
    total: number | null,
    leaseMs: number,
  ): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE files SET progress_bytes = $2, progress_total = $3, lease_until = ${NOW_MS} + $4, updated_at = ${NOW}
       WHERE file_id = $1 AND status = 'downloading'`,
      [fileId, bytes, total, leaseMs],
    );
    return res.rowCount === 1;
  }

  async finishDownload(fileId: string, size: number): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE files SET status = 'probing', size = $2, progress_bytes = $2, progress_total = $2, lease_until = NULL,
         updated_at = ${NOW} WHERE file_id = $1 AND status = 'downloading'`,
      [fileId, size],
    );
    return res.rowCount === 1;
  }

  async rejectDownload(fileId: string, code: string, message: string): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE files SET status = 'rejected', reason_code = $2, reason_message = $3, lease_until = NULL,
         updated_at = ${NOW} WHERE file_id = $1 AND status = 'downloading'`,
      [fileId, code, message],
    );
    return res.rowCount === 1;
  }

  async expireDownloads(code: string, message: string, atMs?: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ file_id: string }>(
      `UPDATE files SET status = 'rejected', reason_code = $1, reason_message = $2, lease_until = NULL,
         updated_at = ${NOW} WHERE status = 'downloading' AND lease_until < coalesce($3::bigint, ${NOW_MS})
       RETURNING file_id`,
      [code, message, atMs ?? null],
    );
    return rows.map((r) => r.file_id);
  }

  async markReady(fileId: string, metadata: MediaMetadata, probeMs: number): Promise<void> {
    await this.pool.query(
      `UPDATE files SET status = 'ready', metadata = $2, probe_ms = $3, reason_code = NULL, reason_message = NULL,
         updated_at = ${NOW} WHERE file_id = $1`,
      [fileId, JSON.stringify(metadata), probeMs],
    );
  }

  async markRejected(
    fileId: string,
    code: string,
    message: string,
    probeMs: number | null,
    metadata?: MediaMetadata,
  ): Promise<void> {
    await this.pool.query(
      `UPDATE files SET status = 'rejected', reason_code = $2, reason_message = $3, probe_ms = $4, metadata = $5,
         updated_at = ${NOW} WHERE file_id = $1`,
      [fileId, code, message, probeMs, metadata ? JSON.stringify(metadata) : null],
    );
  }

  async get(fileId: string): Promise<FileRow | undefined> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM files WHERE file_id = $1`, [fileId]);
    return rows[0] && toFile(rows[0]);
  }

  async list(apiKey: string, page: number, perPage: number): Promise<Page<FileRow>> {
    const [count, list] = await Promise.all([
      this.pool.query<{ n: string }>('SELECT count(*) AS n FROM files WHERE api_key = $1', [apiKey]),
      this.pool.query<Row>(
        `SELECT ${COLUMNS} FROM files WHERE api_key = $1 ORDER BY created_at DESC, file_id LIMIT $2 OFFSET $3`,
        [apiKey, perPage, (page - 1) * perPage],
      ),
    ]);
    return { rows: list.rows.map(toFile), total: Number(count.rows[0]!.n) };
  }

  async listProbing(): Promise<FileRow[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM files WHERE status = 'probing' ORDER BY seq`,
    );
    return rows.map(toFile);
  }

  async idsCreatedBefore(apiKey: string, beforeIso: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ file_id: string }>(
      'SELECT file_id FROM files WHERE api_key = $1 AND created_at < $2 ORDER BY seq',
      [apiKey, beforeIso],
    );
    return rows.map((r) => r.file_id);
  }

  async has(fileId: string): Promise<boolean> {
    const { rows } = await this.pool.query('SELECT 1 FROM files WHERE file_id = $1', [fileId]);
    return rows.length === 1;
  }

  async delete(fileId: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM files WHERE file_id = $1', [fileId]);
    return res.rowCount === 1;
  }
}
