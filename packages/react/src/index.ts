import { createComponent, type EventName } from '@lit/react';
import {
  type VodEventDetails,
  VodPlayer as VodPlayerElement,
  VodScrubber as VodScrubberElement,
} from '@vodkit/player';
import {
  VOD_UPLOAD_EVENTS,
  type VodUploadEventDetails,
  VodUploader as VodUploaderElement,
} from '@vodkit/uploader';
import * as React from 'react';

/** `vod-upload-start` → `UploadStart`. */
type Pascal<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Capitalize<Head>}${Pascal<Tail>}`
  : Capitalize<S>;

/** `{'vod-ready': D}` → `{onVodReady: EventName<CustomEvent<D>>}`: typed handler props for React. */
export type EventProps<Details> = {
  [K in keyof Details & string as `on${Pascal<K>}`]: EventName<CustomEvent<Details[K]>>;
};

/** Maps event names to `on…` props at run time, the same way the type above does. */
export function eventProps<Details>(names: readonly (keyof Details & string)[]): EventProps<Details> {
  const props: Record<string, string> = {};
  for (const name of names) {
    props[`on${name.replace(/(^|-)([a-z])/g, (_, _dash: string, c: string) => c.toUpperCase())}`] = name;
  }
  return props as EventProps<Details>;
}

/** Every event `<vod-player>` and `<vod-scrubber>` fire (see `@vodkit/player`'s `events.ts`). */
const PLAYER_EVENTS = [
  'vod-ready',
  'vod-error',
  'vod-quality-change',
  'vod-play',
  'vod-pause',
  'vod-time-update',
  'vod-seek',
  'vod-startup',
  'vod-rebuffer-start',
  'vod-rebuffer-end',
  'vod-captions-toggle',
] as const satisfies readonly (keyof VodEventDetails)[];

/**
 * `<vod-player>` for React: attributes as camelCase props (`videoId`, `apiBase`, `token`…), events as
 * `onVodReady`, `onVodError`, `onVodTimeUpdate`…, and a ref to the element for its media API.
 */
export const VodPlayer = createComponent({
  tagName: 'vod-player',
  elementClass: VodPlayerElement,
  react: React,
  events: eventProps<Pick<VodEventDetails, (typeof PLAYER_EVENTS)[number]>>(PLAYER_EVENTS),
});

/** `<vod-scrubber>` for React; `onVodSeek` when the user picks a time. */
export const VodScrubber = createComponent({
  tagName: 'vod-scrubber',
  elementClass: VodScrubberElement,
  react: React,
  events: eventProps<Pick<VodEventDetails, 'vod-seek'>>(['vod-seek']),
});

/**
 * `<vod-uploader>` for React: `tokenUrl`, `multiple`, `encode`, `player`… as props, every event as an
 * `on…` prop (`onVodUploadComplete`, `onVodVideoPlayable`, …) with its typed `detail`.
 */
export const VodUploader = createComponent({
  tagName: 'vod-uploader',
  elementClass: VodUploaderElement,
  react: React,
  events: eventProps<VodUploadEventDetails>(VOD_UPLOAD_EVENTS),
});
