/**
 * WebVTT and SRT in, one clean WebVTT out. Pure text work, no ffmpeg: captions come from customers'
 * apps and end up rendered in viewers' browsers, so nothing but cue timings, the cue settings the
 * spec defines, the WebVTT tags it defines and plain text survives.
 */

import { UNPRINTABLE } from './playlists.ts';

export type CaptionFormat = 'vtt' | 'srt';

export interface SanitizeLimits {
  /** Cues beyond this are a `captions_too_large` error, not a silent cut. */
  maxCues: number;
  /** Characters of one cue's text, summed over all its lines and (SRT) continuation blocks. */
  maxCueChars: number;
  /** Characters of the whole input: what bounds the work, the output being at most a few times it. */
  maxInputChars: number;
}

export const DEFAULT_LIMITS: SanitizeLimits = { maxCues: 20_000, maxCueChars: 2_000, maxInputChars: 1 << 20 };

/** Longer than any real timing line: past it the line is refused before a regular expression sees it. */
const MAX_TIMING_LINE = 1_000;

export interface SanitizedCaptions {
  /** The clean WebVTT file: `WEBVTT`, kept REGION/STYLE blocks, then the cues. */
  vtt: string;
  cueCount: number;
  /** Seconds: the end of the last cue. */
  lastCueEnd: number;
  /** The format the input was read as. */
  format: CaptionFormat;
}

/** Why a caption file was refused; `line` is 1-based in the input. */
export class CaptionError extends Error {
  override readonly name = 'CaptionError';
  constructor(
    readonly code: 'captions_malformed' | 'captions_too_large',
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
  }
}

interface Block {
  lines: string[];
  /** 1-based input line of the block's first line. */
  start: number;
}

interface Cue {
  id: string | null;
  start: number;
  end: number;
  settings: string;
  text: string;
}

const VTT_TIME = /^(?:(\d{1,6}):)?([0-5]\d):([0-5]\d)\.(\d{3})$/;
const SRT_TIME = /^(\d{1,6}):([0-5]?\d):([0-5]?\d)[,.](\d{1,3})$/;
const ARROW = /\s+-->\s+/;

/** Reads WebVTT or SRT (`format` guesses from the `WEBVTT` signature when absent) and writes clean WebVTT. */
export function sanitizeCaptions(
  input: string,
  format?: CaptionFormat,
  only: Partial<SanitizeLimits> = {},
): SanitizedCaptions {
  const limits: SanitizeLimits = { ...DEFAULT_LIMITS, ...only };
  if (input.length > limits.maxInputChars) {
    throw new CaptionError(
      'captions_too_large',
      `a caption file may be at most ${limits.maxInputChars} characters`,
    );
  }
  if (input.includes('\0'))
    throw new CaptionError('captions_malformed', 'the file contains NUL bytes: not text');
  const text = input.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const isVtt = /^WEBVTT(?:[ \t\n]|$)/.test(text);
  const as: CaptionFormat = format ?? (isVtt ? 'vtt' : 'srt');
  if (as === 'vtt' && !isVtt) {
    throw new CaptionError('captions_malformed', 'a WebVTT file must start with "WEBVTT"', 1);
  }
  const blocks = splitBlocks(text);
  const head: string[] = [];
  const cues: Cue[] = [];
  if (as === 'vtt') readVtt(blocks, head, cues, limits);
  else readSrt(blocks, cues, limits);
  if (cues.length === 0) throw new CaptionError('captions_malformed', 'no cues found');

  const out = ['WEBVTT', '', ...head.flatMap((b) => [b, ''])];
  let lastCueEnd = 0;
  for (const cue of cues) {
    if (cue.id) out.push(cue.id);
    out.push(`${formatTime(cue.start)} --> ${formatTime(cue.end)}${cue.settings ? ` ${cue.settings}` : ''}`);
    out.push(cue.text, '');
    lastCueEnd = Math.max(lastCueEnd, cue.end);
  }
  return { vtt: out.join('\n'), cueCount: cues.length, lastCueEnd, format: as };
}

/**
 * The blank-line-separated blocks of the text, read as they are asked for: a reader that refuses a
 * block early has not paid for the rest of the file.
 */
function* splitBlocks(text: string): Generator<Block> {
  let current: Block | null = null;
  let lineNo = 0;
  for (let pos = 0; pos <= text.length; ) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl;
    const line = text.slice(pos, end);
    lineNo++;
    pos = end + 1;
    if (line.trim() === '') {
      if (current) yield current;
      current = null;
      continue;
    }
    current ??= { lines: [], start: lineNo };
    current.lines.push(line);
  }
  if (current) yield current;
}

