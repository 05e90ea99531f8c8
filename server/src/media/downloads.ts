import fs from 'node:fs';
import path from 'node:path';
import { type FfmpegPaths, SAFE_INPUT_OPTIONS } from './ffmpeg.ts';
import { AUDIO_DOWNLOAD, downloadFile, INIT_FILE, MEDIA_PLAYLIST } from './layout.ts';
import { readLines } from './m3u8.ts';
import { runFfmpeg } from './process.ts';

/** The init segment and the media segments of a finished rendition, joined: a fragmented MP4. */
async function joinRendition(folder: string, out: string): Promise<void> {
  const playlist = await fs.promises.readFile(path.join(folder, MEDIA_PLAYLIST), 'utf8');
  const parts = [INIT_FILE, ...readLines(playlist).flatMap((l) => (l.kind === 'uri' ? [l.uri] : []))];
  const fh = await fs.promises.open(out, 'w');
  try {
    for (const p of parts) await fh.write(await fs.promises.readFile(path.join(folder, p)));
  } finally {
    await fh.close();
  }
}

/**
 * A progressive faststart MP4 of one finished rung (plus the default audio track): its fMP4 segments
 * remuxed with `-c copy`, no encode. Written to `downloads/<rung>.mp4` via a temp name. Returns its size.
 */
export function makeDownload(
  paths: FfmpegPaths,
  videoDir: string,
  rung: string,
  audioFolder: string | null,
  timeoutMs: number,
): Promise<number> {
  return remux(paths, videoDir, downloadFile(rung), rung, audioFolder, timeoutMs);
}

/**
 * The default audio track alone (its AAC rendition, the same bytes the players get): an `.m4a`
 * (`ipod` muxer: the M4A brand audio players expect), faststart, at `downloads/audio.m4a`. Returns its size.
 */
export function makeAudioDownload(
  paths: FfmpegPaths,
  videoDir: string,
  audioFolder: string,
  timeoutMs: number,
): Promise<number> {
  return remux(paths, videoDir, AUDIO_DOWNLOAD, null, audioFolder, timeoutMs);
}

/** Joins a finished video rung and/or audio rendition and remuxes them (`-c copy`) to `file`. */
async function remux(
  paths: FfmpegPaths,
  videoDir: string,
  file: string,
  rung: string | null,
  audioFolder: string | null,
  timeoutMs: number,
): Promise<number> {
  const target = path.join(videoDir, file);
  const work = path.join(path.dirname(target), `.${path.basename(file)}-work`);
  await fs.promises.mkdir(work, { recursive: true });
  try {
    const inputs: string[] = [];
    if (rung) {
      inputs.push(path.join(work, 'v.mp4'));
      await joinRendition(path.join(videoDir, rung), inputs[0]!);
    }
    if (audioFolder) {
      inputs.push(path.join(work, 'a.mp4'));
      await joinRendition(path.join(videoDir, audioFolder), inputs.at(-1)!);
    }
    const tmp = path.join(work, `out${path.extname(file)}`);
    await runFfmpeg(
      {
        inputOptions: SAFE_INPUT_OPTIONS,
        input: inputs[0]!,
        ...(inputs.length > 1 ? { moreInputs: inputs.slice(1) } : {}),
        filterComplex: '',
        outputs: [
          {
            options: [
              ...(rung ? ['-map', '0:v:0'] : []),
              ...(audioFolder ? ['-map', `${inputs.length - 1}:a:0`] : []),
              '-c',
              'copy',
              '-movflags',
              '+faststart',
              '-f',
              rung ? 'mp4' : 'ipod',
            ],
            target: tmp,
          },
        ],
      },
      { paths, timeoutMs },
    ).done;
    await fs.promises.rename(tmp, target);
    return (await fs.promises.stat(target)).size;
  } finally {
    await fs.promises.rm(work, { recursive: true, force: true });
  }
}
