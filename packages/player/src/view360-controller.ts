import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { SphereInput } from './sphere-input.ts';
import type { SphereView, ViewAngles } from './sphere-view.ts';

/**
 * `off` flat, `loading` fetching three.js, `on` on the sphere, `no-webgl` wanted but impossible,
 * `no-three` wanted but the optional `three` package is not installed (it plays flat).
 */
export type View360State = 'off' | 'loading' | 'on' | 'no-webgl' | 'no-three';

/** Whether WebGL 2 (what three.js needs) can be had, asked without importing three.js. */
export function webgl2Available(): boolean {
  try {
    return !!document.createElement('canvas').getContext('webgl2');
  } catch {
    return false;
  }
}

/**
 * Renders the host's video on a sphere when it is 360°: imports `sphere-view.ts` (and with it
 * three.js, and the input handling of `sphere-input.ts`) on first use, and hands it the pointers,
 * wheel and keys. Everything about three.js, and all but this shim, stays behind that one import.
 */
export class View360Controller implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #video: HTMLVideoElement;
  #state: View360State = 'off';
  #view: SphereView | null = null;
  #input: SphereInput | null = null;
  #container: HTMLElement | null = null;
  #generation = 0;

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
    return this.#input?.motion ?? false;
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
    // `three` is an optional peer of the package: without it the import fails, and the video plays flat.
    const chunk = await import('./sphere-view.ts').catch(() => null);
    if (generation !== this.#generation) return;
    if (!chunk) return this.#setState('no-three');
    try {
      this.#view = new chunk.SphereView(container, this.#video);
    } catch {
      return this.#setState('no-webgl');
    }
    this.#input = new chunk.SphereInput(this.#view, container, () => this.#host.requestUpdate());
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
    return this.#input?.handleKey(key) ?? false;
  }

  /**
   * Follows the device's motion. iOS asks the viewer first, and only from a tap: call this from a
   * click handler. Resolves to whether motion is now followed.
   */
  async toggleMotion(): Promise<boolean> {
    return (await this.#input?.toggleMotion()) ?? false;
  }

  onPointerDown = (e: PointerEvent): void => this.#input?.down(e);
  onPointerMove = (e: PointerEvent): void => this.#input?.move(e);
  onPointerUp = (e: PointerEvent): void => this.#input?.up(e);
  onWheel = (e: WheelEvent): void => this.#input?.wheel(e);

  /** True once after a drag: the click that ends a drag must not toggle playback. */
  consumeDrag(): boolean {
    return this.#input?.consumeDrag() ?? false;
  }

  #setState(state: View360State): void {
    this.#state = state;
    this.#host.requestUpdate();
  }

  #teardown(): void {
    this.#generation++;
    this.#view?.destroy();
    this.#view = null;
    this.#input = null;
  }
}
