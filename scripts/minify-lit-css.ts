import { transform } from 'lightningcss';
import type { Plugin } from 'vite';

/** Each static stretch of a css`…` literal: where it starts and ends in the source. */
function cssLiteralParts(code: string): { start: number; end: number }[] {
  const parts: { start: number; end: number }[] = [];
  for (const match of code.matchAll(/\bcss`/g)) {
    let start = match.index + match[0].length;
    for (let i = start; i < code.length; i++) {
      const c = code[i];
      if (c === '\\') i++;
      else if (c === '`') {
        parts.push({ start, end: i });
        break;
      } else if (c === '$' && code[i + 1] === '{') {
        parts.push({ start, end: i });
        // Our interpolations are other css`` results: no braces or backticks inside.
        i = code.indexOf('}', i);
        if (i < 0) return parts;
        start = i + 1;
      }
    }
  }
  return parts;
}

/** What a template literal's source spells differently from its value: escapes, backticks, `${`. */
const ESCAPED = /[\\`]|\$\{/;

/**
 * `css` minified, or null when it is not a stylesheet by itself (split by an interpolation mid-rule)
 * or holds escapes, which the literal's source spells differently from the CSS it makes.
 */
function minified(css: string, filename: string): string | null {
  if (ESCAPED.test(css)) return null;
  try {
    const min = transform({ filename, code: Buffer.from(css), minify: true }).code.toString();
    return ESCAPED.test(min) ? null : min;
  } catch {
    return null;
  }
}

/**
 * Minifies the CSS of Lit's css`…` literals in the elements' source with Lightning CSS (Vite's own
 * CSS minifier): the SDK's JS minifier leaves template literals as written, indentation and all, and
 * the player's styles are a good part of its chunk (the issue caps it at 20 KB gzipped).
 */
export function minifyLitCss(): Plugin {
  return {
    name: 'vodkit-minify-lit-css',
    apply: 'build',
    transform(code, id) {
      if (!/\/packages\/[\w-]+\/src\/[\w-]+\.ts$/.test(id) || !code.includes('css`')) return null;
      let out = '';
      let last = 0;
      for (const { start, end } of cssLiteralParts(code)) {
        const css = code.slice(start, end);
        out += code.slice(last, start) + (minified(css, id) ?? css);
        last = end;
      }
      return { code: out + code.slice(last), map: null };
    },
  };
}
