import fs from 'node:fs';
import {
  type EncoderJob,
  MAX_CHAPTERS,
  type Video,
  type VideoChapters,
  VodkitClient,
  VodkitError,
} from '@vodkit/api';
import { signPlaybackToken } from '@vodkit/api/sign';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollFor } from '../../test/encode-job.ts';
import { clips, tempDir } from '../../test/fixtures.ts';
import { apiFetcher, startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';
import { chaptersVtt } from '../media/chapters.ts';
import { clipMediaPlaylist } from '../media/instant-clip.ts';
import { plainCueText } from '../media/vtt.ts';
import { clipRange } from '../services/instant-clips.ts';

// Chapters (issue 15 §4) and instant clips (§2) on one 6 s video, public and then protected.
// Segments of a 6 s source: [0, 1), [1, 2), [2, 5), [5, 6) (media/schedule.ts: 1, 1, 3, then 4 s).

let server: TestServer;
let token: string;
let open: Video;
/** The same video, made protected for the last tests (one encode for the whole file). */
let locked: Video;

const api = apiFetcher(
  () => server.baseUrl,
  () => token,
);

async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, ...body.error };
}

const putChapters = (videoId: string, chapters: unknown) =>
  api(`/v1/videos/${videoId}/chapters`, { method: 'PUT', json: { chapters } });

async function encode(fileId: string): Promise<Video> {
  const res = await api('/v1/encoder/jobs', {
    method: 'POST',
    json: { fileId, presets: [{ resolutions: ['240'] }] },
  });
  const { jobId, videoId } = (await res.json()) as EncoderJob;
  await pollFor(`job ${jobId}`, async () => {
    const job = (await (await api(`/v1/encoder/jobs/${jobId}`)).json()) as EncoderJob;
    if (job.status === 'failed' || job.status === 'cancelled') throw new Error(`job ${job.status}`);
    return job.status === 'completed' ? job : undefined;
  });
  return (await (await api(`/v1/videos/${videoId}`)).json()) as Video;
}

