import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import { responsiveIframe } from '@vodkit/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { isValidId } from '../ids.ts';
import type { VideoAccess } from '../services/playback.ts';
import { EmbedPage } from './embed-page.ts';

/** Pages that only make sense with the demo's app server behind them. */
const DEMO_PAGES = new Set(['/', '/index.html', '/uploader.html', '/uploader']);

/**
 * The built web side (Vite's demo/dist): the embed page behind `/embed/:videoId`, the oEmbed answer,
 * the drop-in element bundles under `/sdk/`, and — with the demo on — the demo pages.
 */
export default async function siteRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const root = ctx.config.demoDir;
  const built = fs.existsSync(path.join(root, 'index.html')) || fs.existsSync(path.join(root, 'embed.html'));
  const hasEmbed = fs.existsSync(path.join(root, 'embed.html'));
  const embedPage = new EmbedPage(root);

  app.get<{ Params: { videoId: string }; Querystring: { token?: string } }>(
    '/embed/:videoId',
    async (request, reply) => {
      const { videoId } = request.params;
      // The embed page holds a token in its URL: it must not leak in a Referer, nor be sniffed as anything else.
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'same-origin');
      const access = isValidId(videoId) ? await ctx.playback.access(videoId) : null;
      const info = access ? await ctx.videos.publicInfo(videoId) : null;
      if (!access || !info) {
        return reply
          .status(404)
          .type('text/html; charset=utf-8')
          .send(page('Video not found', 'There is no such video, or it is not playable yet.'));
      }
      // Embeds live inside other sites' iframes: the video's (else its key's) allowed origins may frame it.
      reply.header('content-security-policy', `frame-ancestors ${frameAncestors(access.origins)}`);
      reply.header('cache-control', 'no-cache');
      if (access.protected) {
        const refusal = await playbackRefusal(ctx, access, request.query.token);
        if (refusal) {
          return reply
            .status(refusal.status)
            .type('text/html; charset=utf-8')
            .send(page('Protected video', refusal.message));
        }
        reply.header('cache-control', 'private, no-store');
      }
      if (!hasEmbed) return reply.status(503).type('text/html; charset=utf-8').send(NOT_BUILT);
      const token = access.protected ? request.query.token : undefined;
      const url = `${ctx.config.publicUrl}/embed/${videoId}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
      const html = await embedPage.render({
        title: info.title ?? 'Video',
        url,
        oembedEndpoint: `${ctx.config.publicUrl}/oembed`,
      });
      return reply.type('text/html; charset=utf-8').send(html);
    },
  );

  app.get<{ Querystring: { url?: string; maxwidth?: number; maxheight?: number; token?: string } }>(
    '/oembed',
    { schema: { querystring: oembedQuery } },
    async (request, reply) => {
      const url = request.query.url;
      const match = url ? /\/embed\/([a-z0-9]+)(?:\?([^#]*))?(?:#.*)?$/.exec(url) : null;
      if (!url || !match)
        throw new ApiError('validation_failed', 'url must be an embed URL of this server: …/embed/<videoId>');
      const videoId = match[1]!;
      reply.header('access-control-allow-origin', '*');
      const info = await ctx.videos.publicInfo(videoId);
      const access = info ? await ctx.playback.access(videoId) : null;
      if (!info || !access) throw new ApiError('not_found', 'no playable video for this url');
      // A protected video's title and poster are only for holders of its token (in the url or beside it).
      const token = request.query.token ?? new URLSearchParams(match[2] ?? '').get('token') ?? undefined;
      let query = '';
      if (access.protected) {
        if (!token)
          throw new ApiError(
            'playback_token_missing',
            'this video is protected: a playback token is required',
          );
        await ctx.playback.verifyToken(token, access);
        query = `?token=${encodeURIComponent(token)}`;
        reply.header('cache-control', 'private, no-store');
      }
      const aspect = info.width && info.height ? info.height / info.width : 9 / 16;
      let width = Math.min(request.query.maxwidth ?? 640, 1920);
      let height = Math.round(width * aspect);
      const maxHeight = request.query.maxheight;
      // Within both limits, keeping the video's shape (the snippet below is as wide as `width`).
      if (maxHeight !== undefined && height > maxHeight) {
        height = maxHeight;
        width = Math.max(1, Math.round(height / aspect));
      }
      const src = `${ctx.config.publicUrl}/embed/${videoId}${query}`;
      return {
        version: '1.0',
        type: 'video',
        provider_name: 'Vodkit',
        provider_url: ctx.config.publicUrl,
        title: info.title ?? 'Video',
        // Not an oEmbed field: `<vod-player video-id>` reads it to turn 360° video onto a sphere.
        projection: info.projection,
        // Nor this: the source's length, so that a player can say how much of a video still encoding is ready.
        duration: info.duration,
        width,
        height,
        thumbnail_url: `${ctx.config.publicUrl}/stream/${videoId}/poster.jpg${query}`,
        // Responsive: the iframe keeps the video's ratio at any width up to `width`, instead of a
        // fixed box that squeezes and letterboxes on a phone.
        html: responsiveIframe(src, {
          width: info.width,
          height: info.height,
          title: info.title ?? 'Video',
          maxWidth: width,
        }),
      };
    },
  );

  if (!built) {
    app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(NOT_BUILT));
    return;
  }
  // The Studio is one page for all its paths (/studio, /studio/videos/:id, …), answered here with
  // headers an admin page wants: never framed (clickjacking), never cached, no Referer out.
  if (fs.existsSync(path.join(root, 'studio.html'))) {
    const studioPage = async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.url.startsWith('/studio/api/')) {
        throw new ApiError('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`);
      }
      return reply
        .header('content-security-policy', "frame-ancestors 'none'")
        .header('x-frame-options', 'DENY')
        .header('referrer-policy', 'same-origin')
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-cache')
        .sendFile('studio.html', root);
    };
    app.get('/studio', studioPage);
    app.get('/studio/*', studioPage);
  }
  // Only GET/HEAD of paths no API route claims reach the files: `/v1`, `/stream`, `/embed` and
  // `/healthz` are more specific routes and win; a miss falls through to the JSON 404.
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: 'index.html',
    decorateReply: true,
    dotfiles: 'ignore',
    // `.html` optional: /player serves player.html.
    extensions: ['html'],
    cacheControl: false,
    allowedPath: (pathName) => pathName !== '/studio.html' && (ctx.config.demo || !DEMO_PAGES.has(pathName)),
    setHeaders,
  });
  // Scripts and styles: `vite build` wrote .br/.gz beside them, sent as they are to browsers that take
  // them. Registered apart because @fastify/static's `preCompressed` answers `/` (the index) with 404.
  for (const dir of ['assets', 'sdk']) {
    await app.register(fastifyStatic, {
      root: path.join(root, dir),
      prefix: `/${dir}/`,
      decorateReply: false,
      dotfiles: 'ignore',
      cacheControl: false,
      preCompressed: true,
      setHeaders,
    });
  }

  function setHeaders(reply: { header(name: string, value: string): unknown }, filePath: string): void {
    const rel = path.relative(root, filePath).split(path.sep);
    // Module scripts loaded by other sites (the SDK bundles and their chunks) need CORS.
    if (rel[0] === 'assets' || rel[0] === 'sdk') reply.header('access-control-allow-origin', '*');
    // Vite fingerprints everything under assets/; pages and SDK names must be revalidated (ETag).
    reply.header('cache-control', rel[0] === 'assets' ? 'public, max-age=31536000, immutable' : 'no-cache');
  }
}

