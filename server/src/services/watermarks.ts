import { type ImageInfo, WATERMARK_POSITIONS, type Watermark, type WatermarkPosition } from '@vodkit/api';
import type { FilesRepository } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import { isValidId } from '../ids.ts';
import { WATERMARK_DEFAULTS, type WatermarkPlan } from '../media/watermark.ts';

/*
 * A job's `watermark` (issue 15): its shape and ranges (400 `validation_failed`), and its file, which
 * must be a ready image of the same key (400 `watermark_invalid`). Stored with the defaults filled in,
 * so the job shows what is burned in.
 */

const MAX_MARGIN_PERCENT = 25;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(message: string): never {
  throw new ApiError('validation_failed', message);
}

function inRange(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    invalid(`"watermark.${name}" must be a number from ${min} to ${max}`);
  }
  return value;
}

/** The request's `watermark`, checked and with its defaults. */
export function validateWatermark(value: unknown): Required<Watermark> {
  if (!isObject(value)) invalid('"watermark" must be an object');
  if (typeof value.fileId !== 'string' || !value.fileId) invalid('"watermark.fileId" is required');
  if (!WATERMARK_POSITIONS.includes(value.position as WatermarkPosition)) {
    invalid(`"watermark.position" must be one of ${WATERMARK_POSITIONS.join(', ')}`);
  }
  return {
    fileId: value.fileId,
    position: value.position as WatermarkPosition,
    widthPercent: inRange(value.widthPercent, 'widthPercent', 1, 50, WATERMARK_DEFAULTS.widthPercent),
    marginPercent: inRange(
      value.marginPercent,
      'marginPercent',
      0,
      MAX_MARGIN_PERCENT,
      WATERMARK_DEFAULTS.marginPercent,
    ),
    opacity: inRange(value.opacity, 'opacity', 0, 1, WATERMARK_DEFAULTS.opacity),
  };
}

/** The watermark's image: a ready image file of `apiKey`, else 400 `watermark_invalid`. */
export async function watermarkImage(
  files: FilesRepository,
  apiKey: string,
  fileId: string,
): Promise<ImageInfo> {
  const file = isValidId(fileId) ? await files.get(fileId) : undefined;
  if (!file || file.apiKey !== apiKey) {
    throw new ApiError('watermark_invalid', `no file ${fileId} for the watermark`);
  }
  if (file.status !== 'ready' || !file.metadata?.image) {
    throw new ApiError(
      'watermark_invalid',
      file.status === 'probing'
        ? 'the watermark file is still being probed: retry in a moment'
        : 'the watermark file is not an image: upload a PNG, JPEG or WebP',
    );
  }
  return file.metadata.image;
}

/** What the ladder needs of a stored watermark and its image. */
export const watermarkPlan = (w: Watermark, image: ImageInfo): WatermarkPlan => ({
  image: { width: image.width, height: image.height },
  position: w.position,
  widthPercent: w.widthPercent ?? WATERMARK_DEFAULTS.widthPercent,
  marginPercent: w.marginPercent ?? WATERMARK_DEFAULTS.marginPercent,
  opacity: w.opacity ?? WATERMARK_DEFAULTS.opacity,
});
