import { VodUploader } from './vod-uploader.ts';

export type {
  UploadErrorCode,
  VodUploadEventDetails,
  VodUploadEventMap,
  VodUploadEventName,
} from './events.ts';
export type { UploadPhase, UploadSnapshot } from './uppy-controller.ts';
export { VodUploadError, VodUploader } from './vod-uploader.ts';

// Importing the package registers the tag; a second copy of the package (or a hot reload) must not throw.
if (!customElements.get('vod-uploader')) customElements.define('vod-uploader', VodUploader);
