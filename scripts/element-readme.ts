/**
 * Writes the reference part of an element package's README from its custom-elements.json (which the
 * analyzer makes from the elements' JSDoc): attributes, events, CSS parts and custom properties of
 * every tag, between the `<!-- reference:start -->` and `<!-- reference:end -->` markers. The README's
 * prose stays hand-written; the tables cannot drift from the code.
 *
 *   node --import tsx scripts/element-readme.ts packages/player [--check]
 *
 * `--check` writes nothing and exits 1 when the README is not what the manifest says.
 */
import fs from 'node:fs';
import path from 'node:path';

interface Named {
  name: string;
  description?: string;
  default?: string;
  type?: { text?: string };
}
interface Declaration {
  customElement?: boolean;
  tagName?: string;
  attributes?: (Named & { fieldName?: string })[];
  events?: Named[];
  cssParts?: Named[];
  cssProperties?: Named[];
}
interface Manifest {
  modules: { declarations?: Declaration[] }[];
}

const START = '<!-- reference:start -->';
const END = '<!-- reference:end -->';

/** One table cell: no pipes or line breaks inside. */
const cell = (text: string | undefined) =>
  (text ?? '')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();

function table(headers: string[], rows: string[][]): string {
  if (!rows.length) return '';
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** The reference section for every custom element the manifest declares, in manifest order. */
export function renderReference(manifest: Manifest): string {
  const parts: string[] = [];
  for (const mod of manifest.modules) {
    for (const d of mod.declarations ?? []) {
      if (!d.customElement || !d.tagName) continue;
      parts.push(`### \`<${d.tagName}>\``);
      const attributes = table(
        ['attribute', 'default', 'what'],
        (d.attributes ?? []).map((a) => [
          `\`${a.name}\``,
          a.default !== undefined ? `\`${cell(a.default)}\`` : '',
          cell(a.description),
        ]),
      );
      if (attributes) parts.push(`Attributes:\n\n${attributes}`);
      const events = table(
        ['event', 'when, and its `detail`'],
        (d.events ?? []).map((e) => [`\`${e.name}\``, cell(e.description)]),
      );
      if (events) parts.push(`Events (bubbling, composed \`CustomEvent\`s):\n\n${events}`);
      const cssParts = table(
        ['part', 'what'],
        (d.cssParts ?? []).map((p) => [`\`${p.name}\``, cell(p.description)]),
      );
      if (cssParts) parts.push(`CSS parts (\`::part(name)\`):\n\n${cssParts}`);
      const cssProperties = table(
        ['custom property', 'default', 'what'],
        (d.cssProperties ?? []).map((p) => [
          `\`${p.name}\``,
          p.default ? `\`${cell(p.default)}\`` : '',
          cell(p.description),
        ]),
      );
      if (cssProperties) parts.push(`CSS custom properties:\n\n${cssProperties}`);
    }
  }
  return `${START}\n<!-- Generated from custom-elements.json by scripts/element-readme.ts: edit the JSDoc, not this. -->\n\n${parts.join('\n\n')}\n\n${END}`;
}

/** The README with its reference section replaced (the markers must be there). */
export function withReference(readme: string, manifest: Manifest): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`the README has no ${START} … ${END} section`);
  return readme.slice(0, start) + renderReference(manifest) + readme.slice(end + END.length);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const dir = path.resolve(process.argv[2] ?? '.');
  const check = process.argv.includes('--check');
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'custom-elements.json'), 'utf8')) as Manifest;
  const file = path.join(dir, 'README.md');
  const before = fs.readFileSync(file, 'utf8');
  const after = withReference(before, manifest);
  if (check) {
    if (after !== before) {
      console.error(`${file} is out of date: run npm run manifest`);
      process.exit(1);
    }
  } else if (after !== before) {
    fs.writeFileSync(file, after);
  }
}
