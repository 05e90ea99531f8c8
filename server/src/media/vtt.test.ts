import { describe, expect, it } from 'vitest';
import { INLINE_CAPTION_CHARS, sanitizeCaptionsOffLoop } from './captions-isolate.ts';
import { CaptionError, cleanCueText, formatTime, sanitizeCaptions } from './vtt.ts';

const caught = (fn: () => unknown): CaptionError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof CaptionError) return err;
    throw err;
  }
  throw new Error('expected a CaptionError');
};

describe('sanitizeCaptions: WebVTT', () => {
  it('keeps cues, ids, settings and allowed tags; normalizes timestamps', () => {
    const input = [
      '\uFEFFWEBVTT - my film',
      'Kind: captions',
      '',
      'NOTE written by hand',
      '',
      'intro',
      '00:01.000 --> 00:02.500 align:start line:0 position:10%,line-left bogus:1',
      '<v Roger Bingham>We are <b>in</b> <i.loud>New York</i>',
      '',
      '00:00:03.000 --> 00:00:04.000',
      '<ruby>漢<rt>kan</rt></ruby> <lang fr>bonjour</lang> <c.yellow.bg_blue>x</c> <00:00:03.500>later',
      '',
    ].join('\r\n');
    const out = sanitizeCaptions(input);
    expect(out.format).toBe('vtt');
    expect(out.cueCount).toBe(2);
    expect(out.lastCueEnd).toBe(4);
    expect(out.vtt).toBe(
      [
        'WEBVTT',
        '',
        'intro',
        '00:00:01.000 --> 00:00:02.500 align:start line:0 position:10%,line-left',
        '<v Roger Bingham>We are <b>in</b> <i.loud>New York</i></v>',
        '',
        '00:00:03.000 --> 00:00:04.000',
        '<ruby>漢<rt>kan</rt></ruby> <lang fr>bonjour</lang> <c.yellow.bg_blue>x</c> <00:00:03.500>later',
        '',
      ].join('\n'),
    );
  });

  it('reads a first cue right under the header, and drops cues left empty', () => {
    const out = sanitizeCaptions(
      'WEBVTT\n00:00.000 --> 00:01.000\nhi\n\n00:01.000 --> 00:02.000\n<img src=x>\n',
    );
    expect(out.vtt).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nhi\n');
    expect(out.cueCount).toBe(1);
  });

  it('strips HTML and script, escaping stray < and &', () => {
    const text = cleanCueText([
      '<script>alert(1)</script><img src=x onerror=alert(2)> a < b && c &amp; <a href="javascript:x">link</a>',
    ]);
    expect(text).toBe('alert(1) a &lt; b &amp;&amp; c &amp; link');
    expect(cleanCueText(['<b onclick="x">bold</b>'])).toBe('<b>bold</b>');
    expect(cleanCueText(['<b.x onmouseover=y>bold</b>'])).toBe('<b.x>bold</b>');
    expect(cleanCueText(['<c.a"b>x</c>'])).toBe('x');
    expect(cleanCueText(['<b>never closed'])).toBe('<b>never closed</b>');
    expect(cleanCueText(['<i><b>x</i> y</b>'])).toBe('<i><b>x</b></i> y');
    expect(cleanCueText(['a --> b'])).toBe('a --&gt; b');
    expect(cleanCueText(['<v Evil"<x>name>hi</v>'])).toBe('&lt;v Evil"name&gt;hi');
    expect(cleanCueText(['<v Ann "the" <Boss>>hi</v>'])).toBe('&lt;v Ann "the" &gt;hi');
    expect(cleanCueText(['<v Ann & Bob>hi</v>'])).toBe('<v Ann  Bob>hi</v>');
  });

  it('keeps safe STYLE and REGION blocks, drops any that can fetch', () => {
    const input = [
      'WEBVTT',
      '',
      'STYLE',
      '::cue { color: yellow }',
      '',
      'STYLE',
      "::cue { background: url('https://evil.example/track.png') }",
      '',
      'STYLE',
      '@import "https://evil.example/x.css";',
      '',
      'STYLE',
      '::cue { background: u\\72l(x) }',
      '',
      'REGION',
      'id:fred width:40% lines:3 regionanchor:0%,100% viewportanchor:10%,90% scroll:up onload:x',
      '',
      '00:00.000 --> 00:01.000 region:fred',
      'hi',
    ].join('\n');
    const { vtt } = sanitizeCaptions(input);
    expect(vtt).toContain('STYLE\n::cue { color: yellow }');
    expect(vtt).not.toMatch(/url|@import|evil|\\72/);
    expect(vtt).toContain(
      'REGION\nid:fred\nwidth:40%\nlines:3\nregionanchor:0%,100%\nviewportanchor:10%,90%\nscroll:up\n',
    );
    expect(vtt).not.toContain('onload');
  });

  it('refuses malformed files with a line number', () => {
    expect(caught(() => sanitizeCaptions('WEBVTT\n\nhello\nworld\n')).message).toMatch(
      /line 3: expected a cue timing/,
    );
    expect(caught(() => sanitizeCaptions('WEBVTT\n\n00:01.000 --> soon\nx\n')).code).toBe(
      'captions_malformed',
    );
    expect(caught(() => sanitizeCaptions('WEBVTT\n\n00:02.000 --> 00:01.000\nx\n')).message).toMatch(
      /ends before/,
    );
    expect(caught(() => sanitizeCaptions('WEBVTT\n')).message).toMatch(/no cues/);
    expect(caught(() => sanitizeCaptions('hello', 'vtt')).message).toMatch(/WEBVTT/);
    expect(caught(() => sanitizeCaptions('WEBVTT\n\n00:00.000 --> 00:01.000\na\0b\n')).code).toBe(
      'captions_malformed',
    );
    expect(caught(() => sanitizeCaptions('<html><body>not captions</body></html>')).code).toBe(
      'captions_malformed',
    );
  });

  it('caps the cue count and cue length', () => {
    const many = ['WEBVTT', ''];
    for (let i = 0; i < 11; i++)
      many.push(`00:00:${String(i).padStart(2, '0')}.000 --> 00:00:59.000`, 'x', '');
    expect(
      caught(() => sanitizeCaptions(many.join('\n'), 'vtt', { maxCues: 10, maxCueChars: 100 })).code,
    ).toBe('captions_too_large');
    const long = `WEBVTT\n\n00:00.000 --> 00:01.000\n${'a'.repeat(101)}\n`;
    expect(caught(() => sanitizeCaptions(long, 'vtt', { maxCues: 10, maxCueChars: 100 })).code).toBe(
      'captions_too_large',
    );
  });
});

