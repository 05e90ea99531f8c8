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

const VodPlayerElementComponent = createComponent({
  tagName: 'vod-player',
  elementClass: VodPlayerElement,
  react: React,
  events: eventProps<Pick<VodEventDetails, (typeof PLAYER_EVENTS)[number]>>(PLAYER_EVENTS),
});

export type VodPlayerProps = React.ComponentProps<typeof VodPlayerElementComponent> & {
  /**
   * The video's width / height (`16 / 9`, `'9 / 16'`, `1.5`), default `16 / 9`. Rendered as inline
   * style (`display: block; aspect-ratio; --vod-player-aspect-ratio`), so a server-rendered page
   * reserves the player's box before the element's JavaScript runs, and nothing moves when it upgrades.
   */
  aspectRatio?: string | number;
};

/** `16 / 9` as CSS wants it, from `16 / 9`, `'16/9'` or `1.777`. */
function ratio(value: string | number | undefined): string {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return String(value);
  const match =
    typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(\d+(?:\.\d+)?))?\s*$/.exec(value) : null;
  return match ? (match[2] ? `${match[1]} / ${match[2]}` : match[1]!) : '16 / 9';
}

/**
 * `<vod-player>` for React: attributes as camelCase props (`videoId`, `apiBase`, `token`…), events as
 * `onVodReady`, `onVodError`, `onVodTimeUpdate`…, a ref to the element for its media API, and
 * `aspectRatio` (see `VodPlayerProps`) so that server rendering carries the player's size.
 */
export const VodPlayer = React.forwardRef<VodPlayerElement, VodPlayerProps>(function VodPlayer(
  { aspectRatio, style, ...props },
  ref,
) {
  const r = ratio(aspectRatio);
  const sized = { display: 'block', aspectRatio: r, '--vod-player-aspect-ratio': r } as React.CSSProperties;
  return React.createElement(VodPlayerElementComponent, { ...props, ref, style: { ...sized, ...style } });
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
