import {
  type CreateJobRequest,
  type EncodePreset,
  RESOLUTIONS,
  type Resolution,
  type ThumbnailRequest,
} from '@vodkit/api';
import { ApiError } from '../errors.ts';
import { validateWatermark } from './watermarks.ts';

/*
 * What a job request may say, beyond the JSON shape the route's schema checks (routes/jobs.ts):
 * meaning, limits and normalization, for any caller of the service.
 */

const TIMESTAMP = /^(\d{2,}):([0-5]\d):([0-5]\d)(\.\d{1,3})?$/;
const MAX_USER_DATA_BYTES = 16 * 1024;
const MAX_PRESETS = 8;
const MAX_THUMBNAILS = 50;

/** `HH:MM:SS(.mmm)` → seconds. */
export function parseTimestamp(ts: string): number {
  const m = TIMESTAMP.exec(ts);
  if (!m) return Number.NaN;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4] ?? 0);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(message: string): never {
  throw new ApiError('validation_failed', message);
}

function validateResolutions(value: unknown, where: string): Resolution[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) invalid(`${where} must be a non-empty list`);
  for (const r of value) {
    if (!RESOLUTIONS.includes(String(r) as Resolution)) {
      invalid(`${where}: "${String(r)}" is not one of ${RESOLUTIONS.join(', ')}`);
    }
  }
  return [...new Set(value.map((r) => String(r) as Resolution))];
}

/**
 * Checks a job request beyond its JSON shape and returns it normalized. Everything a later stage
 * needs (thumbnails, webhookUrl, userData, protected) is kept in the stored request.
 */
export function validateRequest(body: unknown): CreateJobRequest {
  if (!isObject(body)) invalid('the body must be a JSON object');
  if (typeof body.fileId !== 'string' || !body.fileId) invalid('"fileId" is required');
  const out: CreateJobRequest = { fileId: body.fileId };

  if (body.presets !== undefined) {
    if (!Array.isArray(body.presets) || body.presets.length > MAX_PRESETS) {
      invalid(`"presets" must be a list of at most ${MAX_PRESETS}`);
    }
    out.presets = body.presets.map((p, i): EncodePreset => {
      if (!isObject(p)) invalid(`presets[${i}] must be an object`);
      if (p.format !== undefined && p.format !== 'hls' && p.format !== 'mp4' && p.format !== 'm4a') {
        invalid(`presets[${i}].format must be "hls", "mp4" or "m4a"`);
      }
      const resolutions = validateResolutions(p.resolutions, `presets[${i}].resolutions`);
      if (p.format === 'm4a') {
        // The audio is not cut in rungs: one file of the default track.
        if (resolutions) invalid(`presets[${i}]: an "m4a" preset takes no resolutions`);
        return { format: 'm4a' };
      }
      return { format: p.format === 'mp4' ? 'mp4' : 'hls', ...(resolutions ? { resolutions } : {}) };
    });
  }

  if (body.thumbnails !== undefined) {
    if (!Array.isArray(body.thumbnails) || body.thumbnails.length > MAX_THUMBNAILS) {
      invalid(`"thumbnails" must be a list of at most ${MAX_THUMBNAILS}`);
    }
    out.thumbnails = body.thumbnails.map((t, i): ThumbnailRequest => {
      if (!isObject(t)) invalid(`thumbnails[${i}] must be an object`);
      if (typeof t.timestamp !== 'string' || Number.isNaN(parseTimestamp(t.timestamp))) {
        invalid(`thumbnails[${i}].timestamp must be HH:MM:SS or HH:MM:SS.mmm`);
      }
      const resolutions = validateResolutions(t.resolutions, `thumbnails[${i}].resolutions`);
      let formats: ThumbnailRequest['formats'];
      if (t.formats !== undefined) {
        if (
          !Array.isArray(t.formats) ||
          t.formats.length === 0 ||
          !t.formats.every((f) => f === 'jpg' || f === 'webp')
        ) {
          invalid(`thumbnails[${i}].formats must be a non-empty list of "jpg", "webp"`);
        }
        formats = [...new Set(t.formats as ('jpg' | 'webp')[])];
      }
      return {
        timestamp: t.timestamp,
        ...(resolutions ? { resolutions } : {}),
        ...(formats ? { formats } : {}),
      };
    });
  }

  if (body.webhookUrl !== undefined) {
    let url: URL | null = null;
    try {
      url =
        typeof body.webhookUrl === 'string' && body.webhookUrl.length <= 2048
          ? new URL(body.webhookUrl)
          : null;
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      invalid('"webhookUrl" must be an http(s) URL');
    }
    out.webhookUrl = url.href;
  }

  if (body.userData !== undefined) {
    if (!isObject(body.userData)) invalid('"userData" must be a JSON object');
    if (Buffer.byteLength(JSON.stringify(body.userData)) > MAX_USER_DATA_BYTES) {
      invalid(`"userData" must be at most ${MAX_USER_DATA_BYTES} bytes of JSON`);
    }
    out.userData = body.userData;
  }

  if (body.watermark !== undefined) out.watermark = validateWatermark(body.watermark);

  if (body.protected !== undefined) {
    if (typeof body.protected !== 'boolean') invalid('"protected" must be true or false');
    out.protected = body.protected;
  }
  return out;
}
