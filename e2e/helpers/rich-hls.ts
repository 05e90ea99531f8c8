import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { serveStatic, writeStoryboard } from './hls-fixture.ts';

const run = promisify(execFile);
const ffmpeg = () => process.env.FFMPEG_PATH || 'ffmpeg';

export interface RichFixture {
  origin: string;
  videoId: string;
  /** The master playlist, served whole. */
  master: string;
  /**
   * An `api-base` under which the same video is published as if it were still encoding: every media
   * playlist lists one more 1 s segment each `msPerSegment` from the session's first request, without
   * `#EXT-X-ENDLIST` until the last. `/oembed` there answers the title and full duration.
   */
  pacedBase(msPerSegment: number): string;
  /**
   * As `pacedBase`, but the encode stands at its first segment (1 s published) until `release()`,
   * from when it gains one segment each `msPerSegment`: a test acts at that edge without racing it.
   */
  heldPacedBase(msPerSegment: number): { base: string; release(): void };
  duration: number;
  requests: string[];
  close(): Promise<void>;
}

/**
 * A two-rung ladder (640×360, 320×180) with two audio languages (en 440 Hz, fr 660 Hz) in one audio
 * group, an English WebVTT rendition, 1 s segments, a poster and a storyboard: what the Vodkit
 * server packages for a source with two audio streams and a caption track.
 */
async function writeRichLadder(dir: string, videoId: string, duration: number): Promise<void> {
  const out = path.join(dir, 'stream', videoId);
  fs.mkdirSync(out, { recursive: true });
  const lavfi = (src: string) => ['-f', 'lavfi', '-i', `${src}:duration=${duration}`];
  await run(
    ffmpeg(),
    [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...lavfi('testsrc2=size=640x360:rate=25'),
      ...lavfi('sine=frequency=440:sample_rate=48000'),
      ...lavfi('sine=frequency=660:sample_rate=48000'),
      ...['-filter_complex', '[0:v]split=2[hi][v1];[v1]scale=320:180[lo]'],
      ...['-map', '[hi]', '-map', '[lo]', '-map', '1:a', '-map', '2:a'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
      ...['-g', '25', '-keyint_min', '25', '-sc_threshold', '0', '-b:v:0', '800k', '-b:v:1', '250k'],
      ...['-c:a', 'aac', '-b:a', '64k'],
      ...['-f', 'hls', '-hls_time', '1', '-hls_playlist_type', 'event', '-hls_segment_type', 'fmp4'],
      ...['-hls_flags', 'independent_segments', '-master_pl_name', 'master.m3u8'],
      ...[
        '-var_stream_map',
        'v:0,agroup:aud,name:hi v:1,agroup:aud,name:lo a:0,agroup:aud,language:en,name:en,default:yes a:1,agroup:aud,language:fr,name:fr',
      ],
      ...['-hls_segment_filename', path.join(out, '%v/seg_%03d.m4s'), '-hls_fmp4_init_filename', 'init.mp4'],
      path.join(out, '%v/index.m3u8'),
    ],
    { timeout: 120_000 },
  );
  await run(
    ffmpeg(),
    [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...[
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=640x360:rate=1',
        '-frames:v',
        '1',
        path.join(out, 'poster.jpg'),
      ],
    ],
    { timeout: 60_000 },
  );
  await writeStoryboard(out, duration);
  const stamp = (s: number) => `00:00:${String(s).padStart(2, '0')}.000`;
  fs.writeFileSync(
    path.join(out, 'subs.vtt'),
    `WEBVTT\n\n${stamp(0)} --> ${stamp(duration)}\nHello from the captions\n`,
  );
  fs.writeFileSync(
    path.join(out, 'subs.m3u8'),
    `#EXTM3U\n#EXT-X-TARGETDURATION:${duration}\n#EXT-X-VERSION:7\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:${duration}.0,\nsubs.vtt\n#EXT-X-ENDLIST\n`,
  );
  const master = fs
    .readFileSync(path.join(out, 'master.m3u8'), 'utf8')
    .replace('NAME="audio_2"', 'NAME="English"')
    .replace('NAME="audio_3"', 'NAME="Français"')
    .replace(/AUDIO="group_aud"/g, 'AUDIO="group_aud",SUBTITLES="subs"')
    .replace(
      '#EXT-X-STREAM-INF',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="subs.m3u8"\n#EXT-X-STREAM-INF',
    );
  fs.writeFileSync(path.join(out, 'master.m3u8'), master);
  fs.writeFileSync(path.join(dir, 'oembed.json'), JSON.stringify({ title: 'Rich fixture', duration }));
}

/** Keeps the first `count` segments of a media playlist, and its end only when all of them are in. */
function truncatePlaylist(text: string, count: number): string {
  const out: string[] = [];
  let segments = 0;
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith('#EXTINF')) total++;
  for (const line of text.trim().split('\n')) {
    if (line === '#EXT-X-ENDLIST') {
      if (count >= total) out.push(line);
      continue;
    }
    if (line.startsWith('#EXTINF')) segments++;
    if (segments > count) continue;
    out.push(line);
  }
  return `${out.join('\n')}\n`;
}

/** Generates the fixture in a temp dir and serves it; `close()` stops and cleans up. */
export async function createRichFixture(duration = 6): Promise<RichFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodkit-rich-'));
  const videoId = 'rich';
  await writeRichLadder(dir, videoId, duration);
  const sessions = new Map<string, number>();
  const held = new Set<string>();
  const server = await serveStatic(dir, (pathname) => {
    const paced = /^\/paced\/(\d+)\/(\w+)(\/.*)$/.exec(pathname);
    if (!paced) return { pathname };
    const [, ms, session, rest] = paced as unknown as [string, string, string, string];
    if (rest === '/oembed') return { pathname: '/oembed.json' };
    if (!sessions.has(session)) sessions.set(session, Date.now());
    const isMedia = /\/(hi|lo|en|fr)\/index\.m3u8$/.test(rest);
    if (!isMedia) return { pathname: rest };
    const count = held.has(session) ? 1 : 1 + Math.floor((Date.now() - sessions.get(session)!) / Number(ms));
    return { pathname: rest, text: (body) => truncatePlaylist(body, count) };
  });
  let sessionCount = 0;
  return {
    origin: server.origin,
    videoId,
    master: `${server.origin}/stream/${videoId}/master.m3u8`,
    pacedBase: (ms) => `${server.origin}/paced/${ms}/s${++sessionCount}`,
    heldPacedBase: (ms) => {
      const session = `s${++sessionCount}`;
      held.add(session);
      return {
        base: `${server.origin}/paced/${ms}/${session}`,
        release: () => {
          held.delete(session);
          sessions.set(session, Date.now());
        },
      };
    },
    duration,
    requests: server.requests,
    close: async () => {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
