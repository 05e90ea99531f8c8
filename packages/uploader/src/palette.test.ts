import { describe, expect, it } from 'vitest';
import { uploaderStyles } from './uploader-styles.ts';

/** `--_name: var(--vod-uploader-x, light-dark(#light, #dark))` → {name: [light, dark]}. */
function palette(): Record<string, [string, string]> {
  const out: Record<string, [string, string]> = {};
  for (const m of uploaderStyles.cssText.matchAll(
    /--_([\w-]+):\s*var\(--vod-uploader-[\w-]+,\s*light-dark\((#[0-9a-f]{3,6}),\s*(#[0-9a-f]{3,6})\)\)/gi,
  )) {
    out[m[1]!] = [m[2]!, m[3]!];
  }
  return out;
}

function luminance(hex: string): number {
  const h = hex.length === 4 ? [...hex.slice(1)].map((c) => c + c).join('') : hex.slice(1);
  const [r, g, b] = [0, 2, 4].map((i) => {
    const s = Number.parseInt(h.slice(i, i + 2), 16) / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const ratio = (a: string, b: string) => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
  return (x + 0.05) / (y + 0.05);
};

/** Every text colour the element draws, on what it is drawn. */
const PAIRS: [text: string, on: string][] = [
  ['text', 'surface'],
  ['text', 'background'],
  ['text', 'drop-background'],
  ['muted', 'surface'],
  ['muted', 'background'],
  ['accent', 'pill-background'],
  ['muted', 'pill-muted-background'],
  ['success', 'pill-success-background'],
  ['error', 'pill-error-background'],
  ['text', 'pill-error-background'],
  ['error', 'surface'],
  ['accent-contrast', 'accent'],
];

describe('uploader palette', () => {
  const colours = palette();

  it('gives every colour a light and a dark default', () => {
    expect(Object.keys(colours)).toEqual(expect.arrayContaining(PAIRS.flat()));
    expect(colours.track).toBeDefined();
  });

  for (const [theme, index] of [
    ['light', 0],
    ['dark', 1],
  ] as const) {
    it(`keeps text at 4.5:1 or more in the ${theme} palette`, () => {
      for (const [text, on] of PAIRS) {
        const value = ratio(colours[text]![index], colours[on]![index]);
        expect(value, `${text} on ${on} (${theme})`).toBeGreaterThanOrEqual(4.5);
      }
    });
  }

  it('draws dark surfaces in the dark palette (no white pill or light-grey track on a dark page)', () => {
    for (const name of ['surface', 'background', 'track', 'pill-background', 'pill-muted-background']) {
      expect(luminance(colours[name]![1]), name).toBeLessThan(0.05);
    }
  });
});