beforeAll(async () => {
  const dir = tempDir('vodkit-chapters-');
  const [s, clip] = await Promise.all([
    startServer(),
    clips.h264Aac(dir, { duration: 6, width: 320, height: 180 }).then((f) => fs.readFileSync(f)),
  ]);
  server = s;
  token = await server.token();
  const fileId = fileIdOf(await tusUpload(clip, { baseUrl: server.baseUrl, bearer: token }));
  open = await encode(fileId);
  locked = open;
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('chapter titles and files (pure)', () => {
  it('cleans titles like cue text: markup and controls go, text stays', () => {
    expect(plainCueText('  <b>Act</b> <script>alert(1)</script>one\u0007\n\u202Etwo  ')).toBe(
      'Act alert(1)one two',
    );
    expect(plainCueText('a < b && c > d')).toBe('a < b && c > d');
    expect(plainCueText('{\\an8}Top')).toBe('Top');
  });

  it('writes one cue per chapter, each to the next start, the last to the end, escaped', () => {
    expect(
      chaptersVtt(
        [
          { start: 0, title: 'A & B' },
          { start: 2.5, title: '<i>' },
        ],
        6,
      ),
    ).toBe(
      'WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nA &amp; B\n\n00:00:02.500 --> 00:00:06.000\n&lt;i&gt;\n',
    );
    expect(chaptersVtt([], 6)).toBe('WEBVTT\n\n');
  });
});

describe('chapters API', () => {
  it('stores, reads, lists on the video and serves WebVTT chapters; [] removes them', async () => {
    const client = new VodkitClient({ baseUrl: server.baseUrl, token });
    const set = await client.setChapters(open.videoId, [
      { start: 0, title: 'Intro' },
      { start: 1.25, title: 'The <b>middle</b> &amp; more' },
      { start: 4, title: 'End' },
    ]);
    const url = `${server.baseUrl}/stream/${open.videoId}/chapters.vtt`;
    expect(set).toEqual({
      videoId: open.videoId,
      url,
      chapters: [
        { start: 0, title: 'Intro' },
        { start: 1.25, title: 'The middle &amp; more' },
        { start: 4, title: 'End' },
      ],
    });
    expect(await client.getChapters(open.videoId)).toEqual(set);
    const video = await client.getVideo(open.videoId);
    expect(video.chapters).toEqual(set.chapters);
    expect(video.chaptersUrl).toBe(url);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/vtt/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const vtt = await res.text();
    expect(vtt).toMatch(/^WEBVTT\n\n00:00:00.000 --> 00:00:01.250\nIntro\n/);
    expect(vtt).toContain('00:00:01.250 --> 00:00:04.000\nThe middle &amp;amp; more\n');
    expect(vtt).toMatch(/00:00:04.000 --> 00:00:0[56]\.\d{3}\nEnd\n$/);

    expect((await client.setChapters(open.videoId, [])).url).toBeNull();
    expect((await client.getVideo(open.videoId)).chaptersUrl).toBeNull();
    // No chapters: an empty file, not a 404 (the player asks for every video's).
    expect(await (await fetch(url)).text()).toBe('WEBVTT\n\n');
    await client.setChapters(open.videoId, set.chapters);
  });

  it('refuses unsorted, out-of-range, empty, too long and too many with 400', async () => {
    const cases: [string, unknown][] = [
      [
        'unsorted',
        [
          { start: 2, title: 'b' },
          { start: 1, title: 'a' },
        ],
      ],
      [
        'same start',
        [
          { start: 1, title: 'a' },
          { start: 1.0004, title: 'b' },
        ],
      ],
      [
        'past the end',
        [
          { start: 0, title: 'a' },
          { start: 6.5, title: 'b' },
        ],
      ],
      ['negative', [{ start: -1, title: 'a' }]],
      ['not a number', [{ start: 'one', title: 'a' }]],
      ['empty once clean', [{ start: 0, title: '<b></b>  ' }]],
      ['too long', [{ start: 0, title: 'x'.repeat(101) }]],
      ['unknown field', [{ start: 0, title: 'a', href: 'x' }]],
      ['too many', Array.from({ length: MAX_CHAPTERS + 1 }, (_, i) => ({ start: i * 0.01, title: `c${i}` }))],
    ];
    for (const [what, chapters] of cases) {
      const err = await errorOf(await putChapters(open.videoId, chapters));
      expect([what, err.status, err.code]).toEqual([what, 400, 'validation_failed']);
    }
    expect(
      (await errorOf(await api(`/v1/videos/${open.videoId}/chapters`, { method: 'PUT', json: {} }))).status,
    ).toBe(400);
    // Nothing of the refused lists was stored.
    expect(
      ((await (await api(`/v1/videos/${open.videoId}/chapters`)).json()) as VideoChapters).chapters,
    ).toHaveLength(3);
  });

  it('needs allow_encode to write and the video to be the key’s own', async () => {
    const readOnly = await server.token(['allow_read']);
    const denied = await api(`/v1/videos/${open.videoId}/chapters`, {
      method: 'PUT',
      json: { chapters: [] },
      bearer: readOnly,
    });
    expect((await errorOf(denied)).code).toBe('permission_denied');
    expect((await api(`/v1/videos/${open.videoId}/chapters`, { bearer: readOnly })).status).toBe(200);
    const client = new VodkitClient({ baseUrl: server.baseUrl, token });
    await expect(client.setChapters('nosuchvideo0000000000', [])).rejects.toMatchObject({ status: 404 });
    await expect(client.getChapters('nosuchvideo0000000000')).rejects.toBeInstanceOf(VodkitError);
  });
});

/** [EXTINF seconds, URI] of each segment of a media playlist. */
const segments = (playlist: string): [number, string][] => {
  const lines = playlist.split('\n');
  return lines.flatMap((l, i) =>
    l.startsWith('#EXTINF:') ? [[Number.parseFloat(l.slice(8)), lines[i + 1]!]] : [],
  );
};

describe('instant clips', () => {
  it('cuts a media playlist to the covering segments (pure)', () => {
    const full = [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-TARGETDURATION:4',
      '#EXT-X-MEDIA-SEQUENCE:0',
      '#EXT-X-PLAYLIST-TYPE:EVENT',
      '#EXT-X-MAP:URI="init.mp4"',
      '#EXTINF:1.000000,',
      'seg_00000.m4s',
      '#EXTINF:4.000000,',
      'seg_00001.m4s',
      '#EXTINF:1.000000,',
      'seg_00002.m4s',
      '',
    ].join('\n');
    const mid = clipMediaPlaylist(full, { start: 1.5, end: 4.5 });
    expect(mid.firstSegmentStart).toBe(1);
    expect(mid.text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-START:TIME-OFFSET=0.500000,PRECISE=YES',
        '#EXT-X-VERSION:7',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-MEDIA-SEQUENCE:1',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXTINF:4.000000,',
        'seg_00001.m4s',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
    // The end is exclusive: a clip ending on a boundary does not take the next segment.
    expect(segments(clipMediaPlaylist(full, { start: 0.5, end: 5 }).text).map((s) => s[1])).toEqual([
      'seg_00000.m4s',
      'seg_00001.m4s',
    ]);
    // Still encoding, the span not reached yet: an EVENT playlist without ENDLIST.
    const growing = full.replace(/#EXTINF:4[\s\S]*$/, '');
    expect(clipMediaPlaylist(growing, { start: 0.5, end: 5 }).text).toMatch(
      /PLAYLIST-TYPE:EVENT[\s\S]*seg_00000.m4s\n$/,
    );
  });

  it('validates the span: decimals, start < end, within the video', () => {
    expect(clipRange({ start: '1.5' }, 6)).toEqual({ start: 1.5, end: 6 });
    expect(clipRange({ end: '2' }, 6)).toEqual({ start: 0, end: 2 });
    for (const q of [
      { start: '3', end: '2' },
      { start: '2', end: '2' },
      { start: '6' },
      { end: '7' },
      { start: '-1' },
      { start: '1e2' },
      { start: 'abc' },
      { start: ['1', '2'] },
    ]) {
      expect(() => clipRange(q, 6), JSON.stringify(q)).toThrow(
        expect.objectContaining({ code: 'validation_failed' }),
      );
    }
  });

  it('serves a master whose playlists hold only the segments covering [start, end]', async () => {
    const base = `${server.baseUrl}/stream/${open.videoId}`;
    const full = await (await fetch(`${base}/240/index.m3u8`)).text();
    const fullSegs = segments(full);
    expect(fullSegs.length).toBe(4);
    const res = await fetch(`${base}/master.m3u8?start=2.5&end=4.5`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    const master = await res.text();
    expect(master).toContain('#EXT-X-START:TIME-OFFSET=0.500000,PRECISE=YES');
    const children = master.split('\n').filter((l) => l && !l.startsWith('#'));
    children.push(...[...master.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!));
    expect(children.length).toBeGreaterThanOrEqual(2);
    for (const uri of children) expect(uri, uri).toMatch(/\?start=2\.5&end=4\.5$/);
    const variant = children.find((u) => u.startsWith('240/'))!;
    const media = await (await fetch(`${base}/${variant}`)).text();
    // The one segment [2, 5) covers [2.5, 4.5], with the full playlist's EXTINF.
    expect(segments(media)).toEqual([fullSegs[2]]);
    expect(media).toContain('#EXT-X-MEDIA-SEQUENCE:2');
    expect(media).toContain('#EXT-X-ENDLIST');
    const audio = children.find((u) => u.startsWith('audio-0/'))!;
    const audioSegs = segments(await (await fetch(`${base}/${audio}`)).text());
    expect(audioSegs.length).toBeGreaterThan(0);
    expect(audioSegs.length).toBeLessThan(
      segments(await (await fetch(`${base}/audio-0/index.m3u8`)).text()).length,
    );
    // Segments are the video's own: the same URL and bytes as in the full playlist.
    expect((await fetch(`${base}/240/${fullSegs[2]![1]}`)).status).toBe(200);
    // Across a boundary: [1.5, 2.5] takes [1, 2) and [2, 5), and starts 0.5 s into the first.
    const across = await (await fetch(`${base}/240/index.m3u8?start=1.5&end=2.5`)).text();
    expect(segments(across)).toEqual(fullSegs.slice(1, 3));
    expect(across).toContain('#EXT-X-START:TIME-OFFSET=0.500000,PRECISE=YES');

    const wide = segments(await (await fetch(`${base}/240/index.m3u8?start=0.5&end=5.5`)).text());
    expect(wide).toEqual(fullSegs);
  });

  it('refuses bad spans with 400', async () => {
    const base = `${server.baseUrl}/stream/${open.videoId}`;
    for (const q of ['start=4&end=2', 'start=9', 'end=60', 'start=x', 'start=1&end=1']) {
      const err = await errorOf(await fetch(`${base}/master.m3u8?${q}`));
      expect([q, err.status, err.code]).toEqual([q, 400, 'validation_failed']);
    }
  });
});

describe('a protected video', () => {
  beforeAll(async () => {
    const res = await api(`/v1/videos/${locked.videoId}`, { method: 'PATCH', json: { protected: true } });
    expect(res.status).toBe(200);
  });

  it('serves a protected video’s chapters only behind the stream gate', async () => {
    expect((await putChapters(locked.videoId, [{ start: 0, title: 'Secret' }])).status).toBe(200);
    const url = `${server.baseUrl}/stream/${locked.videoId}/chapters.vtt`;
    expect((await errorOf(await fetch(url))).code).toBe('playback_token_missing');
    const t = await signPlaybackToken({
      apiKey: server.devKey.apiKey,
      secret: server.devKey.secret,
      videoId: locked.videoId,
    });
    const ok = await fetch(`${url}?token=${t}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('Secret');
    const other = await signPlaybackToken({
      apiKey: server.devKey.apiKey,
      secret: server.devKey.secret,
      videoId: 'anothervideo00000000',
    });
    expect((await errorOf(await fetch(`${url}?token=${other}`))).code).toBe('playback_token_wrong_video');
  });

  it('keeps a protected video’s sig beside start and end, down to the segments', async () => {
    const base = `${server.baseUrl}/stream/${locked.videoId}`;
    expect((await errorOf(await fetch(`${base}/master.m3u8?start=2.5&end=4.5`))).code).toBe(
      'playback_token_missing',
    );
    const t = await signPlaybackToken({
      apiKey: server.devKey.apiKey,
      secret: server.devKey.secret,
      videoId: locked.videoId,
    });
    const master = await (await fetch(`${base}/master.m3u8?start=2.5&end=4.5&token=${t}`)).text();
    const variant = master.split('\n').find((l) => l.startsWith('240/'))!;
    expect(variant).toMatch(/^240\/index\.m3u8\?start=2\.5&end=4\.5&sig=[\w.-]+$/);
    const media = await fetch(`${base}/${variant}`);
    expect(media.status).toBe(200);
    const text = await media.text();
    const segs = segments(text);
    expect(segs).toHaveLength(1);
    expect(segs[0]![1]).toMatch(/^seg_00002\.m4s\?sig=/);
    expect(text).toMatch(/#EXT-X-MAP:URI="init\.mp4\?sig=/);
    expect((await fetch(`${base}/240/${segs[0]![1]}`)).status).toBe(200);
    // A forged span on a signed URL is still only a span: the signature is per video, not per span.
    expect((await fetch(`${base}/${variant.replace('start=2.5', 'start=0')}`)).status).toBe(200);
  });
});
