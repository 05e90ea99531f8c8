import { describe, expect, it } from 'vitest';
import { type SubtitleTrackInfo, trackPlaylist, withSubtitles, withTimestampMap } from './subtitles.ts';

const MASTER = [
  '#EXTM3U',
  '#EXT-X-VERSION:7',
  '#EXT-X-INDEPENDENT-SEGMENTS',
  '#EXT-X-STREAM-INF:BANDWIDTH=1400000,RESOLUTION=854x480,CODECS="avc1.64001e,mp4a.40.2"',
  '480/index.m3u8',
  '',
  '#EXT-X-STREAM-INF:BANDWIDTH=500000,RESOLUTION=426x240,CODECS="avc1.64000d,mp4a.40.2"',
  '240/index.m3u8',
  '',
].join('\n');

const en: SubtitleTrackInfo = {
  trackId: 'aaaaaaaa1',
  language: 'en',
  label: 'English',
  kind: 'subtitles',
  default: true,
};
const fr: SubtitleTrackInfo = {
  trackId: 'bbbbbbbb2',
  language: 'fr-CA',
  label: 'Français "QC"',
  kind: 'captions',
  default: true,
};

describe('withSubtitles', () => {
  it('adds a SUBTITLES group before the variants and references it from each', () => {
    const out = withSubtitles(MASTER, [en, fr]);
    expect(out).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="en",NAME="English",DEFAULT=YES,AUTOSELECT=YES,URI="subtitles/aaaaaaaa1.m3u8"',
        // Only one DEFAULT; a quote cannot appear in a quoted-string; captions carry Apple's SDH characteristics.
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="fr-CA",NAME="Français \'QC\'",DEFAULT=NO,AUTOSELECT=YES,CHARACTERISTICS="public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound",URI="subtitles/bbbbbbbb2.m3u8"',
        '#EXT-X-STREAM-INF:BANDWIDTH=1400000,RESOLUTION=854x480,CODECS="avc1.64001e,mp4a.40.2",SUBTITLES="subs"',
        '480/index.m3u8',
        '',
        '#EXT-X-STREAM-INF:BANDWIDTH=500000,RESOLUTION=426x240,CODECS="avc1.64000d,mp4a.40.2",SUBTITLES="subs"',
        '240/index.m3u8',
        '',
      ].join('\n'),
    );
  });

  it('returns the master untouched without tracks, and is idempotent with them', () => {
    expect(withSubtitles(MASTER, [])).toBe(MASTER);
    const once = withSubtitles(MASTER, [en]);
    expect(withSubtitles(once, [en])).toBe(once);
  });

  it('makes names unique and keeps CRLF line endings', () => {
    const crlf = MASTER.replace(/\n/g, '\r\n');
    const out = withSubtitles(crlf, [
      { ...en, default: false },
      { ...en, trackId: 'cccccccc3', default: false },
    ]);
    expect(out).toContain('NAME="English",DEFAULT=NO');
    expect(out).toContain('NAME="English (2)",DEFAULT=NO');
    expect(out.split('\r\n').filter((l) => l.includes('SUBTITLES="subs"'))).toHaveLength(2);
    expect(out.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('leaves a playlist without variants alone', () => {
    const media = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nseg0.m4s\n#EXT-X-ENDLIST\n';
    expect(withSubtitles(media, [en])).toBe(media);
  });
});

describe('trackPlaylist', () => {
  it('is one VOD segment as long as the video', () => {
    expect(trackPlaylist('aaaaaaaa1', 12.345)).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:13',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXTINF:12.345,',
        'aaaaaaaa1.vtt',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
    expect(trackPlaylist('aaaaaaaa1', 6)).toContain('#EXT-X-TARGETDURATION:6\n');
  });
});

describe('withTimestampMap', () => {
  it("maps cue time 0 to the renditions' first timestamp in the header, cues untouched", () => {
    const vtt = 'WEBVTT\n\n00:00:00.500 --> 00:00:01.000\nHi\n';
    expect(withTimestampMap(vtt, 0.1)).toBe(
      'WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:9000,LOCAL:00:00:00.000\n\n00:00:00.500 --> 00:00:01.000\nHi\n',
    );
  });

  it('leaves what is not WebVTT alone', () => {
    expect(withTimestampMap('', 0.1)).toBe('');
    expect(withTimestampMap('1\n00:00:00,500 --> 00:00:01,000\nHi\n', 0.1)).toBe(
      '1\n00:00:00,500 --> 00:00:01,000\nHi\n',
    );
  });
});
