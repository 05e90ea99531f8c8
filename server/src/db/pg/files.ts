import type { FileStatus, MediaMetadata } from '@vodkit/api';
import type pg from 'pg';
import type { FileRow, NewFile } from '../files.ts';
import type { FilesRepository, Page } from '../repositories.ts';
import { iso, NOW, num } from './sql.ts';

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
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
});

const COLUMNS = `file_id, api_key, filename, filetype, title, size, status, metadata, reason_code, reason_message,
  probe_ms, created_at, updated_at`;

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