function* chain<T>(...parts: Iterable<T>[]): Generator<T> {
  for (const part of parts) yield* part;
}

function readVtt(blocks: Generator<Block>, head: string[], cues: Cue[], limits: SanitizeLimits): void {
  // The first block is the header: `WEBVTT` plus free text (and old-style metadata) that we drop,
  // up to a blank line or, as browsers read it, a line with "-->" that starts the first cue.
  const header: Block = blocks.next().value ?? { lines: [], start: 1 };
  const arrowAt = header.lines.findIndex((l) => l.includes('-->'));
  const cueInHeader: Block[] =
    arrowAt > 0 ? [{ lines: header.lines.slice(arrowAt), start: header.start + arrowAt }] : [];
  for (const block of chain(cueInHeader, blocks)) {
    const first = block.lines[0]!;
    if (/^NOTE(?:[ \t]|$)/.test(first)) continue;
    if (/^STYLE[ \t]*$/.test(first) && !first.includes('-->')) {
      // Styles and regions may only come before the first cue; later ones are ignored, as browsers do.
      const css = block.lines.slice(1).join('\n');
      if (cues.length === 0 && safeCss(css)) head.push(['STYLE', css].join('\n'));
      continue;
    }
    if (/^REGION[ \t]*$/.test(first)) {
      const settings = block.lines.slice(1).join(' ').split(/\s+/).filter(Boolean).filter(validRegionSetting);
      if (cues.length === 0 && settings.some((s) => s.startsWith('id:')))
        head.push(['REGION', ...settings].join('\n'));
      continue;
    }
    const timingAt = block.lines[0]!.includes('-->') ? 0 : block.lines[1]?.includes('-->') ? 1 : -1;
    if (timingAt < 0) {
      throw new CaptionError(
        'captions_malformed',
        `expected a cue timing line ("00:00.000 --> 00:01.000")`,
        block.start,
      );
    }
    const id = timingAt === 1 ? cleanId(block.lines[0]!) : null;
    const cue = parseTiming(block.lines[timingAt]!, block.start + timingAt, VTT_TIME);
    pushCue(
      cues,
      { ...cue, id, text: cleanCue(block.lines.slice(timingAt + 1), limits).text },
      limits,
      block.start,
    );
  }
}

function readSrt(blocks: Iterable<Block>, cues: Cue[], limits: SanitizeLimits): void {
  // The cue being read: SRT has no escape for blank lines inside a cue, so a block without timings
  // continues it. Its parts are joined once, at its end (appending to a joined text per block copied
  // the whole cue again each time), and their sum is held to maxCueChars as they come.
  let cue: Cue | null = null;
  let parts: string[] = [];
  let chars = 0;
  let line = 0;
  const flush = () => {
    if (cue) pushCue(cues, { ...cue, text: parts.filter(Boolean).join('\n') }, limits, line);
  };
  const add = (lines: string[]) => {
    const part = cleanCue(lines, limits, chars);
    chars += part.rawChars + 1;
    parts.push(part.text);
  };
  for (const block of blocks) {
    const timingAt = block.lines[0]!.includes('-->') ? 0 : block.lines[1]?.includes('-->') ? 1 : -1;
    if (timingAt < 0) {
      if (!cue) {
        throw new CaptionError(
          'captions_malformed',
          'expected an SRT cue ("1", then "00:00:00,000 --> …")',
          block.start,
        );
      }
      add(block.lines);
      continue;
    }
    if (timingAt === 1 && !/^\d+$/.test(block.lines[0]!.trim())) {
      throw new CaptionError('captions_malformed', 'an SRT cue number must be digits', block.start);
    }
    flush();
    // SRT positions (X1:… Y1:…) have no WebVTT equivalent worth guessing at.
    cue = {
      ...parseTiming(block.lines[timingAt]!, block.start + timingAt, SRT_TIME),
      settings: '',
      id: null,
      text: '',
    };
    parts = [];
    chars = 0;
    line = block.start;
    add(block.lines.slice(timingAt + 1));
  }
  flush();
}

function pushCue(cues: Cue[], cue: Cue, limits: SanitizeLimits, line: number): void {
  // A zero-length cue never shows, nor does one whose text was all markup: dropped, not refused
  // (SRT exports have them).
  if (cue.end <= cue.start || cue.text.trim() === '') return;
  if (cues.length >= limits.maxCues) {
    throw new CaptionError('captions_too_large', `more than ${limits.maxCues} cues`, line);
  }
  cues.push(cue);
}

