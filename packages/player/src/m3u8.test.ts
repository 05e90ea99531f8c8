import { describe, expect, it } from 'vitest';
import { attributes, lines } from './m3u8.ts';

describe('lines', () => {
  it('ends a line at LF, CRLF and a bare CR, and trims', () => {
    expect(lines('#EXTM3U\r\n#EXT-X-VERSION:7\n  a.m3u8 \rb.m3u8')).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      'a.m3u8',
      'b.m3u8',
    ]);
  });
});

describe('attributes', () => {
  it('reads quoted strings holding commas and equals signs, and plain values', () => {
    expect(attributes('#EXT-X-MEDIA:TYPE=AUDIO,NAME="a, b=c",DEFAULT=YES,URI="x/y.m3u8?t=1"')).toEqual({
      TYPE: 'AUDIO',
      NAME: 'a, b=c',
      DEFAULT: 'YES',
      URI: 'x/y.m3u8?t=1',
    });
  });

  it('stops at an unterminated quote: nothing is read from inside it', () => {
    expect(attributes('#EXT-X-MEDIA:TYPE=AUDIO,NAME="open,URI=evil.m3u8')).toEqual({ TYPE: 'AUDIO' });
    expect(attributes('#EXT-X-MEDIA:TYPE=AUDIO,NAME="open,URI="evil.m3u8"')).toEqual({ TYPE: 'AUDIO' });
  });

  it('stops at text after a closing quote, or a pair that is not NAME=value', () => {
    expect(attributes('#X:A="x"y,B=2')).toEqual({});
    expect(attributes('#X:A=1,junk,B=2')).toEqual({ A: '1' });
  });

  it('reads at most 64 pairs of a huge list; the first of a repeated name wins', () => {
    const list = Array.from({ length: 10_000 }, (_, i) => `X-A${i}="v,${i}"`).join(',');
    const a = attributes(`#X:${list}`);
    expect(Object.keys(a)).toHaveLength(64);
    expect(a['X-A63']).toBe('v,63');
    expect(attributes('#X:URI="a",URI="b"').URI).toBe('a');
  });

  it('a CR ends the tag before it can carry another line', () => {
    const [media, inf, uri] = lines('#EXT-X-MEDIA:NAME="A\r#EXT-X-STREAM-INF:BANDWIDTH=1\r//evil.example/x"');
    expect(attributes(media!)).toEqual({});
    expect(inf).toBe('#EXT-X-STREAM-INF:BANDWIDTH=1');
    expect(uri).toBe('//evil.example/x"');
  });
});
