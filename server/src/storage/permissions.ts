import fs from 'node:fs';
import path from 'node:path';

/**
 * Secrets at rest (issue 5, defect 8): the data dir holds the database (API secrets), its WAL,
 * uploads nobody has published and dev-key.json. Only the server's own user may read any of it:
 * directories 0700, files 0600. `main.ts` also sets the umask to 077 so everything created later
 * (uploads, outputs, SQLite's WAL/SHM) is born that way; this fixes what an older version left
 * world-readable. Outputs are served by this server (same user); a separate web server serving
 * `videos/` directly needs its own group access, which the operator grants on purpose.
 */
export function lockDownDataDir(dataDir: string): void {
  const chmod = (p: string, mode: number) => {
    try {
      fs.chmodSync(p, mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  };
  chmod(dataDir, 0o700);
  for (const dir of ['uploads', 'videos']) chmod(path.join(dataDir, dir), 0o700);
  for (const file of ['vodkit.sqlite', 'vodkit.sqlite-wal', 'vodkit.sqlite-shm', 'dev-key.json']) {
    chmod(path.join(dataDir, file), 0o600);
  }
}
