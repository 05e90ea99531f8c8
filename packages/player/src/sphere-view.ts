import {
  Euler,
  MathUtils,
  Mesh,
  MeshBasicMaterial,
  PerspectiveCamera,
  Quaternion,
  Scene,
  SphereGeometry,
  SRGBColorSpace,
  Vector3,
  VideoTexture,
  WebGLRenderer,
} from 'three';

// This module is the only importer of three.js, and is itself only reached through `import()` for a
// 360° video: the bundler gives it (with three, and the input handling) a chunk of its own that flat
// videos never fetch.
export { SphereInput } from './sphere-input.ts';

export const MIN_FOV = 30;
export const MAX_FOV = 100;
const DEFAULT_FOV = 75;
const MAX_PITCH = 85;

/** Where the camera looks, in degrees. */
export interface ViewAngles {
  yaw: number;
  pitch: number;
  fov: number;
}

const Z_AXIS = new Vector3(0, 0, 1);
// Device frame (screen up, looking out of the back) to the camera's (looking down -Z).
const DEVICE_TO_CAMERA = new Quaternion(-Math.sqrt(0.5), 0, 0, Math.sqrt(0.5));

/**
 * An equirectangular video on the inside of a sphere, seen by a perspective camera at its centre.
 * Renders on every animation frame while the video plays, and once after each change of the view.
 */
export class SphereView {
  readonly canvas: HTMLCanvasElement;
  /** Frames rendered since creation: the bench divides it by time. */
  frames = 0;
  readonly #renderer: WebGLRenderer;
  readonly #scene = new Scene();
  readonly #camera: PerspectiveCamera;
  readonly #mesh: Mesh<SphereGeometry, MeshBasicMaterial>;
  readonly #texture: VideoTexture;
  readonly #video: HTMLVideoElement;
  readonly #resize: ResizeObserver;
  #angles: ViewAngles = { yaw: 0, pitch: 0, fov: DEFAULT_FOV };
  #dirty = true;
  #raf = 0;
  #device: DeviceOrientationEvent | null = null;
  #onOrientation = (e: DeviceOrientationEvent): void => {
    if (e.alpha === null) return;
    this.#device = e;
    this.#dirty = true;
  };

  /** Throws when WebGL 2 is not available: the caller shows its message instead. */
  constructor(container: HTMLElement, video: HTMLVideoElement) {
    this.#video = video;
    this.#renderer = new WebGLRenderer({ antialias: false, powerPreference: 'high-performance' });
    this.#renderer.setPixelRatio(Math.min(globalThis.devicePixelRatio || 1, 2));
    this.canvas = this.#renderer.domElement;
    this.canvas.setAttribute('part', 'canvas');
    this.#camera = new PerspectiveCamera(DEFAULT_FOV, 16 / 9, 1, 1100);
    const geometry = new SphereGeometry(500, 64, 32);
    // Seen from inside: flip it so the faces (and the picture) point inwards, not mirrored.
    geometry.scale(-1, 1, 1);
    this.#texture = new VideoTexture(video);
    this.#texture.colorSpace = SRGBColorSpace;
    this.#mesh = new Mesh(geometry, new MeshBasicMaterial({ map: this.#texture }));
    this.#scene.add(this.#mesh);
    container.append(this.canvas);
    this.#resize = new ResizeObserver(() => this.#fit(container));
    this.#resize.observe(container);
    this.#fit(container);
    // A paused video's last frame, or the frame a seek lands on, must still reach the screen.
    for (const type of ['pause', 'seeked', 'loadeddata']) video.addEventListener(type, this.#redraw);
    this.#raf = requestAnimationFrame(this.#tick);
  }

  #redraw = (): void => {
    this.#dirty = true;
  };

  get angles(): ViewAngles {
    return { ...this.#angles };
  }

  /** Turns the view by degrees (positive yaw looks right, positive pitch looks up). */
  turn(yaw: number, pitch: number): void {
    const a = this.#angles;
    this.#set({ yaw: (((a.yaw + yaw) % 360) + 360) % 360, pitch: a.pitch + pitch, fov: a.fov });
  }

  /** Multiplies the field of view: below 1 zooms in. */
  zoom(factor: number): void {
    this.#set({ ...this.#angles, fov: this.#angles.fov * factor });
  }

  reset(): void {
    this.#set({ yaw: 0, pitch: 0, fov: DEFAULT_FOV });
  }

  /** Follows the device's orientation (the caller asked for permission where needed). */
  followDevice(on: boolean): void {
    if (on) window.addEventListener('deviceorientation', this.#onOrientation);
    else {
      window.removeEventListener('deviceorientation', this.#onOrientation);
      this.#device = null;
    }
    this.#dirty = true;
  }

  destroy(): void {
    cancelAnimationFrame(this.#raf);
    for (const type of ['pause', 'seeked', 'loadeddata']) this.#video.removeEventListener(type, this.#redraw);
    this.#resize.disconnect();
    this.followDevice(false);
    this.#mesh.geometry.dispose();
    this.#mesh.material.dispose();
    this.#texture.dispose();
    this.#renderer.dispose();
    this.canvas.remove();
  }

  #set(next: ViewAngles): void {
    this.#angles = {
      yaw: next.yaw,
      pitch: MathUtils.clamp(next.pitch, -MAX_PITCH, MAX_PITCH),
      fov: MathUtils.clamp(next.fov, MIN_FOV, MAX_FOV),
    };
    this.#dirty = true;
  }

  #fit(container: HTMLElement): void {
    const w = Math.max(container.clientWidth, 1);
    const h = Math.max(container.clientHeight, 1);
    this.#renderer.setSize(w, h, false);
    this.#camera.aspect = w / h;
    this.#camera.updateProjectionMatrix();
    this.#dirty = true;
  }

  #tick = (): void => {
    this.#raf = requestAnimationFrame(this.#tick);
    const video = this.#video;
    const moving = !video.paused && !video.ended;
    if (!moving && !this.#dirty) return;
    this.#dirty = false;
    this.#aim();
    this.#renderer.render(this.#scene, this.#camera);
    this.frames++;
  };

  #aim(): void {
    const camera = this.#camera;
    const { yaw, pitch, fov } = this.#angles;
    if (camera.fov !== fov) {
      camera.fov = fov;
      camera.updateProjectionMatrix();
    }
    const device = this.#device;
    if (device) {
      // The usual mapping of W3C device orientation to a camera (as three's old
      // DeviceOrientationControls did), then the drag's yaw on top.
      const euler = new Euler(
        MathUtils.degToRad(device.beta ?? 0),
        MathUtils.degToRad(device.alpha ?? 0),
        -MathUtils.degToRad(device.gamma ?? 0),
        'YXZ',
      );
      const screenAngle = MathUtils.degToRad(screen.orientation?.angle ?? 0);
      camera.quaternion
        .setFromEuler(euler)
        .multiply(DEVICE_TO_CAMERA)
        .multiply(new Quaternion().setFromAxisAngle(Z_AXIS, -screenAngle))
        .premultiply(new Quaternion().setFromAxisAngle(new Vector3(0, 1, 0), -MathUtils.degToRad(yaw)));
      return;
    }
    const phi = MathUtils.degToRad(90 - pitch);
    // The middle of the picture sits at -X on the flipped sphere: yaw 0 looks there.
    const theta = MathUtils.degToRad(yaw + 180);
    camera.lookAt(
      500 * Math.sin(phi) * Math.cos(theta),
      500 * Math.cos(phi),
      500 * Math.sin(phi) * Math.sin(theta),
    );
  }
}
