import { VodUploader } from './vod-uploader.ts';

export {
  fire,
  type UploadErrorCode,
  VOD_UPLOAD_EVENTS,
  type VodUploadEventDetails,
  type VodUploadEventMap,
  type VodUploadEventName,
} from './events.ts';
export type { UploadPhase, UploadSnapshot } from './file-upload.ts';
export { type Messages, messagesFor, TRANSLATIONS } from './i18n.ts';
export type { ProcessingSnapshot, ProcessingStage } from './processing.ts';
export { VodUploadError } from './upload-error.ts';
export { VodUploader } from './vod-uploader.ts';

// Importing the package registers the tag. A second copy of the package (or a hot reload) must not
// throw, and neither must a server-side import: Node has no `customElements` unless a DOM shim gave one.
if (typeof customElements !== 'undefined' && !customElements.get('vod-uploader')) {
  customElements.define('vod-uploader', VodUploader);
}
