import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { defaultClientConditions, defaultServerConditions, type Plugin } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';
import { minifyLitCss } from './scripts/minify-lit-css.ts';

const here = import.meta.dirname;
/** Where `npm run dev` proxies API calls: the server started beside it. */
const apiTarget = process.env.VOD_API_URL ?? `http://localhost:${process.env.VOD_PORT ?? 8080}`;
/**
 * Inside the repo the @vodkit packages resolve to their TypeScript source (their `vodkit-source` export
 * condition); consumers get dist/. Node processes get the same condition from .npmrc (`node-options`).
 */
const source = {
  resolve: { conditions: ['vodkit-source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['vodkit-source', ...defaultServerConditions] } },
};

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/**
 * Writes `<file>.br` and `<file>.gz` beside every text asset of the build, once, at maximum
 * compression: the server hands them out as they are (`@fastify/static` `preCompressed`), so no
 * request pays for compressing and none gets a weaker level.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'vodkit-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      const files = fs
        .readdirSync(outDir, { recursive: true, encoding: 'utf8' })
        .filter((f) => /\.(js|mjs|css|svg|json|txt)$/.test(f))
        .map((f) => path.join(outDir, f));
      await Promise.all(
        files.map(async (file) => {
          const body = fs.readFileSync(file);
          if (body.length < 1024) return;
          const [br, gz] = await Promise.all([
            brotli(body, {
              params: {
                [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
                [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
              },
            }),
            gzip(body, { level: 9 }),
          ]);
          fs.writeFileSync(`${file}.br`, br);
          fs.writeFileSync(`${file}.gz`, gz);
        }),
      );
    },
  };
}

/** The lazy chunks `early-hls.ts` hints, by the placeholder the build replaces with the chunk's URL. */
const HINTED_CHUNKS: Record<string, string> = {
  __VODKIT_HLS_CHUNK__: '/hls.js/dist/hls.mjs',
  __VODKIT_STARTUP_CHUNK__: '/packages/player/src/startup.ts',
};

/**
 * Gives `early-hls.ts` the URLs of hls.js' and the start-up pipeline's hashed chunks (relative to the
 * chunk that names them), so it can start those downloads with a `<link rel="modulepreload">` at
 * once: an `import()` only starts its fetch after the whole module graph being evaluated has run,
 * which for the SDK is Lit and both elements, defined and rendered. Builds without it (tsc's dist/,
 * vitest) leave the names undefined and skip the hints.
 */
function hintedChunkUrls(): Plugin {
  return {
    name: 'vodkit-hinted-chunk-urls',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const [placeholder, module] of Object.entries(HINTED_CHUNKS)) {
        const target = Object.values(bundle).find(
          (c) => c.type === 'chunk' && c.facadeModuleId?.replace(/\\/g, '/').endsWith(module),
        );
        for (const chunk of Object.values(bundle)) {
          if (chunk.type !== 'chunk' || !chunk.code.includes(placeholder)) continue;
          if (!target)
            throw new Error(`${chunk.fileName} names ${module}'s chunk, which the build did not emit`);
          const rel = path.posix.relative(path.posix.dirname(chunk.fileName), target.fileName);
          chunk.code = chunk.code.replaceAll(
            placeholder,
            JSON.stringify(rel.startsWith('.') ? rel : `./${rel}`),
          );
        }
      }
    },
  };
}

export default defineConfig(({ mode }) =>
  mode === 'test'
    ? {
        // vitest: unit and integration tests that sit beside the code; Playwright owns e2e/.
        ...source,
        // Dependencies that vitest leaves to Node must resolve as Node would: the `module` condition picks
        // bundler-only builds (the AWS SDK's dist-es imports files without extensions).
        ssr: { resolve: { conditions: ['vodkit-source', 'node', 'development|production'] } },
        root: here,
        test: {
          include: ['server/**/*.test.ts', 'packages/**/*.test.ts'],
          // The scale-out suite needs PostgreSQL and radosgw: `npm run test:scale` (server/scale/vitest.config.ts).
          exclude: [...configDefaults.exclude, 'server/scale/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Two files at a time: most files wait on sockets, timers or a child process for much of their
          // run, so a second one fills those gaps (3.4 → 2.5 min on 2 cores). More would only split the
          // same cores between more ffmpeg jobs, and push their timings towards the test timeouts.
          maxWorkers: 2,
        },
      }
    : {
        // The demo site; `npm run build` writes demo/dist, which the server serves on the API's port.
        ...source,
        root: path.join(here, 'demo'),
        plugins: [minifyLitCss(), hintedChunkUrls(), precompress()],
        build: {
          // .vite/manifest.json: which chunks each entry loads up front (the bench weighs the SDK by it).
          manifest: true,
          outDir: path.join(here, 'demo/dist'),
          emptyOutDir: true,
          target: 'es2022',
          rollupOptions: {
            // Each page is a real entry: the demo, the embed page the server answers /embed/:id with,
            // and a playground that plays any HLS URL.
            input: {
              main: path.join(here, 'demo/index.html'),
              embed: path.join(here, 'demo/embed.html'),
              player: path.join(here, 'demo/player.html'),
              uploader: path.join(here, 'demo/uploader.html'),
              // The operator's dashboard at /studio: its own entry, so no other page loads any of it.
              studio: path.join(here, 'demo/studio.html'),
              // Drop-in element bundles for other sites: <script type="module" src="…/sdk/vodkit-player.js">.
              'sdk/vodkit-player': path.join(here, 'packages/player/src/index.ts'),
              'sdk/vodkit-uploader': path.join(here, 'packages/uploader/src/index.ts'),
            },
            output: {
              // SDK bundles keep stable names so embed snippets never go stale (served no-cache + ETag);
              // everything they import — the element, and hls.js and three.js loaded on demand — is a
              // hashed chunk under assets/, cached for a year.
              entryFileNames: (chunk) =>
                chunk.name.startsWith('sdk/') ? '[name].js' : 'assets/[name]-[hash].js',
              chunkFileNames: 'assets/[name]-[hash].js',
            },
          },
        },
        server: {
          proxy: Object.fromEntries(
            ['/v1', '/stream', '/embed', '/healthz', '/oembed', '/demo-app', '/studio/api'].map((p) => [
              p,
              { target: apiTarget },
            ]),
          ),
        },
      },
);
