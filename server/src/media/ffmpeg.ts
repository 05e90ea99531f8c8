import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import ffmpeg from 'fluent-ffmpeg';

const run = promisify(execFile);

export interface FfmpegPaths {
  ffmpegPath: string;
  ffprobePath: string;
}

/** The demuxers of still images Vodkit accepts, as a watermark's logo (probed as `image`, never encoded alone). */
export const IMAGE_DEMUXERS = ['png_pipe', 'jpeg_pipe', 'webp_pipe'] as const;

/**
 * Demuxers we accept. Anything that can reference other files or the network (hls, concat, image2
 * sequences, sdp, rtsp, tee, …) is absent on purpose: such a file fails to open instead.
 * ffmpeg matches each name against a demuxer's own comma list, so `mov` covers mp4/m4a/3gp.
 */
export const DEMUXER_ALLOWLIST = [
  'mov',
  'matroska',
  'webm',
  'avi',
  'flv',
  'mpegts',
  'mpeg',
  'asf',
  'ogg',
  'wav',
  'mp3',
  'aac',
  'flac',
  'ivf',
  'mxf',
  'gif',
  'h264',
  'hevc',
  'm4v',
  'yuv4mpegpipe',
  'dv',
  'nut',
  // Still images (a watermark's logo): one picture each, never a sequence of other files (image2 is not here).
  ...IMAGE_DEMUXERS,
] as const;

/** Input options for every untrusted file we probe or encode: local files only, allowlisted demuxers. */
export const SAFE_INPUT_OPTIONS: readonly string[] = [
  '-protocol_whitelist',
  'file',
  '-format_whitelist',
  DEMUXER_ALLOWLIST.join(','),
];

/** A fluent-ffmpeg command bound to our configured binaries (no global state). */
export function ffmpegCommand(paths: FfmpegPaths, input?: string): ffmpeg.FfmpegCommand {
  const cmd = input === undefined ? ffmpeg() : ffmpeg(input);
  cmd.setFfmpegPath(paths.ffmpegPath);
  cmd.setFfprobePath(paths.ffprobePath);
  return cmd;
}

export class FfmpegMissingError extends Error {
  override readonly name = 'FfmpegMissingError';
}

/**
 * Runs `ffmpeg -version` and `ffprobe -version`; returns ffmpeg's version line or throws
 * FfmpegMissingError with a message that says what to install or set.
 */
export async function detectFfmpeg(paths: FfmpegPaths): Promise<string> {
  const check = async (bin: string, envName: string): Promise<string> => {
    try {
      const { stdout } = await run(bin, ['-hide_banner', '-version'], { timeout: 10_000 });
      return stdout.split('\n')[0] ?? bin;
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : String(err);
      throw new FfmpegMissingError(
        `${bin}: ${reason}. Vodkit needs ffmpeg and ffprobe: install them (Debian/Ubuntu: apt-get install ffmpeg; ` +
          `macOS: brew install ffmpeg) or set ${envName} to the binary.`,
      );
    }
  };
  const [version] = await Promise.all([
    check(paths.ffmpegPath, 'FFMPEG_PATH'),
    check(paths.ffprobePath, 'FFPROBE_PATH'),
  ]);
  return version;
}
