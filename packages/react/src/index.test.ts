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
});
