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
  /** The browser's watch id; -1 while it is being asked for. */
  #watch: number | undefined;
  #connected = false;

  constructor(host: ReactiveControllerHost, video: HTMLVideoElement) {
    this.#host = host;
    this.#remote = (video as unknown as { remote?: RemotePlayback }).remote;
    host.addController(this);
  }

  hostConnected(): void {
    this.#connected = true;
    // After the host's first render: the host starts hls.js' import as it connects, and that import is
    // the long pole of the first frame, so nothing else goes ahead of it.
    this.#host.updateComplete.then(
      () => this.#start(),
      () => undefined,
    );
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#cancel();
  }

  /** The browser's device picker. */
  prompt(): void {
    this.#remote?.prompt().catch(() => undefined);
  }

  #start(): void {
    if (!this.#connected || !this.#remote || this.#watch !== undefined) return;
    this.#watch = -1; // asked; the id follows
    this.#remote
      .watchAvailability((available) => this.#set(available))
      .then((id) => {
        this.#watch = id;
        // Removed while the browser was answering: stop watching at once.
        if (!this.#connected) this.#cancel();
      })
      .catch(() => {
        this.#watch = undefined;
        this.#set(false);
      });
  }

  #cancel(): void {
    const id = this.#watch;
    if (id === undefined || id < 0) return;
    this.#watch = undefined;
    this.#remote?.cancelWatchAvailability?.(id).catch(() => undefined);
  }

  #set(available: boolean): void {
    this.available = available;
    this.#host.requestUpdate();
  }
}
