import type { PlayerErrorCode } from './errors.ts';

/** One rendition of the ladder as the player offers it. */
export interface QualityLevel {
  /** Index to assign to `player.level`. */
  index: number;
  width: number;
  height: number;
  /** Peak bits per second the playlist announces (`BANDWIDTH`). */
  bitrate: number;
  /** `NAME` from the master playlist, else e.g. `720p`. */
  name: string;
}

/**
 * The `detail` of every custom event the Vodkit player elements fire, by event name. This is the one
 * place events are declared: `fire()` and `HTMLElementEventMap` are both typed from it.
 */
export interface VodEventDetails {
  /** The master and first media playlist are loaded: the ladder and the duration are known. */
  'vod-ready': { levels: QualityLevel[]; duration: number; live: boolean };
  /** `fatal: false` means the player is recovering by itself (one retry); `fatal: true` stops playback. */
  'vod-error': { code: PlayerErrorCode; message: string; fatal: boolean; status?: number };
  /**
   * The rendition on screen changed; `auto` tells whether adaptive selection chose it, `switches`
   * counts the changes since the first rendition (a QoE figure).
   */
  'vod-quality-change': { level: number; height: number; width: number; auto: boolean; switches: number };
  'vod-play': { currentTime: number };
  'vod-pause': { currentTime: number };
  /** Throttled by the media element (about 4 per second). */
  'vod-time-update': { currentTime: number; duration: number };
  /** The user picked a time on a `<vod-scrubber>` (click, drag end or keyboard). */
  'vod-seek': { time: number };
  /** QoE: the first frame played, `ms` after playback was first asked for. */
  'vod-startup': { ms: number };
  /** QoE: playback stalled for want of data (not a seek); `count` stalls so far. */
  'vod-rebuffer-start': { count: number; currentTime: number };
  /** QoE: the stall ended after `ms`; `totalMs` of stalls so far. */
  'vod-rebuffer-end': { count: number; ms: number; totalMs: number };
  /**
   * The viewer asked to toggle captions (the C key). Cancelable: a captions menu handles it and calls
   * `preventDefault()`; unhandled, the player toggles the first text track itself.
   */
  'vod-captions-toggle': Record<string, never>;
}

export type VodEventName = keyof VodEventDetails;
export type VodEventMap = { [K in VodEventName]: CustomEvent<VodEventDetails[K]> };

/**
 * Dispatches a typed Vodkit event. They bubble and are composed so that a page sees the events of a
 * player that sits inside another component's shadow root.
 */
export function fire<K extends VodEventName>(
  target: EventTarget,
  type: K,
  detail: VodEventDetails[K],
): boolean {
  return target.dispatchEvent(
    new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable: true }),
  );
}

declare global {
  interface HTMLElementEventMap extends VodEventMap {}
}
