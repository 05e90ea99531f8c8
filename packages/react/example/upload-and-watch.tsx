import { VodPlayer, VodUploader } from '@vodkit/react';
import { useState } from 'react';

/**
 * Upload a video, encode it, and play it as soon as it plays: the uploader follows the job itself, the
 * app only keeps the video id the typed event hands it.
 */
export function UploadAndWatch({ tokenUrl }: { tokenUrl: string }) {
  const [videoId, setVideoId] = useState<string | null>(null);
  const [progress, setProgress] = useState(0);
  return (
    <section>
      <VodUploader
        tokenUrl={tokenUrl}
        multiple
        encode
        maxSize={5_000_000_000}
        onVodEncodingProgress={(e) => setProgress(e.detail.progress)}
        onVodVideoPlayable={(e) => setVideoId(e.detail.videoId)}
        onVodUploadError={(e) => console.warn(e.detail.code, e.detail.message)}
      />
      {videoId ? (
        <VodPlayer videoId={videoId} onVodReady={(e) => console.info('levels', e.detail.levels.length)} />
      ) : (
        <p>{progress > 0 ? `Encoding… ${progress}%` : 'Pick a video to start.'}</p>
      )}
    </section>
  );
}
