import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { eventProps, VodPlayer, VodUploader } from './index.ts';

describe('@vodkit/react', () => {
  it('names every event prop on + the whole event name, so none collides with React’s own (onPlay)', () => {
    expect(eventProps(['vod-upload-complete', 'vod-play', 'vod-video-playable'])).toEqual({
      onVodUploadComplete: 'vod-upload-complete',
      onVodPlay: 'vod-play',
      onVodVideoPlayable: 'vod-video-playable',
    });
  });

  it('renders the custom elements on the server (from the TypeScript source, as the repo runs it)', () => {
    const html = renderToString(
      createElement(
        'main',
        null,
        createElement(VodUploader, { multiple: true }),
        createElement(VodPlayer, {}),
      ),
    );
    expect(html).toContain('<vod-uploader');
    expect(html).toContain('<vod-player');
  });

  it('server-renders the player with its size, so the page does not move when it upgrades', () => {
    const html = (props: Record<string, unknown>) => renderToString(createElement(VodPlayer, props));
    expect(html({ videoId: 'v1' })).toContain(
      'style="display:block;aspect-ratio:16 / 9;--vod-player-aspect-ratio:16 / 9"',
    );
    expect(html({ aspectRatio: '9/16' })).toContain('aspect-ratio:9 / 16;--vod-player-aspect-ratio:9 / 16');
    expect(html({ aspectRatio: 2.35, style: { maxWidth: 640 } })).toContain(
      'aspect-ratio:2.35;--vod-player-aspect-ratio:2.35;max-width:640px',
    );
  });
});