describe('sanitizeCaptions: SRT', () => {
  it('converts SRT to WebVTT, dropping <font> and ASS overrides, keeping <i>', () => {
    const input = [
      '1',
      '00:00:01,000 --> 00:00:02,500',
      '<font color="#ff0000">Hello</font>, {\\an8}<i>world</i>',
      '',
      '2',
      '00:00:03,5 --> 00:00:04,000 X1:10 X2:20 Y1:5 Y2:9',
      'second & last',
      '',
      '3',
      '00:00:05,000 --> 00:00:05,000',
      'zero length',
      '',
    ].join('\r\n');
    const out = sanitizeCaptions(input);
    expect(out.format).toBe('srt');
    expect(out.cueCount).toBe(2);
    expect(out.vtt).toBe(
      [
        'WEBVTT',
        '',
        '00:00:01.000 --> 00:00:02.500',
        'Hello, <i>world</i>',
        '',
        '00:00:03.500 --> 00:00:04.000',
        'second &amp; last',
        '',
      ].join('\n'),
    );
  });

  it('refuses text that is neither', () => {
    expect(caught(() => sanitizeCaptions('just some words\n\nmore words')).message).toMatch(/SRT cue/);
    expect(caught(() => sanitizeCaptions('one\n00:00:01,000 --> 00:00:02,000\nx')).message).toMatch(/digits/);
  });
});

describe('sanitizeCaptions: hostile sizes (issue 19)', () => {
  const cue = '1\n00:00:01,000 --> 00:00:02,000\nhello\n\n';

  it("refuses the audit's 300 KB and 600 KB of `y\\n\\n` blocks: one cue's text, capped on its total", () => {
    for (const blocks of [100_000, 200_000]) {
      const err = caught(() => sanitizeCaptions(cue + 'y\n\n'.repeat(blocks)));
      expect(err.code).toBe('captions_too_large');
      expect(err.message).toMatch(/more than 2000 characters/);
    }
    // Continuation blocks still join the cue they follow, up to the cap.
    const joined = sanitizeCaptions(`${cue}second part\n\nthird\n`);
    expect(joined.vtt).toContain('hello\nsecond part\nthird');
  });

  it('refuses a whole file over the input cap, and a timing line too long to be one', () => {
    expect(caught(() => sanitizeCaptions('x'.repeat(101), 'srt', { maxInputChars: 100 })).code).toBe(
      'captions_too_large',
    );
    const spaces = `1\n00:00:01,000${' '.repeat(200_000)}x-->\nhi\n`;
    expect(caught(() => sanitizeCaptions(spaces)).message).toMatch(/timing line of/);
  });

  it('sanitizes large files in a worker with the same result and the same errors', async () => {
    const many = Array.from(
      { length: 2_000 },
      (_, i) => `${i + 1}\n00:00:01,000 --> 00:00:02,000\n<b>x & y</b> <script>z</script>\n`,
    ).join('\n');
    expect(many.length).toBeGreaterThan(INLINE_CAPTION_CHARS);
    expect(await sanitizeCaptionsOffLoop(many)).toEqual(sanitizeCaptions(many));
    const bad = `${many}\nnot a cue\n00:00:01,000 --> nope\n`;
    const err = await sanitizeCaptionsOffLoop(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptionError);
    expect(err).toMatchObject({ code: 'captions_malformed', line: caught(() => sanitizeCaptions(bad)).line });
    expect((err as CaptionError).message).toBe(caught(() => sanitizeCaptions(bad)).message);
  });
});

describe('formatTime', () => {
  it('writes hours always', () => {
    expect(formatTime(0)).toBe('00:00:00.000');
    expect(formatTime(3723.4567)).toBe('01:02:03.457');
    expect(formatTime(100 * 3600)).toBe('100:00:00.000');
  });
});
