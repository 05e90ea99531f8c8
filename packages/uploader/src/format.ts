/** Decimal units (1 MB = 1,000,000 bytes), as disks and the `MB/s` of the speed are counted; 3 digits. */
export function formatBytes(bytes: number, { trim = false } = {}): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0);
  // Limits read better round ("5 MB"); running counts keep their width ("5.00 MB") so they don't jitter.
  return `${trim ? String(Number(digits)) : digits} ${units[unit]}`;
}

export function formatSpeed(bytesPerSecond: number): string {
  const mb = bytesPerSecond / 1e6;
  return `${mb.toFixed(mb < 10 ? 2 : 1)} MB/s`;
}

export function formatEta(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) {
    const m = Math.floor(seconds / 60);
    return `${m} min ${String(Math.floor(seconds % 60)).padStart(2, '0')} s`;
  }
  const h = Math.floor(seconds / 3600);
  return `${h} h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')} min`;
}
