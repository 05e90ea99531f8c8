import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server as TusServer, type Upload } from '@tus/server';
import type { ErrorCode } from '@vodkit/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { isValidId, newId } from '../ids.ts';
import type { Principal } from '../services/auth.ts';
import { UPLOAD_OWNER_KEY, uploadDetails } from '../services/files.ts';
import { UPLOAD_EXPIRY_MS } from '../storage/uploads-store.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** @fastify/cors reads this; false lets tus answer OPTIONS (discovery and preflight) itself. */
    cors?: boolean;
  }
}

const SWEEP_INTERVAL_MS = 3600_000;
const PATH = '/v1/uploads';

/** tus hooks see a web Request (srvx) that carries the Node request it came from. */
type TusRequest = Request & { runtime?: { node?: { req: IncomingMessage } } };

/**
 * tus 1.0 at /v1/uploads: creation, creation-with-upload, termination, expiration. The upload id
 * is the file id. Who may do what is settled by fastify before tus sees the request (JWT with
 * `allow_upload`, and for HEAD/PATCH/DELETE the same API key that created the upload), so those
 * errors are our JSON with CORS headers; tus's own protocol errors are mapped to the same JSON body.
 */
export default async function uploadsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  /** The verified caller of each raw request, for the tus hooks (which only see the raw request). */
  const principals = new WeakMap<IncomingMessage, Principal>();
  /** The upload id fastify checked ownership of, per raw request: the only id tus may act on. */
  const authorizedIds = new WeakMap<IncomingMessage, string>();
  const rawOf = (req: Request): IncomingMessage | undefined => (req as TusRequest).runtime?.node?.req;
  const principalOf = (req: Request): Principal | undefined => {
    const raw = rawOf(req);
    return raw ? principals.get(raw) : undefined;
  };
  /** `proto://host` of each raw request as fastify sees it (X-Forwarded-* only from a trusted proxy). */
  const origins = new WeakMap<IncomingMessage, string>();
  const originOf = (req: Request): string | undefined => {
    const raw = rawOf(req);
    return raw ? origins.get(raw) : undefined;
  };
  /** The id reserved in the key's upload quota for each creation request. */
  const reservedIds = new WeakMap<IncomingMessage, string>();
  const reservedIdOf = (req: Request): string | undefined => {
    const raw = rawOf(req);
    return raw ? reservedIds.get(raw) : undefined;
  };
  const authorizedIdOf = (req: Request): string | undefined => {
    const raw = rawOf(req);
    return raw ? authorizedIds.get(raw) : undefined;
  };

  // Local disk or S3, an in-process or a PostgreSQL lock: storage/uploads-store.ts decides.
  const store = ctx.uploads;
  const tus = new TusServer({
    path: PATH,
    datastore: store.datastore,
    locker: store.locker,
    maxSize: ctx.config.maxUploadBytes,
    // Behind a TLS-terminating proxy the Location must say https and the public host, but only a
    // configured proxy (VOD_TRUST_PROXY) may say so: fastify's protocol/host already apply that rule.
    generateUrl: (req, { path, id }) => `${originOf(req) ?? ctx.config.publicUrl}${path}/${id}`,
    // A finished upload is a file: it goes through DELETE /v1/files/:id, which also removes its videos.
    disableTerminationForFinishedUploads: true,
    // tus's default list lacks it; Uppy shows when a paused upload will be gone.
    exposedHeaders: ['Upload-Expires'],
    // The id was reserved against the key's upload quota before tus saw the request.
    namingFunction: (req) => reservedIdOf(req) ?? newId(),
    // tus would take the id from the last "/" of the whole URL, query string included
    // (`/v1/uploads/<own>?x=/<someone else's>`). The id it acts on is the one fastify authorized.
    getFileIdFromRequest: (req) => authorizedIdOf(req),
    async onIncomingRequest(req, id) {
      // Belt and braces: creation gets a fresh id; everything else must be the authorized one.
      if (req.method !== 'POST' && (id === undefined || id !== authorizedIdOf(req))) {
        throw tusError(404, 'not_found', 'no such upload');
      }
    },
    async onUploadCreate(req, upload) {
      const principal = principalOf(req);
      if (!principal) throw tusError(401, 'auth_missing', 'an API token is required');
      // Whatever the client put under our key is replaced: ownership is ours to record.
      return { metadata: { ...upload.metadata, [UPLOAD_OWNER_KEY]: principal.apiKey } };
    },
    async onUploadFinish(_req, upload) {
      await finish(upload);
      return {};
    },
    onResponseError(_req, err) {
      return toJsonError(err, (e) => app.log.error({ err: e }, 'tus error'));
    },
  });

  const finish = async (upload: Upload): Promise<void> => {
    const apiKey = upload.metadata?.[UPLOAD_OWNER_KEY];
    if (!apiKey) throw tusError(500, 'internal', 'upload without an owner');
    await ctx.quotas.releaseUpload(upload.id);
    // Probe before the last PATCH is answered: the client can read the metadata right away.
    await ctx.files.onUploadFinished({
      fileId: upload.id,
      apiKey,
      size: upload.size ?? upload.offset,
      ...uploadDetails(upload),
    });
  };

  /** What a PATCH wrote: its answer's offset past the one it started at (tus answers 204 with it). */
  const countReceived = (request: FastifyRequest, response: Response): void => {
    const from = Number(request.headers['upload-offset']);
    const to = Number(response.headers.get('upload-offset'));
    if (response.status === 204 && Number.isSafeInteger(from) && Number.isSafeInteger(to) && to > from) {
      ctx.metrics.tusBytes.inc(to - from);
    }
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.hijack();
    origins.set(request.raw, `${request.protocol}://${request.host}`);
    try {
      const response = await tus.handleWeb(tusRequest(request.raw, reply.raw));
      if (request.method === 'PATCH') countReceived(request, response);
      const reserved = reservedIds.get(request.raw);
      if (reserved && response.status !== 201) await ctx.quotas.releaseUpload(reserved);
      if (request.method === 'DELETE' && response.status === 204) {
        await ctx.quotas.releaseUpload((request.params as { id: string }).id);
      }
      await sendResponse(request.raw, reply.raw, response, (e) => request.log.error({ err: e }, 'tus error'));
    } catch (err) {
      const reserved = reservedIds.get(request.raw);
      if (reserved && !(await store.info(reserved).catch(() => null)))
        await ctx.quotas.releaseUpload(reserved).catch(() => {});
      request.log.error({ err }, 'tus handler failed');
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify(new ApiError('internal', 'internal server error').toBody()));
      } else reply.raw.destroy();
    }
  };

  const remember = async (request: FastifyRequest): Promise<void> => {
    principals.set(request.raw, request.principal);
  };
  // An upload's body is hours of video, not JSON: no total deadline (the idle timeout still holds).
  const uploadRoute = { permission: 'allow_upload', streamsBody: true } as const;
  // No tus client sends a query string; refusing it outright leaves nothing for tus to misparse.
  const noQuery = async (request: FastifyRequest): Promise<void> => {
    if (request.raw.url?.includes('?')) {
      throw new ApiError('query_not_allowed', 'upload URLs take no query string');
    }
  };
  const ownerOnly = async (request: FastifyRequest): Promise<void> => {
    const { id } = request.params as { id: string };
    const upload = isValidId(id) ? await store.info(id).catch(() => null) : null;
    // Someone else's upload answers exactly like a missing one.
    if (!upload || upload.metadata[UPLOAD_OWNER_KEY] !== request.principal.apiKey) {
      throw new ApiError('not_found', `no upload ${id}`);
    }
    authorizedIds.set(request.raw, id);
  };
  const tooLarge = async (request: FastifyRequest): Promise<void> => {
    const length = Number(request.headers['upload-length']);
    if (length > ctx.config.maxUploadBytes) {
      throw new ApiError('upload_too_large', `uploads are limited to ${ctx.config.maxUploadBytes} bytes`);
    }
  };
  const reserve = async (request: FastifyRequest): Promise<void> => {
    const raw = request.headers['upload-length'];
    const length = raw === undefined ? Number.NaN : Number(raw);
    const id = newId();
    // A length tus will refuse reserves nothing for long: the reservation goes with the 400.
    await ctx.quotas.reserveUpload(
      id,
      request.principal.apiKey,
      Number.isSafeInteger(length) && length >= 0 ? length : null,
    );
    reservedIds.set(request.raw, id);
  };

  // PATCH (and creation-with-upload) bodies stream straight from the socket into the store.
  app.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null));

  app.route({
    method: 'POST',
    url: PATH,
    config: uploadRoute,
    preHandler: [noQuery, tooLarge, remember, reserve],
    handler: handle,
  });
  app.route({
    method: ['HEAD', 'PATCH', 'DELETE'],
    url: `${PATH}/:id`,
    config: uploadRoute,
    preHandler: [noQuery, ownerOnly, remember],
    handler: handle,
  });
  // OPTIONS needs no token. A browser preflight gets every header it asks for (tus's own answer
  // lists only the tus headers, so an app adding its own header would fail); anything else is
  // tus discovery (Tus-Version, Tus-Extension, Tus-Max-Size).
  const options = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const origin = request.headers.origin;
    if (!origin || !request.headers['access-control-request-method']) return handle(request, reply);
    const headers: Record<string, string> = {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'POST, HEAD, PATCH, DELETE, OPTIONS',
      'access-control-max-age': '86400',
      vary: 'Origin, Access-Control-Request-Headers',
    };
    const asked = request.headers['access-control-request-headers'];
    if (asked) headers['access-control-allow-headers'] = asked;
    return reply.status(204).headers(headers).send();
  };
  app.route({ method: 'OPTIONS', url: PATH, config: { cors: false }, handler: options });
  app.route({ method: 'OPTIONS', url: `${PATH}/:id`, config: { cors: false }, handler: options });

  app.addHook('onReady', async () => {
    const released = await ctx.quotas.reconcile();
    if (released) app.log.info({ released }, 'stale upload reservations released');
  });
  const sweep = () =>
    ctx.files
      .sweepExpiredUploads(UPLOAD_EXPIRY_MS)
      .then(async (n) => {
        if (!n) return;
        await ctx.quotas.reconcile();
        app.log.info({ removed: n }, 'expired uploads removed');
      })
      .catch((err: unknown) => app.log.error({ err }, 'upload sweep failed'));
  const timer = setInterval(sweep, SWEEP_INTERVAL_MS).unref();
  app.addHook('onClose', async () => clearInterval(timer));
}

