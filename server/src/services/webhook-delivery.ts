import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { ForbiddenAddressError, guardedLookup, isForbiddenAddress } from './ssrf.ts';

const SECRET_PREFIX = 'whsec_';

/** A new Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/**
 * The Standard Webhooks headers for one attempt: `webhook-signature` is
 * `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` keyed with the secret's decoded bytes.
 */
export function signatureHeaders(
  secret: string,
  webhookId: string,
  body: string,
  at: Date = new Date(),
): Record<string, string> {
  const key = Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signature = createHmac('sha256', key).update(`${webhookId}.${timestamp}.${body}`).digest('base64');
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
  };
}

export interface SendOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Response bytes read at most (the rest is dropped and the connection closed). */
  maxResponseBytes: number;
  allowPrivate: boolean;
}

export type SendResult =
  | { ok: true; status: number }
  | { ok: false; status: number | null; error: string; code: SendErrorCode };

export type SendErrorCode =
  | 'http_status'
  | 'redirect_refused'
  | 'address_forbidden'
  | 'timeout'
  | 'connection_failed'
  | 'aborted';

/**
 * One POST, no retries: the outbox decides about those. No redirect is followed (a 3xx is a
 * failure: following one would reach an address nobody checked), the connection goes only to an
 * address checked after resolution, and the whole attempt is bounded in time and response bytes.
 */
export function sendWebhook(options: SendOptions, signal?: AbortSignal): Promise<SendResult> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      return resolve({ ok: false, status: null, error: 'invalid URL', code: 'connection_failed' });
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // Node connects to a literal IP without calling `lookup`: check it here.
    if (!options.allowPrivate && net.isIP(host) && isForbiddenAddress(host)) {
      return resolve({
        ok: false,
        status: null,
        error: `${host} is not a public address`,
        code: 'address_forbidden',
      });
    }
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const req = client.request(
      {
        protocol: url.protocol,
        hostname: host,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        // A fresh connection each time: a pooled socket would skip the address check.
        agent: false,
        ...(options.allowPrivate ? {} : { lookup: guardedLookup }),
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(options.body)),
          'user-agent': 'Vodkit-Webhooks/1',
          ...options.headers,
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          // The status is all we need; a receiver may not make us read without end.
          if (bytes > options.maxResponseBytes) res.destroy();
        });
        const done = () => {
          if (status >= 200 && status < 300) finish({ ok: true, status });
          else if (status >= 300 && status < 400) {
            finish({
              ok: false,
              status,
              error: `HTTP ${status}: redirects are not followed`,
              code: 'redirect_refused',
            });
          } else finish({ ok: false, status, error: `HTTP ${status}`, code: 'http_status' });
        };
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({ ok: false, status: null, error: `no answer within ${options.timeoutMs} ms`, code: 'timeout' });
    }, options.timeoutMs);
    const onAbort = () => {
      req.destroy();
      finish({ ok: false, status: null, error: 'aborted', code: 'aborted' });
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof ForbiddenAddressError) {
        finish({ ok: false, status: null, error: err.message, code: 'address_forbidden' });
      } else {
        finish({ ok: false, status: null, error: err.code ?? err.message, code: 'connection_failed' });
      }
    });
    req.end(options.body);
  });
}
