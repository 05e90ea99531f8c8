import type { ReactiveController, ReactiveControllerHost } from 'lit';

interface RemotePlayback {
  watchAvailability(cb: (available: boolean) => void): Promise<number>;
  cancelWatchAvailability?(id: number): Promise<void>;
  prompt(): Promise<void>;
}

/**
 * Remote playback (Chromecast, AirPlay through the standard API): `available` only while a device is
 * there, so the cast button shows only then; watched while the player is in the page.
 */
export class RemotePlaybackController implements ReactiveController {
  available = false;
  readonly #host: ReactiveControllerHost;
  readonly #remote: RemotePlayback | undefined;
  #watch: number | undefined;

  constructor(host: ReactiveControllerHost, video: HTMLVideoElement) {
    this.#host = host;
    this.#remote = (video as unknown as { remote?: RemotePlayback }).remote;
    host.addController(this);
  }

  hostConnected(): void {
    if (!this.#remote || this.#watch !== undefined) return;
    this.#remote
      .watchAvailability((available) => this.#set(available))
      .then((id) => (this.#watch = id))
      .catch(() => this.#set(false));
  }

  hostDisconnected(): void {
    if (this.#watch === undefined) return;
    this.#remote?.cancelWatchAvailability?.(this.#watch).catch(() => undefined);
    this.#watch = undefined;
  }

  /** The browser's device picker. */
  prompt(): void {
    this.#remote?.prompt().catch(() => undefined);
  }

  #set(available: boolean): void {
    this.available = available;
    this.#host.requestUpdate();
  }
}
