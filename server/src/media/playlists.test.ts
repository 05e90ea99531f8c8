import { describe, expect, it } from 'vitest';
import { MAX_QUOTED_LENGTH, masterPlaylist, printable, quoted } from './playlists.ts';
import { withSubtitles } from './subtitles.ts';

describe('quoted', () => {
  const controls: [string, string][] = [
    ['CR', '\r'],
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['TAB', '\t'],
    ['NUL', '\u0000'],
    ['ESC', '\u001B'],
    ['US', '\u001F'],
    ['DEL', '\u007F'],
    ['C1 NEL', '\u0085'],
    ['C1 CSI', '\u009B'],
    ['C1 APC', '\u009F'],
    ['LINE SEPARATOR', '\u2028'],
    ['PARAGRAPH SEPARATOR', '\u2029'],
    ['RIGHT-TO-LEFT OVERRIDE', '\u202E'],
    ['lone high surrogate', '\uD800'],
    ['lone low surrogate', '\uDC00'],
  ];
  for (const [name, c] of controls) {
    it(`turns ${name} into one space`, () => {
      expect(quoted(`A${c}B`)).toBe('"A B"');
      expect(quoted(`A${c}${c}${c}B`)).toBe('"A B"');
    });
  }

  it('turns every C0 and C1 control into a space', () => {
    for (let code = 0; code <= 0x9f; code++) {
      if (code > 0x1f && code < 0x7f) continue;
      expect(quoted(`x${String.fromCharCode(code)}y`), `U+${code.toString(16)}`).toBe('"x y"');
    }
  });

  it('writes " as \' so the value cannot end the string', () => {
    expect(quoted('say "hi"')).toBe(`"say 'hi'"`);
  });

  it('keeps printable text, accents, CJK, emoji and joiners as they are', () => {
    for (const s of ['Français', 'Commentary, English', '日本語', 'a 👩‍👩‍👧 b', 'x=y;z']) {
      expect(quoted(s)).toBe(`"${s}"`);
    }
  });

  it('cuts a long value to MAX_QUOTED_LENGTH code points, never inside a pair', () => {
    expect(printable('a'.repeat(100_000))).toHaveLength(MAX_QUOTED_LENGTH);
    const emoji = printable('😀'.repeat(1000));
    expect(Array.from(emoji)).toHaveLength(MAX_QUOTED_LENGTH);
    expect(emoji).not.toMatch(/\p{Cs}/u);
    expect(printable('abcdef', 3)).toBe('abc');
  });

  it('the audited title stays one attribute of one line', () => {
    const title = 'A\r#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1.64001f"\r//evil.example/x?';
    const master = masterPlaylist(
      [
        {
          uri: '240/index.m3u8',
          width: 426,
          height: 240,
          bandwidth: 400_000,
          codec: 'avc1.640015',
          frameRate: null,
        },
      ],
      [
        {
          uri: 'audio-0/index.m3u8',
          name: title,
          language: null,
          default: true,
          bandwidth: 128_000,
          codec: 'mp4a.40.2',
          channels: 2,
        },
      ],
    );
    expect(master).not.toMatch(/\r/);
    const lines = master.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('#EXT-X-STREAM-INF:'))).toHaveLength(1);
    expect(lines.filter((l) => !l.startsWith('#'))).toEqual(['240/index.m3u8']);
    expect(lines[3]).toContain(
      `NAME="A #EXT-X-STREAM-INF:BANDWIDTH=1,CODECS='avc1.64001f' //evil.example/x?"`,
    );
  });

  it('subtitle labels go through it too, and NAMEs stay unique once cleaned', () => {
    const master = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n240/index.m3u8\n';
    const out = withSubtitles(master, [
      { trackId: 'a', language: 'en', label: 'E\u2028#EXT-X-ENDLIST', kind: 'subtitles', default: false },
      { trackId: 'b', language: 'en', label: 'E\u0085#EXT-X-ENDLIST', kind: 'subtitles', default: false },
    ]);
    expect(out).not.toMatch(/[\u2028\u0085]/);
    expect(out).toContain('NAME="E #EXT-X-ENDLIST",');
    expect(out).toContain('NAME="E #EXT-X-ENDLIST (2)",');
    expect(out.split('\n').filter((l) => l.startsWith('#EXT-X-ENDLIST'))).toEqual([]);
  });
});
