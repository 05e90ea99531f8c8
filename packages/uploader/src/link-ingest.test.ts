import { describe, expect, it } from 'vitest';
import { isHttpLink, linkFilename } from './link-ingest.ts';

describe('pasted links', () => {
  it('takes http(s) links only', () => {
    expect(isHttpLink('https://cdn.example.com/a.mp4')).toBe(true);
    expect(isHttpLink('  http://example.com/v?x=1 ')).toBe(true);
    for (const text of ['ftp://example.com/a.mp4', 'file:///etc/passwd', 'javascript:alert(1)', 'a.mp4', ''])
      expect(isHttpLink(text), text).toBe(false);
  });

  it('names the row after the last segment of the path, or the host', () => {
    expect(linkFilename('https://cdn.example.com/videos/My%20clip.mp4?sig=1')).toBe('My clip.mp4');
    expect(linkFilename('https://example.com/')).toBe('example.com');
  });
});
