import { describe, expect, it } from 'vitest';
import { checkWebhookUrl, ingestRefuses, isForbiddenAddress, isMetadataAddress } from './ssrf.ts';

describe('isForbiddenAddress', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '0.0.0.0',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254', // AWS/GCP/Azure metadata
    '100.64.0.1', // CGNAT
    '100.100.100.200', // Alibaba metadata (CGNAT range)
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254', // AWS metadata over IPv6 (unique local)
    'fc00::1',
    '::ffff:127.0.0.1', // IPv4-mapped
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '::127.0.0.1', // IPv4-compatible
    '2002:7f00:1::', // 6to4 of 127.0.0.1
    '64:ff9b::a00:1', // NAT64 of 10.0.0.1
    'not an ip',
  ])('refuses %s', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(true);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
  ])('allows %s', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(false);
  });
});

describe('checkWebhookUrl', () => {
  it.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook',
    'http://api.localhost/hook',
    'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://2130706433/hook', // 127.0.0.1 as one decimal number: the URL parser normalizes it
    'http://0x7f.1/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.5/hook',
  ])('refuses %s as forbidden', async (url) => {
    const result = await checkWebhookUrl(url, false);
    expect(result).toMatchObject({ ok: false, forbidden: true });
  });

  it('accepts private addresses when allowed', async () => {
    expect(await checkWebhookUrl('http://127.0.0.1:8080/hook', true)).toEqual({
      ok: true,
      url: 'http://127.0.0.1:8080/hook',
    });
  });

  it.each(['ftp://example.com/x', 'not a url', 'javascript:alert(1)', 'https://user:pw@example.com/hook'])(
    'refuses %s as invalid',
    async (url) => {
      expect(await checkWebhookUrl(url, true)).toMatchObject({ ok: false, forbidden: false });
    },
  );

  it('accepts a public literal address', async () => {
    expect(await checkWebhookUrl('https://8.8.8.8/hook', false)).toMatchObject({ ok: true });
  });
});

describe('ingestRefuses (link ingest)', () => {
  it.each([
    '169.254.169.254',
    '169.254.170.2',
    '100.100.100.200',
    'fd00:ec2::254',
    'FD00:EC2:0:0:0:0:0:254',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '2002:a9fe:a9fe::', // 6to4
    '64:ff9b::a9fe:a9fe', // NAT64
    '64:ff9b::169.254.169.254',
    'not an ip',
  ])('refuses the metadata address %s even with VOD_INGEST_ALLOW_PRIVATE', (ip) => {
    expect(isMetadataAddress(ip)).toBe(true);
    expect(ingestRefuses(ip, true)).toBe(true);
    expect(ingestRefuses(ip, false)).toBe(true);
  });

  it.each(['127.0.0.1', '10.0.0.1', '::1', 'fd12::1', '100.64.0.1', '169.254.1.1'])(
    'refuses %s as webhooks do, and allows it with VOD_INGEST_ALLOW_PRIVATE',
    (ip) => {
      expect(ingestRefuses(ip, false)).toBe(true);
      expect(ingestRefuses(ip, true)).toBe(false);
    },
  );

  it.each(['8.8.8.8', '2606:4700:4700::1111'])('allows the public address %s', (ip) => {
    expect(ingestRefuses(ip, false)).toBe(false);
  });
});
