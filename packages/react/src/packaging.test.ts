import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

/**
 * The packages as an app gets them: `npm run build:packages` writes dist/ (JS + .d.ts) and the
 * custom-elements manifests, and everything below resolves through the packages' `exports` the way a
 * consumer does, without the repo's `vodkit-source` condition.
 */

const root = path.resolve(import.meta.dirname, '../../..');
/** The environment of a consumer's process: no `--conditions=vodkit-source` from the repo's .npmrc. */
const consumerEnv = { ...process.env, NODE_OPTIONS: '' };
let consumerDir: string;

beforeAll(() => {
  execFileSync('npm', ['run', '-s', 'build:packages'], { cwd: root, env: process.env, stdio: 'pipe' });
  // Inside the repo, so `@vodkit/*` and their dependencies resolve from its node_modules.
  consumerDir = fs.mkdtempSync(path.join(root, 'node_modules', '.vodkit-consumer-'));
}, 240_000);

afterAll(() => {
  if (consumerDir) fs.rmSync(consumerDir, { recursive: true, force: true });
});

describe('built packages', () => {
  it('ship JavaScript and declarations in dist/, with no decorators left in the declarations', () => {
    for (const pkg of ['api', 'player', 'uploader', 'react']) {
      const json = JSON.parse(fs.readFileSync(path.join(root, 'packages', pkg, 'package.json'), 'utf8'));
      expect(json.exports['.'].default).toBe('./dist/index.js');
      expect(json.exports['.'].types).toBe('./dist/index.d.ts');
      expect(fs.existsSync(path.join(root, 'packages', pkg, 'dist/index.js'))).toBe(true);
      expect(fs.existsSync(path.join(root, 'packages', pkg, 'dist/index.d.ts'))).toBe(true);
    }
    const uploaderTypes = fs.readFileSync(
      path.join(root, 'packages/uploader/dist/vod-uploader.d.ts'),
      'utf8',
    );
    expect(uploaderTypes).toContain('multiple: boolean');
    expect(uploaderTypes).not.toMatch(/@property|@state|@query/);
  });

  it('import in Node without throwing, and @vodkit/react renders on the server', () => {
    const script = `
      import { createElement } from 'react';
      import { renderToString } from 'react-dom/server';
      const api = await import('@vodkit/api');
      const sign = await import('@vodkit/api/sign');
      const player = await import('@vodkit/player');
      const uploader = await import('@vodkit/uploader');
      const { VodUploader, VodPlayer } = await import('@vodkit/react');
      const html = renderToString(createElement('div', null,
        createElement(VodUploader, { multiple: true, tokenUrl: '/token' }),
        createElement(VodPlayer, { videoId: 'abc' })));
      console.log(JSON.stringify({
        api: typeof api.VodkitClient, sign: typeof sign.signToken,
        player: typeof player.VodPlayer, uploader: typeof uploader.VodUploader, html,
        uploaderFile: import.meta.resolve('@vodkit/uploader'),
      }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: consumerDir,
      env: consumerEnv,
      encoding: 'utf8',
    });
    const result = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(result).toMatchObject({
      api: 'function',
      sign: 'function',
      player: 'function',
      uploader: 'function',
    });
    expect(result.uploaderFile).toMatch(/packages\/uploader\/dist\/index\.js$/);
    expect(result.html).toContain('<vod-uploader');
    expect(result.html).toContain('<vod-player');
  });

  it('type-check in a consumer project with no decorator flags', () => {
    fs.writeFileSync(
      path.join(consumerDir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2023', 'DOM', 'DOM.Iterable'],
          jsx: 'react-jsx',
          strict: true,
          noEmit: true,
          types: [],
          skipLibCheck: true,
        },
        files: ['app.tsx'],
      }),
    );
    fs.writeFileSync(
      path.join(consumerDir, 'app.tsx'),
      `
      import '@vodkit/player';
      import type { VodkitClient } from '@vodkit/api';
      import { VodUploader as Uploader, type VodUploadEventDetails } from '@vodkit/uploader';
      import { VodUploader, VodPlayer } from '@vodkit/react';

      const el = document.createElement('vod-uploader');
      el.multiple = true;
      el.concurrency = 3;
      // Real types, not \`any\`: these two lines must be errors.
      // @ts-expect-error concurrency is a number
      el.concurrency = 'three';
      // @ts-expect-error no such event detail field
      el.addEventListener('vod-upload-complete', (e) => e.detail.videoId);
      el.addEventListener('vod-video-playable', (e) => {
        const hls: string = e.detail.playback.hls;
        document.querySelector('vod-player')!.videoId = e.detail.videoId;
        console.log(hls);
      });
      const detail: VodUploadEventDetails['vod-file-rejected'] | null = null;
      export const klass: typeof Uploader = customElements.get('vod-uploader') as typeof Uploader;
      export type Client = VodkitClient;
      export const App = () => (
        <>
          <VodUploader tokenUrl="/t" multiple encode onVodVideoReady={(e) => console.log(e.detail.videoId, detail)} />
          <VodPlayer videoId="abc" onVodReady={(e) => console.log(e.detail.levels.length)} />
        </>
      );
      `,
    );
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', consumerDir], { env: consumerEnv, encoding: 'utf8' });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(output).toBe('');
  });

  it('have custom-elements manifests with the tags, attributes and events', () => {
    const tags = new Map<string, { attributes: string[]; events: string[] }>();
    for (const pkg of ['player', 'uploader']) {
      const manifest = JSON.parse(
        fs.readFileSync(path.join(root, 'packages', pkg, 'custom-elements.json'), 'utf8'),
      );
      for (const mod of manifest.modules) {
        for (const d of mod.declarations ?? []) {
          if (d.customElement && d.tagName) {
            tags.set(d.tagName, {
              attributes: (d.attributes ?? []).map((a: { name: string }) => a.name),
              events: (d.events ?? []).map((e: { name: string }) => e.name),
            });
          }
        }
      }
    }
    expect([...tags.keys()].sort()).toEqual([
      'vod-audio-menu',
      'vod-captions-menu',
      'vod-chapters-menu',
      'vod-player',
      'vod-scrubber',
      'vod-uploader',
    ]);
    expect(tags.get('vod-uploader')!.attributes).toEqual(
      expect.arrayContaining(['token-url', 'multiple', 'concurrency', 'encode', 'player', 'max-size']),
    );
    expect(tags.get('vod-uploader')!.events).toEqual(
      expect.arrayContaining([
        'vod-upload-complete',
        'vod-file-ready',
        'vod-video-playable',
        'vod-video-ready',
      ]),
    );
    expect(tags.get('vod-player')!.attributes).toEqual(expect.arrayContaining(['video-id', 'api-base']));
  });

  it('have READMEs whose reference is the manifest (attributes, events, parts, custom properties)', () => {
    for (const pkg of ['player', 'uploader']) {
      // Exits 1 (and says so) when the README's tables are not what the manifest says.
      execFileSync(
        process.execPath,
        ['--import', 'tsx', 'scripts/element-readme.ts', `packages/${pkg}`, '--check'],
        {
          cwd: root,
          env: consumerEnv,
          stdio: 'pipe',
        },
      );
    }
    expect(fs.readFileSync(path.join(root, 'packages/player/README.md'), 'utf8')).toContain(
      '`--vod-player-aspect-ratio`',
    );
    expect(fs.readFileSync(path.join(root, 'packages/uploader/README.md'), 'utf8')).toContain(
      '`vod-link-accepted`',
    );
  });
});

/**
 * What an app gets from a registry: `npm pack` of each package, installed into a project outside the
 * repository (no repo node_modules above it). Dependencies come from npm's cache (`--prefer-offline`;
 * the registry only for what the cache lacks). The app adds the `overrides` the uploader's README
 * documents for Node 20, so the install must print no engine warning.
 */
describe('packed tarballs, installed by an app', () => {
  const PACKAGES = ['api', 'player', 'uploader', 'react'] as const;
  let app: string;
  let installLog = '';
  /** npm's own variables from a parent `npm test` (prefix, workspace…) must not steer the app's npm. */
  const appEnv = Object.fromEntries(
    Object.entries({ ...process.env, NODE_OPTIONS: '' }).filter(([k]) => !/^npm_/i.test(k)),
  );

  beforeAll(async () => {
    app = fs.mkdtempSync(path.join(os.tmpdir(), 'vodkit-app-'));
    const packed = path.join(app, 'packed');
    fs.mkdirSync(packed);
    const { stdout } = await run(
      'npm',
      ['pack', '--json', '--pack-destination', packed, ...PACKAGES.flatMap((p) => ['-w', `@vodkit/${p}`])],
      { cwd: root, env: appEnv },
    );
    const tarballs = (JSON.parse(stdout) as { name: string; filename: string }[]).map(
      (t) => [t.name, `file:packed/${t.filename}`] as const,
    );
    const uploaderReadme = fs.readFileSync(path.join(root, 'packages/uploader/README.md'), 'utf8');
    const overrides = JSON.parse(/```json\n(\{\s*"overrides"[\s\S]*?\})\n```/.exec(uploaderReadme)![1]!);
    fs.writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({
        name: 'app',
        private: true,
        type: 'module',
        dependencies: { ...Object.fromEntries(tarballs), react: '^19.3.1' },
        devDependencies: { '@types/react': '^19.3.0' },
        ...overrides,
      }),
    );
    const install = await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=warn'],
      { cwd: app, env: appEnv },
    );
    installLog = install.stdout + install.stderr;
  }, 180_000);

  afterAll(() => {
    if (app) fs.rmSync(app, { recursive: true, force: true });
  });

  it('installs on Node 20 with no engine warning, and without three (an optional peer)', () => {
    expect(installLog).not.toContain('EBADENGINE');
    for (const pkg of PACKAGES) {
      const json = JSON.parse(
        fs.readFileSync(path.join(app, 'node_modules/@vodkit', pkg, 'package.json'), 'utf8'),
      );
      expect(json).toMatchObject({ license: 'MIT', types: './dist/index.d.ts', main: './dist/index.js' });
      expect(json.repository.directory).toBe(`packages/${pkg}`);
      expect(fs.existsSync(path.join(app, 'node_modules/@vodkit', pkg, 'README.md'))).toBe(true);
    }
    // A flat-only app: no three.js and no three types downloaded.
    expect(fs.existsSync(path.join(app, 'node_modules/three'))).toBe(false);
    expect(fs.existsSync(path.join(app, 'node_modules/@types/three'))).toBe(false);
  });

  it('type-checks with moduleResolution node, node16 and bundler', async () => {
    fs.writeFileSync(
      path.join(app, 'app.tsx'),
      `
      import { type FileRecord, VodkitClient } from '@vodkit/api';
      import { signToken } from '@vodkit/api/sign';
      import type { VodEventDetails, VodPlayer } from '@vodkit/player';
      import type { VodUploadEventDetails, VodUploader } from '@vodkit/uploader';
      import { VodPlayer as Player, VodUploader as Uploader } from '@vodkit/react';

      const uploader: VodUploader = document.createElement('vod-uploader');
      uploader.multiple = true;
      // Real types, not \`any\` from an unresolved module: this line must be an error.
      // @ts-expect-error concurrency is a number
      uploader.concurrency = 'two';
      uploader.addEventListener('vod-video-playable', (e) => {
        const player: VodPlayer = document.createElement('vod-player');
        player.videoId = e.detail.videoId;
      });
      export const ready = (d: VodEventDetails['vod-ready']) => d.levels.length;
      export const done = (d: VodUploadEventDetails['vod-upload-complete']) => d.fileId;
      export const status = (f: FileRecord) => f.status;
      export const api = [VodkitClient, signToken];
      export const App = () => (
        <>
          <Uploader tokenUrl="/t" encode onVodVideoReady={(e) => console.log(e.detail.videoId)} />
          <Player videoId="abc" aspectRatio="9 / 16" onVodReady={(e) => console.log(e.detail.duration)} />
        </>
      );
      `,
    );
    const modes = [
      // Node 10 resolution: `types`/`main` and `typesVersions`. @lit/react's types need esModuleInterop there.
      { moduleResolution: 'node10', module: 'commonjs', esModuleInterop: true, skipLibCheck: true },
      { moduleResolution: 'node16', module: 'node16', skipLibCheck: true },
      // Once without skipLibCheck: every shipped .d.ts is checked too.
      { moduleResolution: 'bundler', module: 'esnext', skipLibCheck: false },
    ];
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    const outputs = await Promise.all(
      modes.map(async (options) => {
        const config = path.join(app, `tsconfig.${options.moduleResolution}.json`);
        fs.writeFileSync(
          config,
          JSON.stringify({
            compilerOptions: {
              target: 'ES2022',
              lib: ['ES2023', 'DOM', 'DOM.Iterable'],
              jsx: 'react-jsx',
              strict: true,
              noEmit: true,
              types: [],
              ...options,
            },
            files: ['app.tsx'],
          }),
        );
        try {
          await run(process.execPath, [tsc, '-p', config], { cwd: app, env: appEnv });
          return `${options.moduleResolution}: ok`;
        } catch (err) {
          return `${options.moduleResolution}: ${(err as { stdout?: string }).stdout ?? err}`;
        }
      }),
    );
    expect(outputs).toEqual(['node10: ok', 'node16: ok', 'bundler: ok']);
  }, 120_000);
});
