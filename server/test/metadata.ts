import type { MediaMetadata, VideoStreamInfo } from '@vodkit/api';

/** What the upload probe records for an H.264/AAC MP4 of this size (for pure planning tests). */
export function h264Metadata(
  width: number,
  height: number,
  video: Partial<VideoStreamInfo> = {},
  extra: Partial<MediaMetadata> = {},
): MediaMetadata {
  return {
    container: 'mov,mp4,m4a,3gp,3g2,mj2',
    duration: 60,
    size: 1_000_000,
    bitrate: 1_000_000,
    video: {
      codec: 'h264',
      profile: 'High',
      width,
      height,
      codedWidth: width,
      codedHeight: height,
      fps: 30,
      pixFmt: 'yuv420p',
      bitDepth: 8,
      hdr: false,
      rotation: 0,
      projection: 'flat',
      bitrate: null,
      ...video,
    },
    audio: { codec: 'aac', channels: 2, sampleRate: 48000, bitrate: 128000 },
    ...extra,
  };
}