const oembedQuery = {
  type: 'object',
  properties: {
    url: { type: 'string', maxLength: 4096 },
    // oEmbed sizes are positive pixel counts; anything else is refused rather than guessed.
    maxwidth: { type: 'integer', minimum: 1, maximum: 100_000 },
    maxheight: { type: 'integer', minimum: 1, maximum: 100_000 },
    format: { type: 'string', enum: ['json'] },
    token: { type: 'string', maxLength: 4096 },
  },
} as const;

/** `frame-ancestors` sources: this server and the allowed origins, or anyone when the list is unset. */
export function frameAncestors(origins: readonly string[] | null): string {
  if (origins === null || origins.includes('*')) return '*';
  return ["'self'", ...origins].join(' ');
}

/** Why a protected embed is refused (status and a sentence for the page), or null when the token admits it. */
async function playbackRefusal(
  ctx: AppContext,
  access: VideoAccess,
  token: string | undefined,
): Promise<{ status: number; message: string } | null> {
  if (!token) return { status: 401, message: 'This video is private: it plays only with a playback token.' };
  try {
    await ctx.playback.verifyToken(token, access);
    return null;
  } catch (err) {
    if (err instanceof ApiError)
      return { status: err.status, message: 'This video link has expired or is not valid.' };
    throw err;
  }
}

function page(title: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>html,body{margin:0;height:100%;background:#000;color:#ccc;font:16px system-ui,sans-serif;display:grid;place-items:center}</style>
</head><body><p>${text}</p></body></html>`;
}

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Vodkit</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}code{background:#eee;padding:.1em .3em}</style>
</head>
<body>
<h1>Vodkit is running</h1>
<p>The web pages have not been built yet. Run <code>npm run build</code> (or <code>npm start</code>, which builds first), then reload.</p>
<p>The API answers at <code>/v1</code>; <a href="/healthz">/healthz</a> tells whether the server can take work.</p>
</body>
</html>
`;
