import { html, nothing, type TemplateResult } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import type { CaptionsController } from './captions.ts';
import type { ChaptersController } from './chapters-controller.ts';
import type { PlayerStrings } from './i18n.ts';
import { icons } from './icons.ts';
import { formatTime } from './time.ts';
import type { View360Controller } from './view360-controller.ts';

/** What the control bar shows and does; `VodPlayer` fills it in on each render. */
export interface ControlBar {
  t: PlayerStrings;
  video: HTMLVideoElement;
  /** The storyboard's URL, or '' while seek previews must not load yet. */
  storyboard: string;
  /** Seconds: the media's, else the playlists' (with `preload="metadata"`). */
  duration: number;
  /** The CC menu's controller once the video has tracks and the menu's chunk is in; else null. */
  captions: CaptionsController | null;
  /** The video's chapters (marks on the seek bar, the menu once its chunk is in); null before any. */
  chapters: ChaptersController | null;
  view360: View360Controller;
  /** The speed and quality menus (`MenuController`). */
  menus: (TemplateResult | typeof nothing)[];
  canPip: boolean;
  /** Whether a remote playback device (cast, AirPlay) is there to pick. */
  castAvailable: boolean;
  fullscreen: boolean;
  togglePlay(): void;
  toggleMute(): void;
  onVolumeInput(e: Event): void;
  togglePip(): void;
  /** Opens the browser's remote playback picker. */
  cast(): void;
  toggleFullscreen(): void;
}

/** The bar under the picture: the scrubber, then play, volume, time, and the player's buttons. */
export function controlBar(c: ControlBar): TemplateResult {
  const { t, video, captions } = c;
  const playing = !video.paused && !video.ended;
  const muted = video.muted || video.volume === 0;
  const volume = muted ? 0 : video.volume;
  const canFullscreen = document.fullscreenEnabled || 'webkitEnterFullscreen' in video;
  const sphereOn = c.view360.state === 'on';
  const inPip = document.pictureInPictureElement === video;
  return html`
    <div part="controls">
      <vod-scrubber
        part="scrubber"
        exportparts="track: scrubber-track, buffered: scrubber-buffered, progress: scrubber-progress, handle: scrubber-handle, preview: scrubber-preview, thumbnail: scrubber-thumbnail"
        label=${t.seek}
        .media=${video}
        .storyboard=${c.storyboard}
        .chapters=${c.chapters?.list ?? []}
      ></vod-scrubber>
      <div class="bar">
        <button part="play-button" aria-label=${playing ? t.pause : video.ended ? t.replay : t.play} @click=${c.togglePlay}>
          ${playing ? icons.pause : video.ended ? icons.replay : icons.play}
        </button>
        <div class="volume">
          <button part="mute-button" aria-label=${muted ? t.unmute : t.mute} @click=${c.toggleMute}>
            ${muted ? icons.volumeMuted : volume < 0.5 ? icons.volumeLow : icons.volumeHigh}
          </button>
          <input
            part="volume"
            type="range"
            min="0"
            max="1"
            step="0.05"
            aria-label=${t.volume}
            .value=${String(volume)}
            style=${styleMap({ '--_fill': `${volume * 100}%` })}
            @input=${c.onVolumeInput}
          />
        </div>
        <div part="time" aria-live="off">
          <span class="current"></span> <span class="total">/ ${formatTime(c.duration)}</span>
        </div>
        <div class="spacer"></div>
        ${
          captions
            ? html`<vod-captions-menu
                exportparts="button: captions-button, menu: captions-menu"
                .controller=${captions}
                .tracks=${captions.tracks}
                .shown=${captions.shown}
                .label=${t.captions}
                .offLabel=${t.captionsOff}
                .trackWord=${t.track}
                .strings=${t}
              ></vod-captions-menu>`
            : nothing
        }
        ${c.chapters?.menu(t.chapters) ?? nothing}
        ${
          sphereOn
            ? html`<button part="reset-view-button" aria-label=${t.resetView} @click=${() => c.view360.reset()}>
                ${icons.resetView}
              </button>`
            : nothing
        }
        ${
          sphereOn && c.view360.motionAvailable
            ? html`<button
                part="motion-button"
                aria-label=${t.motion}
                aria-pressed=${c.view360.motion ? 'true' : 'false'}
                @click=${() => c.view360.toggleMotion()}
              >
                ${icons.motion}
              </button>`
            : nothing
        }
        ${c.menus}
        ${
          c.canPip
            ? html`<button part="pip-button" aria-label=${inPip ? t.exitPip : t.pip} @click=${c.togglePip}>
                ${icons.pip}
              </button>`
            : nothing
        }
        ${
          c.castAvailable
            ? html`<button
                part="cast-button"
                aria-label=${t.cast}
                @click=${c.cast}
              >
                ${icons.cast}
              </button>`
            : nothing
        }
        ${
          canFullscreen
            ? html`<button
                part="fullscreen-button"
                aria-label=${c.fullscreen ? t.exitFullscreen : t.fullscreen}
                @click=${c.toggleFullscreen}
              >
                ${c.fullscreen ? icons.exitFullscreen : icons.enterFullscreen}
              </button>`
            : nothing
        }
      </div>
    </div>
  `;
}
