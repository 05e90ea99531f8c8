import { VodkitClient, VodkitError } from '@vodkit/api';

/**
 * The Studio talks to the same /v1 API as any integrator, through `VodkitClient`, with no token:
 * the browser sends the session cookie (httpOnly, so this page never sees it) and the server
 * accepts it on this origin's requests only. A 401 means the session ended: the app shows the
 * sign-in form again.
 */
export const SIGNED_OUT_EVENT = 'studio-signed-out';

async function studioFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const res = await fetch(input, { ...init, credentials: 'same-origin' });
  if (res.status === 401) window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
  return res;
}

export const client = new VodkitClient({ baseUrl: '', fetch: studioFetch });

/** A JSON request the typed client has no method for (Studio session, newer endpoints). */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await studioFetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => undefined)) as
    | { error?: { code?: string; message?: string } }
    | undefined;
  if (!res.ok) {
    throw new VodkitError(
      res.status,
      (json?.error?.code ?? 'internal') as VodkitError['code'],
      json?.error?.message ?? res.statusText,
    );
  }
  return json as T;
}

/** A sentence for an error shown on a page. */
export function describeError(err: unknown): string {
  if (err instanceof VodkitError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}
