import type { SphereView } from './sphere-view.ts';

/** Degrees per key press. */
const KEY_STEP = 10;
/** A pointer that moved this far is a drag, not a click. */
const DRAG_SLOP_PX = 5;

interface IOSOrientationEvent {
  requestPermission?: () => Promise<'granted' | 'denied'>;
}

/**
 * Turns drags, pinches, the wheel, keys and the device's motion into changes of a `SphereView`.
 * Lives in the sphere's chunk (with three.js): a flat video never loads it.
 */
export class SphereInput {
  readonly #view: SphereView;
  readonly #container: HTMLElement;
  readonly #changed: () => void;
  readonly #pointers = new Map<number, { x: number; y: number }>();
  #moved = 0;
  #dragged = false;
  #pinch = 0;
  motion = false;

  constructor(view: SphereView, container: HTMLElement, changed: () => void) {
    this.#view = view;
    this.#container = container;
    this.#changed = changed;
  }

  /** Arrow keys turn the view, + and - zoom; true when the key was used. */
  handleKey(key: string): boolean {
    const turns: Record<string, [number, number]> = {
      ArrowLeft: [-KEY_STEP, 0],
      ArrowRight: [KEY_STEP, 0],
      ArrowUp: [0, KEY_STEP],
      ArrowDown: [0, -KEY_STEP],
    };
    const turn = turns[key];
    if (turn) this.#view.turn(turn[0], turn[1]);
    else if (key === '+' || key === '=') this.#view.zoom(0.9);
    else if (key === '-' || key === '_') this.#view.zoom(1 / 0.9);
    else return false;
    return true;
  }

  /** iOS asks the viewer first, and only from a tap. Resolves to whether motion is now followed. */
  async toggleMotion(): Promise<boolean> {
    if (this.motion) {
      this.motion = false;
    } else {
      const ask = (window.DeviceOrientationEvent as unknown as IOSOrientationEvent | undefined)
        ?.requestPermission;
      const answer = ask ? await ask().catch(() => 'denied' as const) : 'granted';
      this.motion = answer === 'granted';
    }
    this.#view.followDevice(this.motion);
    this.#changed();
    return this.motion;
  }

  // --- pointers: one drags, two pinch ------------------------------------------------------------

  down(e: PointerEvent): void {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    this.#pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (this.#pointers.size === 1) {
      this.#moved = 0;
      this.#dragged = false;
    }
    this.#pinch = this.#spread();
    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
  }

  move(e: PointerEvent): void {
    const last = this.#pointers.get(e.pointerId);
    if (!last) return;
    const dx = e.clientX - last.x;
    const dy = e.clientY - last.y;
    this.#pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    this.#moved += Math.abs(dx) + Math.abs(dy);
    if (this.#moved > DRAG_SLOP_PX) this.#dragged = true;
    if (this.#pointers.size >= 2) {
      const spread = this.#spread();
      if (this.#pinch > 0 && spread > 0) this.#view.zoom(this.#pinch / spread);
      this.#pinch = spread;
      return;
    }
    // Grab the picture: dragging right pulls the scene right, i.e. looks left.
    const degPerPx = this.#view.angles.fov / Math.max(this.#container.clientHeight, 1);
    this.#view.turn(-dx * degPerPx, dy * degPerPx);
  }

  up(e: PointerEvent): void {
    this.#pointers.delete(e.pointerId);
    this.#pinch = this.#spread();
  }

  wheel(e: WheelEvent): void {
    e.preventDefault();
    this.#view.zoom(e.deltaY > 0 ? 1.08 : 1 / 1.08);
  }

  /** True once after a drag: the click that ends a drag must not toggle playback. */
  consumeDrag(): boolean {
    const dragged = this.#dragged;
    this.#dragged = false;
    return dragged;
  }

  #spread(): number {
    const [a, b] = [...this.#pointers.values()];
    return a && b ? Math.hypot(a.x - b.x, a.y - b.y) : 0;
  }
}
