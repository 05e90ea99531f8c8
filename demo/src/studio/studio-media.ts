import type { Video } from '@vodkit/api';
import { html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { formatBytes } from '../format.ts';
import { StudioElement } from './studio-element.ts';

/** What the encode made: the HLS renditions, MP4 downloads, thumbnails and the storyboard. */
@customElement('studio-media')
export class StudioMedia extends StudioElement {
  @property({ attribute: false }) video!: Video;

  override render() {
    const v = this.video;
    return html`<section class="panel" aria-labelledby="media-heading">
      <h2 id="media-heading">Renditions and files</h2>
      ${
        v.renditions.length === 0
          ? html`<p class="muted">No renditions yet.</p>`
          : html`<div class="table-scroll">
            <table>
              <caption class="visually-hidden">Renditions</caption>
              <thead><tr><th scope="col">Rendition</th><th scope="col">Size</th><th scope="col">Peak bitrate</th><th scope="col">Playlist</th></tr></thead>
              <tbody>
                ${v.renditions.map(
                  (r) => html`<tr>
                    <td>${r.name}p</td>
                    <td>${r.width}×${r.height}</td>
                    <td>${Math.round(r.maxBitrate / 1000)} kb/s</td>
                    <td><a href=${`/stream/${v.videoId}/${r.playlist}`}>${r.playlist}</a></td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
      }
      <h3>Downloads</h3>
      ${
        v.downloads.length === 0
          ? html`<p class="muted">No MP4 downloads (a job's <code>{format: "mp4"}</code> preset makes them).</p>`
          : html`<ul>
            ${v.downloads.map(
              (d) =>
                html`<li><a href=${d.url} download>${d.name}p MP4</a> · ${d.width}×${d.height} · ${formatBytes(d.bytes)}</li>`,
            )}
          </ul>`
      }
      <h3>Thumbnails</h3>
      ${
        v.thumbnails.length === 0
          ? html`<p class="muted">None requested${v.playback ? html` · <a href=${v.playback.poster}>poster</a>` : nothing}.</p>`
          : html`<ul class="thumbs">
            ${v.thumbnails.map(
              (t) => html`<li>
                <a href=${t.url}><img src=${t.url} alt=${`Thumbnail at ${t.timestamp}`} width=${t.width} height=${t.height} loading="lazy" /></a>
                <span class="small muted">${t.timestamp} · ${t.format}</span>
              </li>`,
            )}
          </ul>`
      }
      <h3>Storyboard</h3>
      ${
        v.storyboard
          ? html`<p><a href=${v.storyboard}>storyboard.vtt</a> <span class="muted">(the player's seek previews)</span></p>`
          : html`<p class="muted">Not made yet.</p>`
      }
    </section>`;
  }
}