function parseTiming(line: string, lineNo: number, pattern: RegExp): Omit<Cue, 'id' | 'text'> {
  // The arrow's pattern backtracks over long runs of spaces: a hostile line would cost its square.
  if (line.length > MAX_TIMING_LINE) {
    throw new CaptionError('captions_malformed', `a cue timing line of ${line.length} characters`, lineNo);
  }
  const [startText, rest] = line.trim().split(ARROW);
  const [endText, ...settings] = (rest ?? '').split(/[ \t]+/);
  const start = parseTime(startText ?? '', pattern);
  const end = parseTime(endText ?? '', pattern);
  if (start === null || end === null) {
    throw new CaptionError('captions_malformed', `bad cue timing "${line.slice(0, 80)}"`, lineNo);
  }
  if (end < start) throw new CaptionError('captions_malformed', 'a cue ends before it starts', lineNo);
  return { start, end, settings: settings.filter(validCueSetting).join(' ') };
}

function parseTime(text: string, pattern: RegExp): number | null {
  const m = pattern.exec(text);
  if (!m) return null;
  const [, h, min, s, frac] = m;
  const ms = pattern === SRT_TIME ? Number(frac!.padEnd(3, '0')) : Number(frac);
  return Number(h ?? 0) * 3600 + Number(min) * 60 + Number(s) + ms / 1000;
}

