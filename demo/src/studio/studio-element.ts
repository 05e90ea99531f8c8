import { LitElement } from 'lit';

/**
 * The Studio's elements render into the light DOM: one stylesheet (studio.css) styles every page,
 * and forms, labels and headings are plain document content for assistive technology and tests.
 * The Vodkit elements they hold (`<vod-player>`, `<vod-uploader>`) keep their own shadow roots.
 */
export class StudioElement extends LitElement {
  protected override createRenderRoot(): HTMLElement {
    return this;
  }
}
