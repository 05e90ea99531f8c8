/**
 * What only some videos need, one chunk that `<vod-player>` imports the first time a video has
 * chapters or is an instant clip (`start`/`end`): the SDK entry stays under its 20 KB.
 */
export { ChaptersController } from './chapters-controller.ts';
export { ClipController } from './clip-controller.ts';
