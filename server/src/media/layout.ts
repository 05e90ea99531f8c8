/**
 * The output layout of one video folder: names only, no fs and no ffmpeg, so services and routes can
 * build URLs and clean up without touching the encoder. Paths are relative (also used in URLs).
 *
 *   master.m3u8                  written by Vodkit (media/playlists.ts)
 *   poster.jpg
 *   <rung>/index.m3u8            one folder per video rung, named by its short side: 240 … 2160
 *   <rung>/init.mp4, seg_NNNNN.m4s
 *   audio-<n>/…                  one folder per audio track of the source, same files
 */
export const MASTER_PLAYLIST = 'master.m3u8';
export const POSTER_FILE = 'poster.jpg';
export const MEDIA_PLAYLIST = 'index.m3u8';
export const IFRAME_PLAYLIST = 'iframes.m3u8';
export const INIT_FILE = 'init.mp4';
/** ffmpeg's own playlist of a rendition: hidden (never served) and never read by players. */
export const FFMPEG_PLAYLIST = '.ffmpeg.m3u8';
export const SEGMENT_PATTERN = 'seg_%05d.m4s';
export const SEGMENT_NAME = /^seg_(\d{5,})\.m4s$/;
/** Chunked encoding's scratch folder (`.chunks/<k>/<rung>/`): hidden, never served, gone at the end. */
export const CHUNKS_FOLDER = '.chunks';
/** The rest process's copy of the start group's rung (`.handoff/<rung>/`): hidden, moved in, gone at the end. */
export const HANDOFF_FOLDER = '.handoff';

/** The folder of the `n`th audio track (0-based, in source order). */
export const audioFolder = (n: number): string => `audio-${n}`;

/** Progressive MP4 downloads: `downloads/<rung>.mp4`; the default audio track alone: `downloads/audio.m4a`. */
export const DOWNLOADS_FOLDER = 'downloads';
export const downloadFile = (rung: string): string => `${DOWNLOADS_FOLDER}/${rung}.mp4`;
export const AUDIO_DOWNLOAD = `${DOWNLOADS_FOLDER}/audio.m4a`;

export const variantPlaylist = (folder: string): string => `${folder}/${MEDIA_PLAYLIST}`;

const RUNG_FOLDER = /^(240|360|480|720|1080|1440|2160)$/;
const AUDIO_FOLDER = /^audio(-\d+)?$/;

/**
 * Whether a top-level entry of a video folder is the encoder's to delete before a re-run. Other
 * features' folders (`thumbs/`, `storyboard*`, `subtitles/`, …) stay.
 */
export function isEncoderOutput(entry: string): boolean {
  return (
    entry === MASTER_PLAYLIST ||
    entry === `${MASTER_PLAYLIST}.tmp` ||
    entry === POSTER_FILE ||
    entry === `${POSTER_FILE}.tmp` ||
    entry === DOWNLOADS_FOLDER ||
    entry === CHUNKS_FOLDER ||
    entry === HANDOFF_FOLDER ||
    RUNG_FOLDER.test(entry) ||
    AUDIO_FOLDER.test(entry)
  );
}