/**
 * What tus reads of a request (method, url, headers, body, and the Node request for its abort
 * handling), built straight from the Node request. The body is one web stream over the socket
 * with a 1 MiB buffer: srvx's generic adapter (`Readable.toWeb`) pauses the socket after every
 * 64 KiB chunk, which cost about a third of the upload throughput.
 */
function tusRequest(req: IncomingMessage, res: ServerResponse): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const hasBody = req.method === 'PATCH' || req.method === 'POST';
  return {
    method: req.method ?? 'GET',
    url: `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`,
    headers,
    body: hasBody ? nodeBody(req) : null,
    runtime: { node: { req, res } },
  } as unknown as Request;
}

const BODY_BUFFER_BYTES = 1024 * 1024;
const COALESCE_BYTES = 256 * 1024;

function nodeBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  let started = false;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (started) {
          req.resume();
          return;
        }
        started = true;
        // Socket reads are 64 KiB; every chunk costs a hop through tus's stream chain and one
        // fs.write. Handing on 256 KiB pieces costs a copy and saves most of those.
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        const flush = () => {
          if (pendingBytes === 0) return;
          controller.enqueue(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes));
          pending = [];
          pendingBytes = 0;
        };
        req.on('data', (chunk: Buffer) => {
          pending.push(chunk);
          pendingBytes += chunk.length;
          if (pendingBytes < COALESCE_BYTES) return;
          flush();
          if ((controller.desiredSize ?? 1) <= 0) req.pause();
        });
        let ended = false;
        req.once('end', () => {
          ended = true;
          flush();
          controller.close();
        });
        req.once('error', (err) => controller.error(err));
        // A client that goes away mid-body: the store must see an error, not a short clean end.
        req.once('close', () => {
          if (!ended) controller.error(new Error('the client closed the connection mid-body'));
        });
      },
      cancel() {
        req.pause();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: BODY_BUFFER_BYTES }),
  );
}

