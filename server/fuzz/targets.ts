/*
 * The fuzz targets: every parser of uploaded bytes, each taking the raw input. They run in a worker
 * (media/isolate.ts); a typed rejection comes back as `{ rejected: code }`, anything else thrown is a
 * crash, as is a call that outlives its deadline or heap.
 */

import { readInit, readSegment } from '../src/media/fmp4.ts';
import { boxes, Mp4FormatError } from '../src/media/mp4/boxes.ts';
import { fromMoov } from '../src/media/mp4-index.ts';
import { ProbeError, parseProbeJson, toMetadata } from '../src/media/probe.ts';
import { CaptionError, sanitizeCaptions } from '../src/media/vtt.ts';

export type Outcome = { ok: true } | { rejected: string };

function typed(fn: () => unknown): Outcome {
  try {
    fn();
    return { ok: true };
  } catch (err) {
    if (err instanceof Mp4FormatError || err instanceof CaptionError || err instanceof ProbeError) {
      return { rejected: err.code };
    }
    throw err;
  }
}

/** The moov of a whole MP4 (as the server reads it from the file), then its keyframe index. */
export const mp4Index = (bytes: Buffer): Outcome =>
  typed(() => {
    for (const box of boxes(bytes))
      if (box.type === 'moov') return fromMoov(bytes.subarray(box.offset, box.end));
    return null;
  });

export const fmp4Init = (bytes: Buffer): Outcome => typed(() => readInit(bytes));

export const fmp4Segment = (bytes: Buffer): Outcome => typed(() => readSegment(bytes, 512));

export const captions = (bytes: Buffer): Outcome => typed(() => sanitizeCaptions(bytes.toString('utf8')));

export const probeJson = (bytes: Buffer): Outcome =>
  typed(() => toMetadata(parseProbeJson(bytes.toString('utf8'))));
