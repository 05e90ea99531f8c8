/** A tap on the picture: the left, middle or right third. */
export type TapZone = 'left' | 'center' | 'right';

/** Two taps on the same side within this long are a double tap (as on phones' own players). */
export const DOUBLE_TAP_MS = 300;
/** Seconds a double tap seeks; each further quick tap seeks as much again. */
export const DOUBLE_TAP_SEEK_S = 10;

export function tapZone(x: number, width: number): TapZone {
  if (x < width / 3) return 'left';
  return x > (width * 2) / 3 ? 'right' : 'center';
}

/**
 * Double tap on the left or right third seeks back or forward (`seek`). A touch tap on a side waits
 * `DOUBLE_TAP_MS` before it does what a tap does (play/pause, show the controls), so the first tap of
 * a double does not also pause; the middle third and mouse clicks act at once, and a double tap there
 * is still fullscreen.
 */
export class TouchGestures {
  readonly #seek: (seconds: number) => void;
  #touch = false;
  #last: { zone: TapZone; at: number } | null = null;
  #pending: ReturnType<typeof setTimeout> | undefined;

  constructor(seek: (seconds: number) => void) {
    this.#seek = seek;
  }

  /** Read at pointerdown: a click does not always say which pointer made it. */
  pointerDown(e: PointerEvent): void {
    this.#touch = e.pointerType === 'touch';
  }

  click(e: MouseEvent, single: () => void): void {
    if (!this.#touch) {
      single();
      return;
    }
    const box = (e.currentTarget as Element).getBoundingClientRect();
    const zone = tapZone(e.clientX - box.left, box.width);
    const last = this.#last;
    this.#last = { zone, at: e.timeStamp };
    if (zone === 'center') {
      single();
      return;
    }
    if (last?.zone === zone && e.timeStamp - last.at < DOUBLE_TAP_MS) {
      clearTimeout(this.#pending);
      this.#pending = undefined;
      this.#seek(zone === 'left' ? -DOUBLE_TAP_SEEK_S : DOUBLE_TAP_SEEK_S);
      return;
    }
    clearTimeout(this.#pending);
    this.#pending = setTimeout(single, DOUBLE_TAP_MS);
  }

  /** A double tap on a side was a seek: the browser's `dblclick` then must not go fullscreen. */
  dblclick(fullscreen: () => void): void {
    if (this.#touch && this.#last?.zone !== 'center') return;
    fullscreen();
  }

  cancel(): void {
    clearTimeout(this.#pending);
    this.#pending = undefined;
  }
}
