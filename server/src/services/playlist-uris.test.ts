import { describe, expect, it } from 'vitest';
import { addPlaylistParams, withParams } from './playlist-uris.ts';

const SIG = { sig: '1700000000.abc_-DEF' };
const q = 'sig=1700000000.abc_-DEF';

describe('addPlaylistParams', () => {
  it('signs every child of a master: variants, EXT-X-MEDIA and I-frame playlists', () => {
    const master = [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",DEFAULT=YES,URI="audio/en.m3u8"',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",URI="subtitles/en.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=2800000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="aud"',
      '720/index.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360',
      '360/index.m3u8',
      '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI="720/iframes.m3u8"',
      '',
    ].join('\n');
    expect(addPlaylistParams(master, SIG)).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",DEFAULT=YES,URI="audio/en.m3u8?${q}"`,
        `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",URI="subtitles/en.m3u8?${q}"`,
        '#EXT-X-STREAM-INF:BANDWIDTH=2800000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="aud"',
        `720/index.m3u8?${q}`,
        '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360',
        `360/index.m3u8?${q}`,
        `#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI="720/iframes.m3u8?${q}"`,
        '',
      ].join('\n'),
    );
  });

  it('signs the init segment, segments, byte-range parts and keys of a media playlist, keeping CRLF', () => {
    const media = [
      '#EXTM3U',
      '#EXT-X-TARGETDURATION:4',
      '#EXT-X-PLAYLIST-TYPE:EVENT',
      '#EXT-X-MAP:URI="init.mp4"',
      '#EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x1',
      '#EXTINF:4.000000,',
      'seg_000.m4s',
      '#EXT-X-BYTERANGE:1000@0',
      '#EXTINF:4.000000,',
      'seg_001.m4s?v=2',
      '#EXT-X-PART:DURATION=1,URI="part.m4s"',
      '#EXT-X-ENDLIST',
    ].join('\r\n');
    const out = addPlaylistParams(media, SIG).split('\r\n');
    expect(out).toEqual([
      '#EXTM3U',
      '#EXT-X-TARGETDURATION:4',
      '#EXT-X-PLAYLIST-TYPE:EVENT',
      `#EXT-X-MAP:URI="init.mp4?${q}"`,
      `#EXT-X-KEY:METHOD=AES-128,URI="key.bin?${q}",IV=0x1`,
      '#EXTINF:4.000000,',
      `seg_000.m4s?${q}`,
      '#EXT-X-BYTERANGE:1000@0',
      '#EXTINF:4.000000,',
      `seg_001.m4s?v=2&${q}`,
      `#EXT-X-PART:DURATION=1,URI="part.m4s?${q}"`,
      '#EXT-X-ENDLIST',
    ]);
  });

  it('leaves absolute URIs, comments and look-alike attributes alone', () => {
    const text = [
      '#EXTM3U',
      '# a comment with URI="x.m3u8"',
      '#EXT-X-SESSION-DATA:DATA-ID="com.x",X-LOGO-URI="logo.png"',
      '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://key-id"',
      '#EXTINF:4,',
      'https://cdn.example/seg.m4s',
      '#EXTINF:4,',
      '//cdn.example/seg2.m4s',
      '#EXTINF:4,',
      '/stream/abc/seg3.m4s',
    ].join('\n');
    expect(addPlaylistParams(text, SIG).split('\n')).toEqual([
      '#EXTM3U',
      '# a comment with URI="x.m3u8"',
      '#EXT-X-SESSION-DATA:DATA-ID="com.x",X-LOGO-URI="logo.png"',
      '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://key-id"',
      '#EXTINF:4,',
      'https://cdn.example/seg.m4s',
      '#EXTINF:4,',
      '//cdn.example/seg2.m4s',
      '#EXTINF:4,',
      `/stream/abc/seg3.m4s?${q}`,
    ]);
  });

  it('replaces a parameter already there, so rewriting twice equals once', () => {
    const once = addPlaylistParams('#EXTM3U\nseg.m4s?sig=old&token=t\n', SIG);
    expect(once).toBe(`#EXTM3U\nseg.m4s?token=t&${q}\n`);
    expect(addPlaylistParams(once, SIG)).toBe(once);
  });

  it('keeps fragments after the query and copes with malformed percent escapes', () => {
    expect(withParams('sheet.jpg#xywh=0,0,10,10', ['sig'], q)).toBe(`sheet.jpg?${q}#xywh=0,0,10,10`);
    expect(withParams('a.m4s?%E0%A4%A=1', ['sig'], q)).toBe(`a.m4s?%E0%A4%A=1&${q}`);
    expect(addPlaylistParams('seg.m4s', {})).toBe('seg.m4s');
  });
});
