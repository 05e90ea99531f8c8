import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { SphereView, ViewAngles } from './sphere-view.ts';

/** `off` flat, `loading` fetching three.js, `on` on the sphere, `no-webgl` wanted but impossible. */
export type View360State = 'off' | 'loading' | 'on' | 'no-webgl';

/** Degrees per key press and per pixel of drag (scaled by the field of view). */
const KEY_STEP = 10;
/** A pointer that moved this far is a drag, not a click. */
const DRAG_SLOP_PX = 5;

interface IOSOrientationEvent {
  requestPermission?: () => Promise<'granted' | 'denied'>;
}

/** Whether WebGL 2 (what three.js needs) can be had, asked without importing three.js. */
export function webgl2Available(): boolean {
  try {
    return !!document.createElement('canvas').getContext('webgl2');
  } catch {
    return false;
  }
}

/**
 * Renders the host's video on a sphere when it is 360°: imports `sphere-view.ts` (and with it three.js)
 * on first use, turns drags, pinches, the wheel and keys into view changes, and follows the device's
 * motion once the viewer allows it. Everything about three.js stays behind that one import.
 */
export class View360Controller implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #video: HTMLVideoElement;
  #state: View360State = 'off';
  #view: SphereView | null = null;
  #container: HTMLElement | null = null;
  #generation = 0;
  #motion = false;
  readonly #pointers = new Map<number, { x: number; y: number }>();
  #moved = 0;
  #dragged = false;
  #pinch = 0;

  constructor(host: ReactiveControllerHost, video: HTMLVideoElement) {
    this.#host = host;
    this.#video = video;
    host.addController(this);
  }

  get state(): View360State {
    return this.#state;
  }

  /** Where the camera looks, or null when flat. */
  get angles(): ViewAngles | null {
    return this.#view?.angles ?? null;
  }

  /** Frames the sphere has rendered: for frame-rate measurements. */
  get frames(): number {
    return this.#view?.frames ?? 0;
  }

  get motion(): boolean {
    return this.#motion;
  }

  /** Whether this device can report its orientation (a phone or tablet). */
  get motionAvailable(): boolean {
    return 'DeviceOrientationEvent' in window && matchMedia('(pointer: coarse)').matches;
  }

  /** Shows the video on a sphere inside `container`, or goes flat again with `null`. */
  async enable(container: HTMLElement | null): Promise<void> {
    if (container === this.#container) return;
    this.#teardown();
    this.#container = container;
    if (!container) return this.#setState('off');
    if (!webgl2Available()) return this.#setState('no-webgl');
    const generation = ++this.#generation;
    this.#setState('loading');
    const { SphereView } = await import('./sphere-view.ts');
    if (generation !== this.#generation) return;
    try {
      this.#view = new SphereView(container, this.#video);
    } catch {
      return this.#setState('no-webgl');
    }
    this.#setState('on');
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.#teardown();
    this.#container = null;
    this.#state = 'off';
  }

  turn(yaw: number, pitch: number): void {
    this.#view?.turn(yaw, pitch);
  }

  zoom(factor: number): void {
    this.#view?.zoom(factor);
  }

  reset(): void {
    this.#view?.reset();
  }

  /** Arrow keys turn the view, + and - zoom; true when the key was used. */
  handleKey(key: string): boolean {
    if (this.#state !== 'on') return false;
    const turns: Record<string, [number, number]> = {
      ArrowLeft: [-KEY_STEP, 0],
      ArrowRight: [KEY_STEP, 0],
      ArrowUp: [0, KEY_STEP],
      ArrowDown: [0, -KEY_STEP],
    };
    const turn = turns[key];
    if (turn) this.turn(turn[0], turn[1]);
    else if (key === '+' || key === '=') this.zoom(0.9);
    else if (key === '-' || key === '_') this.zoom(1 / 0.9);
    else return false;
    return true;
  }

  /**
   * Follows the device's motion. iOS asks the viewer first, and only from a tap: call this from a
   * click handler. Resolves to whether motion is now followed.
   */
  async toggleMotion(): Promise<boolean> {
    if (!this.#view) return false;
    if (this.#motion) {
      this.#motion = false;
    } else {
      const ask = (window.DeviceOrientationEvent as unknown as IOSOrientationEvent | undefined)
        ?.requestPermission;
      const answer = ask ? await ask().catch(() => 'denied' as const) : 'granted';
      this.#motion = answer === 'granted';
    }
    this.#view.followDevice(this.#motion);
    this.#host.requestUpdate();
    return this.#motion;
  }

  // --- pointers: one drags, two pinch ------------------------------------------------------------

  onPointerDown = (e: PointerEvent): void => {
    if (this.#state !== 'on' || (e.pointerType === 'mouse' && e.button !== 0)) return;
    this.#pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (this.#pointers.size === 1) {
      this.#moved = 0;
      this.#dragged = false;
    }
    this.#pinch = this.#spread();
    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
  };

  onPointerMove = (e: PointerEvent): void => {
    const last = this.#pointers.get(e.pointerId);
    if (!last || !this.#view || !this.#container) return;
    const dx = e.clientX - last.x;
    const dy = e.clientY - last.y;
    this.#pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    this.#moved += Math.abs(dx) + Math.abs(dy);
    if (this.#moved > DRAG_SLOP_PX) this.#dragged = true;
    if (this.#pointers.size >= 2) {
      const spread = this.#spread();
      if (this.#pinch > 0 && spread > 0) this.zoom(this.#pinch / spread);
      this.#pinch = spread;
      return;
    }
    // Grab the picture: dragging right pulls the scene right, i.e. looks left.
    const degPerPx = this.#view.angles.fov / Math.max(this.#container.clientHeight, 1);
    this.turn(-dx * degPerPx, dy * degPerPx);
  };

  onPointerUp = (e: PointerEvent): void => {
    this.#pointers.delete(e.pointerId);
    this.#pinch = this.#spread();
  };

  onWheel = (e: WheelEvent): void => {
    if (this.#state !== 'on') return;
    e.preventDefault();
    this.zoom(e.deltaY > 0 ? 1.08 : 1 / 1.08);
  };

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

  #setState(state: View360State): void {
    this.#state = state;
    this.#host.requestUpdate();
  }

  #teardown(): void {
    this.#generation++;
    this.#view?.destroy();
    this.#view = null;
    this.#motion = false;
    this.#pointers.clear();
  }
}
