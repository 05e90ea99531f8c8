import fs from 'node:fs';
import path from 'node:path';
import { type FfmpegPaths, SAFE_INPUT_OPTIONS } from './ffmpeg.ts';
import { downloadFile, INIT_FILE, MEDIA_PLAYLIST } from './layout.ts';
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
export async function makeDownload(
  paths: FfmpegPaths,
  videoDir: string,
  rung: string,
  audioFolder: string | null,
  timeoutMs: number,
): Promise<number> {
  const target = path.join(videoDir, downloadFile(rung));
  const work = path.join(path.dirname(target), `.${rung}-work`);
  await fs.promises.mkdir(work, { recursive: true });
  try {
    const video = path.join(work, 'v.mp4');
    await joinRendition(path.join(videoDir, rung), video);
    const audio = audioFolder ? path.join(work, 'a.mp4') : null;
    if (audio && audioFolder) await joinRendition(path.join(videoDir, audioFolder), audio);
    const tmp = path.join(work, 'out.mp4');
    await runFfmpeg(
      {
        inputOptions: SAFE_INPUT_OPTIONS,
        input: video,
        ...(audio ? { moreInputs: [audio] } : {}),
        filterComplex: '',
        outputs: [
          {
            options: [
              '-map',
              '0:v:0',
              ...(audio ? ['-map', '1:a:0'] : []),
              '-c',
              'copy',
              '-movflags',
              '+faststart',
              '-f',
              'mp4',
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
