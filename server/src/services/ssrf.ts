import dns from 'node:dns';
import net from 'node:net';

/**
 * Addresses a webhook must never reach unless `VOD_WEBHOOK_ALLOW_PRIVATE=1`: this host, the
 * operator's networks, and cloud metadata services (169.254.169.254, fd00:ec2::254 and
 * 100.100.100.200 fall in the link-local, unique-local and CGNAT ranges below).
 */
const FORBIDDEN = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  FORBIDDEN.addSubnet(prefix, bits, 'ipv4');
}
for (const [prefix, bits] of [
  ['::', 127], // unspecified and loopback
  ['64:ff9b::', 96], // NAT64: reaches IPv4 addresses through a translator
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // old site-local
  ['ff00::', 8], // multicast
] as const) {
  FORBIDDEN.addSubnet(prefix, bits, 'ipv6');
}

/** The eight 16-bit words of an IPv6 address, via the URL parser's canonical (dot-free) form. */
function ipv6Words(ip: string): number[] | null {
  let canonical: string;
  try {
    canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const [head, tail] = canonical.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill: string[] = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  const words = [...h, ...fill, ...t].map((w) => Number.parseInt(w, 16));
  return words.length === 8 && words.every((w) => w >= 0 && w <= 0xffff) ? words : null;
}

/** The IPv4 address an IPv6 address carries (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, 6to4). */
function embeddedIpv4(words: number[]): string | null {
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (words.slice(0, 5).every((w) => w === 0) && (words[5] === 0xffff || words[5] === 0)) {
    return v4(words[6]!, words[7]!);
  }
  if (words[0] === 0x2002) return v4(words[1]!, words[2]!);
  return null;
}

/** True for an address a webhook may not connect to (see FORBIDDEN); anything unparsable counts. */
export function isForbiddenAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = net.isIP(bare);
  if (family === 4) return FORBIDDEN.check(bare, 'ipv4');
  if (family !== 6) return true;
  const words = ipv6Words(bare);
  if (!words) return true;
  const v4 = embeddedIpv4(words);
  // `::` and `::1` are "compatible" forms of 0.0.0.0 and 0.0.0.1: forbidden either way.
  if (v4 !== null) return isForbiddenAddress(v4);
  return FORBIDDEN.check(bare, 'ipv6');
}

/**
 * Cloud metadata services: refused to link ingest even with `VOD_INGEST_ALLOW_PRIVATE=1` (a
 * development machine on a cloud VM must not hand its instance credentials to whoever sends a URL).
 * AWS/GCP/Azure 169.254.169.254, AWS ECS task metadata 169.254.170.2, Alibaba 100.100.100.200,
 * AWS's IPv6 fd00:ec2::254; judged also through IPv4-mapped, -compatible, 6to4 and NAT64 forms.
 */
const METADATA_V4 = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200']);

export function isMetadataAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = net.isIP(bare);
  if (family === 4) return METADATA_V4.has(bare);
  if (family !== 6) return true;
  const words = ipv6Words(bare);
  if (!words) return true;
  const v4 = embeddedIpv4(words) ?? nat64Ipv4(words);
  if (v4 !== null) return METADATA_V4.has(v4);
  // fd00:ec2::254
  return words.join(':') === [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254].join(':');
}

/** The IPv4 address behind the well-known NAT64 prefix 64:ff9b::/96. */
function nat64Ipv4(words: number[]): string | null {
  if (words[0] !== 0x64 || words[1] !== 0xff9b || !words.slice(2, 6).every((w) => w === 0)) return null;
  const [hi, lo] = [words[6]!, words[7]!];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/**
 * The rule link ingest connects by: webhooks' rule (`isForbiddenAddress`), lifted by
 * `VOD_INGEST_ALLOW_PRIVATE` except for metadata addresses, which stay refused.
 */
export function ingestRefuses(ip: string, allowPrivate: boolean): boolean {
  return isMetadataAddress(ip) || (!allowPrivate && isForbiddenAddress(ip));
}

/** An error a URL or address is refused with; `code` is what the delivery log shows. */
export class ForbiddenAddressError extends Error {
  override readonly name = 'ForbiddenAddressError';
  readonly code = 'EWEBHOOKFORBIDDEN';
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

export type GuardedLookup = (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => void;

/**
 * A `lookup` for http(s).request: resolves like `dns.lookup` and refuses the connection when any
 * address is refused by `refuses`, so the address checked is the address connected to (no second
 * resolution an attacker's DNS could answer differently). Literal IPs never reach a lookup: check
 * them first.
 */
export function lookupRefusing(refuses: (ip: string) => boolean, who: string): GuardedLookup {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const bad = addresses.find((a) => refuses(a.address));
      if (bad || addresses.length === 0) {
        return callback(
          new ForbiddenAddressError(
            `${hostname} resolves to ${bad?.address ?? 'nothing'}, which ${who} may not reach`,
          ),
          [],
        );
      }
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** Webhook deliveries' lookup (see `lookupRefusing`). */
export const guardedLookup: GuardedLookup = lookupRefusing(isForbiddenAddress, 'webhooks');

/** How long registration waits for DNS before accepting a name it cannot judge yet. */
const REGISTRATION_DNS_TIMEOUT_MS = 2000;

/**
 * Checks a webhook URL when it is registered: http(s), no credentials, and (unless private
 * addresses are allowed) not an address or name that resolves to a forbidden one. A name that does
 * not resolve now is accepted: every delivery checks again after resolving, which is what counts.
 * Returns the normalized URL; throws a message for the caller to wrap.
 */
export async function checkWebhookUrl(
  raw: string,
  allowPrivate: boolean,
): Promise<{ ok: true; url: string } | { ok: false; forbidden: boolean; message: string }> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, forbidden: false, message: 'the webhook URL is not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, forbidden: false, message: 'the webhook URL must be http or https' };
  }
  if (url.username || url.password) {
    return { ok: false, forbidden: false, message: 'the webhook URL must not carry credentials' };
  }
  if (url.href.length > 2048) return { ok: false, forbidden: false, message: 'the webhook URL is too long' };
  if (allowPrivate) return { ok: true, url: url.href };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const refuse = (why: string) => ({
    ok: false as const,
    forbidden: true,
    message: `${why}: webhooks may not reach loopback, private, link-local or metadata addresses (VOD_WEBHOOK_ALLOW_PRIVATE=1 allows them)`,
  });
  if (net.isIP(host))
    return isForbiddenAddress(host) ? refuse(`${host} is not a public address`) : { ok: true, url: url.href };
  if (host === 'localhost' || host.endsWith('.localhost')) return refuse(`${host} is this machine`);
  const addresses = await Promise.race([
    dns.promises.lookup(host, { all: true }).catch(() => null),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), REGISTRATION_DNS_TIMEOUT_MS).unref()),
  ]);
  const bad = addresses?.find((a) => isForbiddenAddress(a.address));
  if (bad) return refuse(`${host} resolves to ${bad.address}`);
  return { ok: true, url: url.href };
}
