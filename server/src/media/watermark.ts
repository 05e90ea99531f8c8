import type { ImageInfo, WatermarkPosition } from '@vodkit/api';

/*
 * Watermarks (issue 15): a still image burned into every encoded rung, sized and placed as shares of
 * each rung's own width and height, so it looks the same at 240p and at 1080p. The logo is an extra
 * input of the encode, decoded once: its first frame is made RGBA, its alpha multiplied by the opacity,
 * split once per rung and scaled to that rung, then overlaid after the rung's scale (the one-decode
 * ladder keeps its shape: the overlay is one more step on each branch).
 */

/** What the plan needs of a job's watermark: its image's size and the placement, defaults filled in. */
export interface WatermarkPlan {
  image: Pick<ImageInfo, 'width' | 'height'>;
  position: WatermarkPosition;
  /** 1–50: the logo's width as a share of the rung's width. */
  widthPercent: number;
  /** 0–25: from the left/right edge as a share of the width, from the top/bottom one of the height. */
  marginPercent: number;
  /** 0–1, multiplied into the image's alpha. */
  opacity: number;
}

export const WATERMARK_DEFAULTS = { widthPercent: 10, marginPercent: 3, opacity: 1 } as const;

/** Where the logo goes on a `width`×`height` picture: its size and its top-left corner, in pixels. */
export function watermarkBox(
  w: WatermarkPlan,
  width: number,
  height: number,
): { width: number; height: number; x: number; y: number } {
  const logoW = Math.max(2, Math.round((width * w.widthPercent) / 100));
  // The image's aspect ratio; never taller than the picture (a very tall logo at 50% width).
  const logoH = Math.min(height, Math.max(2, Math.round((logoW * w.image.height) / w.image.width)));
  const mx = Math.round((width * w.marginPercent) / 100);
  const my = Math.round((height * w.marginPercent) / 100);
  const left = w.position.endsWith('left');
  const right = w.position.endsWith('right');
  const top = w.position.startsWith('top');
  const bottom = w.position.startsWith('bottom');
  const x = left ? mx : right ? width - logoW - mx : Math.round((width - logoW) / 2);
  const y = top ? my : bottom ? height - logoH - my : Math.round((height - logoH) / 2);
  return { width: logoW, height: logoH, x: Math.max(0, x), y: Math.max(0, y) };
}

/**
 * The logo's part of the filter graph for `rungs` (their sizes, in the order of `labels`): the chain
 * from input `inputIndex` to one scaled logo per rung, labelled `[wm<label>]`, and each rung's overlay
 * step (`[in][wm<label>]overlay=…[out]`).
 */
export function watermarkGraph(
  w: WatermarkPlan,
  inputIndex: number,
  rungs: readonly { label: string; width: number; height: number }[],
): { logo: string[]; overlay: (label: string, input: string, output: string) => string } {
  const boxes = new Map(rungs.map((r) => [r.label, watermarkBox(w, r.width, r.height)]));
  const branches = rungs.map((r) => `[wl${r.label}]`).join('');
  const logo = [
    // Only the first frame (an image file may hold several); the overlay repeats it to the end.
    `[${inputIndex}:v:0]trim=end_frame=1,format=rgba,colorchannelmixer=aa=${w.opacity.toFixed(3)},split=${rungs.length}${branches}`,
    ...rungs.map((r) => {
      const b = boxes.get(r.label)!;
      return `[wl${r.label}]scale=${b.width}:${b.height}[wm${r.label}]`;
    }),
  ];
  return {
    logo,
    overlay: (label, input, output) => {
      const b = boxes.get(label)!;
      return `[${input}][wm${label}]overlay=x=${b.x}:y=${b.y}:format=auto[${output}]`;
    },
  };
}