/** tus answers small bodies; errors it wrote as plain text become our JSON. */
async function sendResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: Response,
  logUnexpected: (err: unknown) => void,
): Promise<void> {
  let body = response.body ? await response.text() : '';
  // The idle timeout already answered 408 and cut the connection: nothing left to say.
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  if (response.status >= 400) {
    if (!body.startsWith('{"error"')) {
      body = toJsonError({ status_code: response.status, body }, logUnexpected).body;
    }
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  // Refused before its body was read (a wrong offset, a size over the limit): the rest of the body
  // is still on the wire, so this connection cannot carry another request.
  if (!req.complete) headers.connection = 'close';
  res.writeHead(response.status, headers);
  res.end(body);
}

function tusError(status: number, code: ErrorCode, message: string): { status_code: number; body: string } {
  return { status_code: status, body: JSON.stringify({ error: { code, message } }) };
}

/** tus writes plain-text errors; ours are `{error: {code, message}}` everywhere. */
function toJsonError(
  err: Error | { status_code: number; body: string },
  logUnexpected: (err: unknown) => void,
): { status_code: number; body: string } {
  if (!('status_code' in err)) {
    logUnexpected(err);
    return tusError(500, 'internal', 'internal server error');
  }
  if (err.body.startsWith('{"error"')) return err;
  const status = err.status_code;
  const message = err.body.trim() || 'upload request failed';
  const code: ErrorCode =
    status === 413
      ? 'upload_too_large'
      : status === 404 || status === 410
        ? 'not_found'
        : status === 409
          ? 'conflict'
          : status >= 500
            ? 'internal'
            : 'validation_failed';
  if (status >= 500) logUnexpected(err);
  return tusError(status, code, status >= 500 ? 'internal server error' : message);
}
