/** The part of a row the scheduler reads. */
export interface Slot {
  key: string;
  phase: string;
}

/**
 * Which queued rows to start now, in the order they were added: as many as `limit` leaves room for
 * next to the ones already sending. Paused rows hold no slot (they send nothing).
 */
export function rowsToStart(rows: readonly Slot[], limit: number): string[] {
  const max = Number.isFinite(limit) && limit >= 1 ? Math.floor(limit) : 1;
  const free = max - rows.filter((r) => r.phase === 'uploading').length;
  if (free <= 0) return [];
  return rows
    .filter((r) => r.phase === 'queued')
    .slice(0, free)
    .map((r) => r.key);
}

/** Same name, size, type and date: the same file to tus (it would resume the same upload). */
export function sameFile(a: File, b: File): boolean {
  return a.name === b.name && a.size === b.size && a.type === b.type && a.lastModified === b.lastModified;
}
