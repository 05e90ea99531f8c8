/**
 * Fetches an API token from the demo's app server. In your product this is your own backend,
 * which holds the API secret and signs short-lived tokens for signed-in users.
 */
let cached: { token: string; expiresAt: number } | null = null;

export async function appToken(): Promise<string> {
  // Refresh a minute before expiry so a long encode never polls with a dead token.
  if (cached && cached.expiresAt - Date.now() > 60_000) return cached.token;
  const res = await fetch('/demo-app/token', { method: 'POST' });
  if (!res.ok) throw new Error(`the demo app server refused a token (${res.status})`);
  const body = (await res.json()) as { token: string; expiresAt?: string | number };
  const expiresAt = body.expiresAt ? new Date(body.expiresAt).getTime() : Date.now() + 5 * 60_000;
  cached = { token: body.token, expiresAt };
  return body.token;
}
