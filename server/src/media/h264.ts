/*
 * The H.264 NAL unit reading Vodkit needs to tell an IDR frame from an open GOP's recovery-point
 * I-frame (both are flagged keyframes by containers): only the one-byte NAL header and the first bit of
 * a slice header are read, nothing is decoded.
 */

/** NAL unit types (ITU-T H.264 table 7-1): coded slices of a non-IDR and of an IDR picture. */
export const NAL_SLICE = 1;
export const NAL_IDR = 5;

/** The type in a NAL unit's header byte. */
export const nalType = (header: number): number => header & 0x1f;

/** Coded slices: 1 (non-IDR), 2–4 (data partitions), 5 (IDR). */
export const isSlice = (type: number): boolean => type >= 1 && type <= 5;

const START_CODE = Buffer.from([0, 0, 1]);

/**
 * The slice type (NAL_IDR or another slice type) of each picture in an Annex B byte stream, in stream
 * order, at most `maxPictures`. A picture starts at a slice whose first_mb_in_slice is 0 (its ue(v)
 * code is the single bit 1, the first bit after the NAL header); the other slices of that picture
 * follow it. Bounded by `buf` and `maxPictures`.
 */
export function annexBPictureTypes(buf: Buffer, maxPictures: number): number[] {
  const types: number[] = [];
  let at = buf.indexOf(START_CODE);
  while (at >= 0 && types.length < maxPictures) {
    const header = at + 3;
    if (header + 1 >= buf.length) break;
    const type = nalType(buf[header]!);
    if (isSlice(type) && buf[header + 1]! & 0x80) types.push(type);
    at = buf.indexOf(START_CODE, header);
  }
  return types;
}
