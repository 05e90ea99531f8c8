import type { FfmpegPaths } from './ffmpeg.ts';
import type { AudioTrackInfo } from './ladder.ts';
import { capture } from './process.ts';
import { type SourceInput, sourceInputOptions, sourceTarget } from './source.ts';

interface RawAudioStream {
  channels?: number;
  sample_rate?: string;
  disposition?: { default?: number };
  tags?: { language?: string; title?: string };
}

/** Every audio stream of a source with its language, for the audio group (the upload probe keeps only the first). */
export async function probeAudioTracks(
  paths: FfmpegPaths,
  source: SourceInput,
  timeoutMs: number,
): Promise<AudioTrackInfo[]> {
  const out = await capture(
    paths.ffprobePath,
    [
      '-v',
      'error',
      ...sourceInputOptions(source),
      '-select_streams',
      'a',
      '-show_entries',
      'stream=channels,sample_rate:stream_disposition=default:stream_tags=language,title',
      '-of',
      'json',
      sourceTarget(source),
    ],
    timeoutMs,
  );
  return parseAudioTracks(out);
}

export function parseAudioTracks(json: string): AudioTrackInfo[] {
  const streams = (JSON.parse(json) as { streams?: RawAudioStream[] }).streams ?? [];
  return streams.map((s) => {
    const lang = s.tags?.language?.trim();
    return {
      channels: s.channels ?? 2,
      sampleRate: Number(s.sample_rate) || 48000,
      // Only a tag that looks like one reaches the playlist (it is quoted there).
      language: lang && lang !== 'und' && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(lang) ? lang : null,
      title: s.tags?.title?.trim() || null,
      default: s.disposition?.default === 1,
    };
  });
}