export function formatTime(seconds: number): string {
  const totalMs = Math.round(seconds * 1000);
  const ms = totalMs % 1000;
  const s = Math.floor(totalMs / 1000) % 60;
  const m = Math.floor(totalMs / 60_000) % 60;
  const h = Math.floor(totalMs / 3_600_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(h)}:${two(m)}:${two(s)}.${String(ms).padStart(3, '0')}`;
}

const PERCENT = '\\d{1,3}(?:\\.\\d+)?%';
const CUE_SETTINGS: RegExp[] = [
  /^vertical:(?:rl|lr)$/,
  new RegExp(`^line:(?:-?\\d+(?:\\.\\d+)?|${PERCENT})(?:,(?:start|center|end))?$`),
  new RegExp(`^position:${PERCENT}(?:,(?:line-left|center|line-right))?$`),
  new RegExp(`^size:${PERCENT}$`),
  /^align:(?:start|center|end|left|right)$/,
  /^region:[A-Za-z0-9_-]{1,64}$/,
];
const validCueSetting = (s: string): boolean => CUE_SETTINGS.some((re) => re.test(s));

const REGION_SETTINGS: RegExp[] = [
  /^id:[A-Za-z0-9_-]{1,64}$/,
  new RegExp(`^width:${PERCENT}$`),
  /^lines:\d{1,3}$/,
  new RegExp(`^(?:regionanchor|viewportanchor):${PERCENT},${PERCENT}$`),
  /^scroll:up$/,
];
const validRegionSetting = (s: string): boolean => REGION_SETTINGS.some((re) => re.test(s));

/**
 * A STYLE block is only `::cue` rules for this track, but CSS can still fetch (url(), @import,
 * image-set) and hide that behind escapes: anything of the kind drops the whole block.
 */
function safeCss(css: string): boolean {
  if (css.length > 10_000) return false;
  if (/url\s*\(|@import|image-set|image\s*\(|expression\s*\(|\\|<|-->/i.test(css)) return false;
  return /^\s*::cue/.test(css);
}

/** A cue id may be any text without "-->" or a line break; it is shown to nobody but kept printable. */
function cleanId(id: string): string | null {
  const clean = stripControl(id).replace(/-->/g, '').trim().slice(0, 100);
  return clean || null;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is removed.
const stripControl = (s: string): string => s.replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '');

/** WebVTT cue tags: class names after dots, an annotation (voice name, language) after a space. */
const ALLOWED_TAGS = new Set(['b', 'i', 'u', 'c', 'v', 'lang', 'ruby', 'rt']);
const CLASSES = /^(?:\.[A-Za-z0-9_-]{1,40}){0,8}$/;
const TIMESTAMP_TAG = /^(?:\d{1,6}:)?[0-5]\d:[0-5]\d\.\d{3}$/;
const ENTITY = /^&(?:amp|lt|gt|lrm|rlm|nbsp|#\d{1,7}|#x[0-9A-Fa-f]{1,6});/;

/**
 * Keeps plain text and the WebVTT tags; every other tag (HTML, SRT's <font>) goes, its text stays.
 * A stray `<` or `&` becomes an entity, so the output parses the same in every browser.
 */
export function cleanCueText(lines: string[], limits: SanitizeLimits = DEFAULT_LIMITS): string {
  return cleanCue(lines, limits).text;
}

/**
 * cleanCueText for a cue that already holds `used` characters (earlier SRT blocks): refuses a total over
 * maxCueChars of text (before escaping), and says how much this part had.
 */
function cleanCue(lines: string[], limits: SanitizeLimits, used = 0): { text: string; rawChars: number } {
  const raw = stripControl(
    lines
      // Not trim(): a line of only no-break spaces positions a cue.
      .map((l) => l.replace(/^[ \t]+|[ \t]+$/g, ''))
      .filter(Boolean)
      .join('\n'),
  )
    // ASS/SSA override blocks some SRT exports carry: {\an8}, {\i1}.
    .replace(/\{\\[^}]*\}/g, '');
  if (used + raw.length > limits.maxCueChars) {
    throw new CaptionError(
      'captions_too_large',
      `a cue has more than ${limits.maxCueChars} characters of text`,
    );
  }
  let out = '';
  const open: string[] = [];
  let i = 0;
  while (i < raw.length) {
    const ch = raw[i]!;
    if (ch === '<') {
      const close = tagEnd(raw, i);
      if (close < 0) {
        out += '&lt;';
        i++;
        continue;
      }
      out += cleanTag(raw.slice(i + 1, close), open);
      i = close + 1;
      continue;
    }
    if (ch === '&') {
      const entity = ENTITY.exec(raw.slice(i, i + 12));
      out += entity ? entity[0] : '&amp;';
      i += entity ? entity[0].length : 1;
      continue;
    }
    out += ch === '>' ? '&gt;' : ch;
    i++;
  }
  // Close what the author left open, innermost first, so a tag never leaks into the next cue.
  for (const name of open.reverse()) out += `</${name}>`;
  return { text: out.replace(/-->/g, '--&gt;'), rawChars: raw.length };
}

/** Where the tag opened by the `<` at `i` ends (its `>`), or -1 when that `<` is text. */
function tagEnd(raw: string, i: number): number {
  const close = raw.indexOf('>', i);
  // A tag starts with a name, a slash or a timestamp digit, and holds no other `<`.
  if (close < 0 || !/[A-Za-z0-9/]/.test(raw[i + 1] ?? '') || raw.slice(i + 1, close).includes('<')) return -1;
  return close;
}

/**
 * One line of plain text (a chapter title) cleaned by the rules of cue text: control characters,
 * line breaks, lone surrogates and bidi overrides become a space, ASS override blocks go, and what a
 * cue would read as a tag (HTML, WebVTT markup) is dropped with its text kept. The result is shown
 * as is, never as markup: `escapeCueText` writes it into WebVTT.
 */
export function plainCueText(value: string): string {
  const raw = value.replace(UNPRINTABLE, ' ').replace(/\{\\[^}]*\}/g, '');
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const close = raw[i] === '<' ? tagEnd(raw, i) : -1;
    if (close >= 0) {
      i = close + 1;
      continue;
    }
    out += raw[i];
    i++;
  }
  return out.replace(/\s+/g, ' ').trim();
}

/** Plain text as WebVTT cue text: every `&`, `<` and `>` an entity, so it shows literally. */
export const escapeCueText = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

function cleanTag(body: string, open: string[]): string {
  if (TIMESTAMP_TAG.test(body)) return `<${body}>`;
  if (body.startsWith('/')) {
    const name = body.slice(1).trim().toLowerCase();
    const at = open.lastIndexOf(name);
    if (!ALLOWED_TAGS.has(name) || at < 0) return '';
    // Closing an outer tag closes everything opened inside it.
    const closed = open.splice(at).reverse();
    return closed.map((n) => `</${n}>`).join('');
  }
  const space = body.search(/[ \t\n]/);
  const head = space < 0 ? body : body.slice(0, space);
  const annotation =
    space < 0
      ? ''
      : body
          .slice(space + 1)
          .replace(/\s+/g, ' ')
          .trim();
  const dot = head.indexOf('.');
  const name = (dot < 0 ? head : head.slice(0, dot)).toLowerCase();
  const classes = dot < 0 ? '' : head.slice(dot);
  if (!ALLOWED_TAGS.has(name) || !CLASSES.test(classes)) return '';
  if (open.length >= 16) return '';
  let note = '';
  if (name === 'v' && annotation) note = ` ${annotation.replace(/[<>&"]/g, '').slice(0, 100)}`;
  if (name === 'lang') {
    if (!/^[A-Za-z0-9-]{1,35}$/.test(annotation)) return '';
    note = ` ${annotation}`;
  }
  open.push(name);
  return `<${name}${classes}${note}>`;
}
