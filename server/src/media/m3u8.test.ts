import { describe, expect, it } from 'vitest';
import {
  attributeMap,
  MAX_ATTRIBUTES,
  mapAttribute,
  parseAttributes,
  readLines,
  withoutAttribute,
} from './m3u8.ts';
import { withSubtitles } from './subtitles.ts';

describe('readLines', () => {
  it('gives tags, URIs, comments and blanks, and joins back to the same bytes (LF, CRLF, bare CR)', () => {
    const text = '#EXTM3U\r\n#EXT-X-VERSION:7\n# a comment\r\n\n  240/index.m3u8  \r#EXT-X-ENDLIST';
    const lines = readLines(text);
    expect(lines.map((l) => [l.kind, l.eol])).toEqual([
      ['tag', '\r\n'],
      ['tag', '\n'],
      ['comment', '\r\n'],
      ['blank', '\n'],
      ['uri', '\r'],
      ['tag', ''],
    ]);
    expect(lines[1]).toMatchObject({ name: '#EXT-X-VERSION', value: '7' });
    expect(lines[4]).toMatchObject({ uri: '240/index.m3u8' });
    expect(lines.map((l) => l.text + l.eol).join('')).toBe(text);
  });

  it('a bare CR ends a line, as it does for hls.js: a title cannot hide a variant inside a tag', () => {
    const lines = readLines('#EXT-X-MEDIA:NAME="A\r#EXT-X-STREAM-INF:BANDWIDTH=1\r//evil.example/x"\n');
    expect(lines.map((l) => l.kind)).toEqual(['tag', 'tag', 'uri']);
  });

  it('reads an empty playlist and one without a final line end', () => {
    expect(readLines('')).toEqual([]);
    expect(readLines('#EXTM3U').map((l) => l.text)).toEqual(['#EXTM3U']);
    expect(readLines('a\n').map((l) => l.text)).toEqual(['a']);
  });
});

describe('parseAttributes', () => {
  it('reads quoted strings holding commas and equals signs, and plain values', () => {
    const a = attributeMap('TYPE=AUDIO,NAME="Commentary, English=1",DEFAULT=YES,URI="a/b.m3u8?x=1"');
    expect(Object.fromEntries(a)).toEqual({
      TYPE: 'AUDIO',
      NAME: 'Commentary, English=1',
      DEFAULT: 'YES',
      URI: 'a/b.m3u8?x=1',
    });
  });

  it('stops at an unterminated quote, keeping what came before', () => {
    // The quote closes after `URI=`, and `x.m3u8"` is not a next pair: no URI is read from it.
    expect(Object.fromEntries(attributeMap('TYPE=AUDIO,NAME="open,URI="x.m3u8"'))).toEqual({ TYPE: 'AUDIO' });
    expect(Object.fromEntries(attributeMap('TYPE=AUDIO,NAME="never closed'))).toEqual({ TYPE: 'AUDIO' });
  });

  it('stops at a pair that is not NAME=value, or text after a closing quote', () => {
    expect(parseAttributes('A=1,garbage,B=2').map((a) => a.name)).toEqual(['A']);
    expect(parseAttributes('A="x"y,B=2').map((a) => a.name)).toEqual([]);
    expect(parseAttributes('lower=1')).toEqual([]);
    expect(parseAttributes('4.000000,')).toEqual([]);
  });

  it(`reads at most ${MAX_ATTRIBUTES} attributes of a huge list`, () => {
    const list = Array.from({ length: 100_000 }, (_, i) => `X-A${i}="v,${i}"`).join(',');
    const attrs = parseAttributes(list);
    expect(attrs).toHaveLength(MAX_ATTRIBUTES);
    expect(attrs.at(-1)).toMatchObject({
      name: `X-A${MAX_ATTRIBUTES - 1}`,
      value: `v,${MAX_ATTRIBUTES - 1}`,
    });
  });

  it('the first of a repeated name wins', () => {
    expect(attributeMap('URI="a",URI="b"').get('URI')).toBe('a');
  });
});

describe('mapAttribute / withoutAttribute', () => {
  it('replaces only the attribute of that exact name, keeping every other byte', () => {
    const list = 'X-FOO-URI="keep",NAME="a, URI=b",URI="seg.m4s",  OTHER=1';
    expect(mapAttribute(list, 'URI', (u) => `${u}?t=1`)).toBe(
      'X-FOO-URI="keep",NAME="a, URI=b",URI="seg.m4s?t=1",  OTHER=1',
    );
    expect(mapAttribute('NAME="a,URI=x"', 'URI', () => 'changed')).toBe('NAME="a,URI=x"');
  });

  it('removes an attribute wherever it is, with one comma', () => {
    expect(withoutAttribute('BANDWIDTH=1,SUBTITLES="subs",AUDIO="a"', 'SUBTITLES')).toBe(
      'BANDWIDTH=1,AUDIO="a"',
    );
    expect(withoutAttribute('SUBTITLES="subs",AUDIO="a"', 'SUBTITLES')).toBe('AUDIO="a"');
    expect(withoutAttribute('AUDIO="a",SUBTITLES="subs"', 'SUBTITLES')).toBe('AUDIO="a"');
    expect(withoutAttribute('AUDIO="a"', 'SUBTITLES')).toBe('AUDIO="a"');
  });
});

describe('its callers', () => {
  it('withSubtitles reads TYPE from the attributes: an audio NAME="TYPE=SUBTITLES" stays', () => {
    const master = [
      '#EXTM3U',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="x,TYPE=SUBTITLES",URI="audio-0/index.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO="audio"',
      '240/index.m3u8',
      '',
    ].join('\n');
    const out = withSubtitles(master, [
      { trackId: 'a', language: 'en', label: 'English', kind: 'subtitles', default: false },
    ]);
    expect(out).toContain('NAME="x,TYPE=SUBTITLES"');
    expect(out.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA:'))).toHaveLength(2);
  });
});
