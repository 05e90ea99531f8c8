import type { FileRecord } from '@vodkit/api';

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/** The probed metadata as label/value rows for the demo's table. */
export function metadataRows(file: FileRecord): [string, string][] {
  const m = file.metadata;
  if (!m) return [];
  const rows: [string, string][] = [
    ['File', file.filename ?? file.fileId],
    ['Container', containerName(m.container, file.filename)],
    ['Duration', formatDuration(m.duration)],
    ['Size', formatBytes(m.size)],
  ];
  if (m.bitrate) rows.push(['Bitrate', `${Math.round(m.bitrate / 1000)} kb/s`]);
  if (m.video) {
    const v = m.video;
    rows.push(['Video', `${v.codec}${v.profile ? ` (${v.profile})` : ''}, ${v.width}×${v.height}`]);
    if (v.fps) rows.push(['Frame rate', `${Math.round(v.fps * 100) / 100} fps`]);
    rows.push(['Pixels', `${v.pixFmt ?? '?'}, ${v.bitDepth}-bit${v.hdr ? ', HDR' : ''}`]);
    if (v.rotation) rows.push(['Rotation', `${v.rotation}°`]);
    if (v.projection !== 'flat') rows.push(['Projection', v.projection]);
  }
  if (m.audio) rows.push(['Audio', `${m.audio.codec}, ${m.audio.channels} ch, ${m.audio.sampleRate} Hz`]);
  return rows;
}

/**
 * ffprobe names demuxers, not formats: `mov,mp4,m4a,3gp,3g2,mj2` is one demuxer for all of those. The
 * file's extension says which one it is; the demuxer's family name otherwise.
 */
export function containerName(container: string, filename: string | null): string {
  const ext = /\.([a-z0-9]+)$/i.exec(filename ?? '')?.[1]?.toLowerCase();
  const family = container.split(',');
  const byExt: Record<string, string> = {
    mov: 'QuickTime (MOV)',
    m4v: 'MP4',
    m4a: 'M4A',
    '3gp': '3GP',
    webm: 'WebM',
    mkv: 'Matroska (MKV)',
  };
  if (ext && byExt[ext] && family.some((f) => ['mov', 'mp4', 'matroska', 'webm'].includes(f)))
    return byExt[ext]!;
  const names: Record<string, string> = {
    mov: 'MP4',
    matroska: 'Matroska (MKV)',
    mpegts: 'MPEG-TS',
    avi: 'AVI',
    flv: 'FLV',
    ogg: 'Ogg',
    mp3: 'MP3',
    wav: 'WAV',
    mxf: 'MXF',
  };
  return names[family[0] ?? ''] ?? container;
}
