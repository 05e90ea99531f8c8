import { Isolate, IsolateError } from './isolate.ts';
import { CaptionError, type CaptionFormat, type SanitizedCaptions, sanitizeCaptions } from './vtt.ts';

/*
 * Caption uploads are sanitized off the event loop: the parse is linear and capped (vtt.ts), but a
 * megabyte of cues is still hundreds of milliseconds of work that /healthz and every other request
 * would otherwise wait behind.
 */

/** Up to this many characters the work is shorter than a round trip to the worker: done inline. */
export const INLINE_CAPTION_CHARS = 16 * 1024;

const isolate = new Isolate(new URL('./vtt.ts', import.meta.url), { timeoutMs: 10_000, maxHeapMb: 128 });

/**
 * sanitizeCaptions, in a worker for large inputs. Throws CaptionError as sanitizeCaptions does (a worker
 * that ran out of time or memory is `captions_too_large`), or IsolateError `busy` when too many caption
 * uploads are already waiting.
 */
export async function sanitizeCaptionsOffLoop(
  input: string,
  format?: CaptionFormat,
): Promise<SanitizedCaptions> {
  if (input.length <= INLINE_CAPTION_CHARS) return sanitizeCaptions(input, format);
  try {
    return await isolate.call<SanitizedCaptions>('sanitizeCaptions', [input, format]);
  } catch (err) {
    if (!(err instanceof IsolateError) || err.reason === 'busy') throw err;
    const e = err.error;
    if (err.reason === 'thrown' && e?.name === 'CaptionError') {
      const line = typeof e.line === 'number' ? e.line : undefined;
      // The message came with its "line N: " already: the constructor adds it again.
      const message = line === undefined ? e.message : e.message.replace(/^line \d+: /, '');
      throw new CaptionError(e.code as CaptionError['code'], message, line);
    }
    if (err.reason === 'thrown') throw new Error(`sanitizing captions failed: ${err.message}`);
    throw new CaptionError('captions_too_large', 'the caption file took too long or too much memory to read');
  }
}
