import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ffmpeg = () => process.env.FFMPEG_PATH || 'ffmpeg';

/** The rungs of the fixture ladder, in master playlist order. */
export const FIXTURE_RUNGS = [
  { width: 640, height: 360, bitrate: '800k' },
  { width: 320, height: 180, bitrate: '250k' },
] as const;

export interface HlsFixture {
  /** Origin of the static server, e.g. `http://127.0.0.1:40123`. */
  origin: string;
  /** The video id the ladder is served under: `${origin}/stream/${videoId}/master.m3u8`. */
  videoId: string;
  /** The master playlist URL. */
  master: string;
  /** A plain progressive MP4 of the same clip, for a bare `<video>`. */
  mp4: string;
  /** Seconds. */
  duration: number;
  /** Every request path (with query) the server saw, oldest first. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Writes a two-rung fMP4 HLS ladder (testsrc2 + sine, keyframes every 2 s, EVENT playlists that end
 * with ENDLIST — the shape the Vodkit encoder publishes) into `dir/stream/<videoId>/`.
 */
export async function writeHlsLadder(dir: string, videoId: string, duration: number): Promise<string> {
  const out = path.join(dir, 'stream', videoId);
  fs.mkdirSync(out, { recursive: true });
  const [hi, lo] = FIXTURE_RUNGS;
  await run(
    ffmpeg(),
    [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', `testsrc2=size=${hi.width}x${hi.height}:rate=25:duration=${duration}`],
      ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${duration}`],
      ...['-filter_complex', `[0:v]split=2[hi][v1];[v1]scale=${lo.width}:${lo.height}[lo]`],
      ...['-map', '[hi]', '-map', '[lo]', '-map', '1:a', '-map', '1:a'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
      ...['-g', '50', '-keyint_min', '50', '-sc_threshold', '0'],
      ...['-b:v:0', hi.bitrate, '-b:v:1', lo.bitrate, '-c:a', 'aac', '-b:a', '64k'],
      ...['-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'event', '-hls_segment_type', 'fmp4'],
      ...['-hls_flags', 'independent_segments', '-master_pl_name', 'master.m3u8'],
      ...['-var_stream_map', 'v:0,a:0,name:hi v:1,a:1,name:lo'],
      ...['-hls_segment_filename', path.join(out, '%v/seg_%03d.m4s'), '-hls_fmp4_init_filename', 'init.mp4'],
      path.join(out, '%v/index.m3u8'),
    ],
    { timeout: 120_000 },
  );
  return path.join(out, 'master.m3u8');
}

/**
 * A storyboard as the encoder makes one: one 160×90 tile per second on a 3-column sprite sheet, and
 * WebVTT cues `storyboard.jpg#xywh=x,y,w,h` beside it.
 */
export async function writeStoryboard(dir: string, duration: number): Promise<void> {
  const [w, h, cols] = [160, 90, 3];
  const rows = Math.ceil(duration / cols);
  await run(
    ffmpeg(),
    [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${duration}`],
      ...['-vf', `fps=1,scale=${w}:${h},tile=${cols}x${rows}`, '-frames:v', '1'],
      path.join(dir, 'storyboard.jpg'),
    ],
    { timeout: 120_000 },
  );
  const stamp = (s: number) => `00:00:${String(s).padStart(2, '0')}.000`;
  const cues = Array.from({ length: duration }, (_, i) => {
    const xywh = `${(i % cols) * w},${Math.floor(i / cols) * h},${w},${h}`;
    return `${stamp(i)} --> ${stamp(i + 1)}\nstoryboard.jpg#xywh=${xywh}\n`;
  });
  fs.writeFileSync(path.join(dir, 'storyboard.vtt'), `WEBVTT\n\n${cues.join('\n')}`);
}

/** A progressive H.264/AAC MP4 (faststart) that a plain `<video>` plays without any library. */
export async function writeMp4(file: string, duration: number): Promise<string> {
  await run(
    ffmpeg(),
    [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=25:duration=${duration}`],
      ...['-f', 'lavfi', '-i', `sine=frequency=220:sample_rate=48000:duration=${duration}`],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac'],
      ...['-movflags', '+faststart', file],
    ],
    { timeout: 120_000 },
  );
  return file;
}

const TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.jpg': 'image/jpeg',
  '.json': 'application/json',
  '.vtt': 'text/vtt',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
};

/**
 * Serves `root` read-only on a free loopback port with permissive CORS, as a CDN in front of any HLS
 * would; the page under test lives on another origin (the Vodkit server).
 */
/** How `serveStatic` may answer a path other than with the file of that name. */
export interface StaticRoute {
  /** The file to serve, relative to the root. */
  pathname: string;
  /** Rewrites a text file (a playlist) before it is sent. */
  text?: (body: string) => string;
}

export async function serveStatic(
  root: string,
  route: (pathname: string) => StaticRoute = (pathname) => ({ pathname }),
): Promise<{ origin: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-headers', '*');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const routed = route(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = path.join(root, routed.pathname);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    if (routed.text) {
      const body = routed.text(fs.readFileSync(file, 'utf8'));
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
      return;
    }
    const size = fs.statSync(file).size;
    const headers = {
      'content-type': type,
      'accept-ranges': 'bytes',
      'cache-control': 'no-store',
    };
    // A plain <video> only seeks freely when the server answers byte ranges.
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    if (range && (range[1] || range[2])) {
      start = range[1] ? Number(range[1]) : size - Number(range[2]);
      end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      res.writeHead(206, {
        ...headers,
        'content-range': `bytes ${start}-${end}/${size}`,
        'content-length': end - start + 1,
      });
    } else {
      res.writeHead(200, { ...headers, 'content-length': size });
    }
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file, { start, end }).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Generates the ladder and the MP4 in a temp dir and serves them; `close()` stops and cleans up. */
export async function createHlsFixture(duration = 6): Promise<HlsFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodkit-hls-'));
  const videoId = 'fixture';
  await writeHlsLadder(dir, videoId, duration);
  await writeStoryboard(path.join(dir, 'stream', videoId), duration);
  await writeMp4(path.join(dir, 'plain.mp4'), duration);
  const server = await serveStatic(dir);
  return {
    origin: server.origin,
    videoId,
    master: `${server.origin}/stream/${videoId}/master.m3u8`,
    mp4: `${server.origin}/plain.mp4`,
    duration,
    requests: server.requests,
    close: async () => {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
