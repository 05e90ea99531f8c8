import type { ProcessingStage } from './processing.ts';

/** Every text `<vod-uploader>` shows. Override some through the element's `translations` property. */
export interface Messages {
  /** Drop zone headline with a mouse. */
  dropPrompt: string;
  /** Drop zone headline on touch screens, where nothing can be dragged. */
  touchPrompt: string;
  /** While a file hovers the drop zone. */
  dropActive: string;
  or: string;
  chooseFile: string;
  chooseFiles: string;
  videoOrAudio: string;
  upTo: (size: string) => string;
  /** The row's label for assistive technology. */
  uploadOf: (filename: string) => string;
  progressLabel: string;
  encodingLabel: string;
  status: Record<'ready' | 'queued' | 'uploading' | 'paused' | 'complete' | 'error' | 'rejected', string>;
  stage: Record<ProcessingStage, string>;
  upload: string;
  pause: string;
  resume: string;
  retry: string;
  cancel: string;
  remove: (filename: string) => string;
  dismiss: string;
  of: (sent: string, total: string) => string;
  left: (eta: string) => string;
  fileId: string;
  encodedPercent: (percent: number) => string;
  busy: (filename: string, current: string) => string;
  oneAtATime: (filename: string) => string;
  duplicate: (filename: string) => string;
}

const en: Messages = {
  dropPrompt: 'Drag a video here',
  touchPrompt: 'Choose a video',
  dropActive: 'Drop to upload',
  or: 'or',
  chooseFile: 'Choose a file',
  chooseFiles: 'Choose files',
  videoOrAudio: 'Video or audio',
  upTo: (size) => `up to ${size}`,
  uploadOf: (filename) => `Upload of ${filename}`,
  progressLabel: 'Upload progress',
  encodingLabel: 'Encoding progress',
  status: {
    ready: 'Ready',
    queued: 'Queued',
    uploading: 'Uploading',
    paused: 'Paused',
    complete: 'Uploaded',
    error: 'Failed',
    rejected: 'Not accepted',
  },
  stage: {
    probing: 'Checking',
    rejected: 'Not accepted',
    ready: 'Uploaded',
    queued: 'Waiting to encode',
    encoding: 'Encoding',
    playable: 'Playable',
    completed: 'Ready to watch',
    failed: 'Encoding failed',
    unavailable: 'Uploaded',
  },
  upload: 'Upload',
  pause: 'Pause',
  resume: 'Resume',
  retry: 'Retry',
  cancel: 'Cancel',
  remove: (filename) => `Remove ${filename} from the list`,
  dismiss: 'Dismiss',
  of: (sent, total) => `${sent} of ${total}`,
  left: (eta) => `${eta} left`,
  fileId: 'File id',
  encodedPercent: (percent) => `${percent}% encoded`,
  busy: (filename, current) =>
    `“${filename}” was not added: “${current}” is still uploading. Wait for it or cancel it first.`,
  oneAtATime: (filename) => `“${filename}” was not added: one file at a time.`,
  duplicate: (filename) => `“${filename}” is already in the list.`,
};

const fr: Messages = {
  dropPrompt: 'Glissez une vidéo ici',
  touchPrompt: 'Choisir une vidéo',
  dropActive: 'Déposez pour envoyer',
  or: 'ou',
  chooseFile: 'Choisir un fichier',
  chooseFiles: 'Choisir des fichiers',
  videoOrAudio: 'Vidéo ou audio',
  upTo: (size) => `jusqu’à ${size}`,
  uploadOf: (filename) => `Envoi de ${filename}`,
  progressLabel: 'Progression de l’envoi',
  encodingLabel: 'Progression de l’encodage',
  status: {
    ready: 'Prêt',
    queued: 'En attente',
    uploading: 'Envoi',
    paused: 'En pause',
    complete: 'Envoyé',
    error: 'Échec',
    rejected: 'Refusé',
  },
  stage: {
    probing: 'Vérification',
    rejected: 'Refusé',
    ready: 'Envoyé',
    queued: 'En attente d’encodage',
    encoding: 'Encodage',
    playable: 'Lisible',
    completed: 'Prêt à regarder',
    failed: 'Échec de l’encodage',
    unavailable: 'Envoyé',
  },
  upload: 'Envoyer',
  pause: 'Pause',
  resume: 'Reprendre',
  retry: 'Réessayer',
  cancel: 'Annuler',
  remove: (filename) => `Retirer ${filename} de la liste`,
  dismiss: 'Fermer',
  of: (sent, total) => `${sent} sur ${total}`,
  left: (eta) => `encore ${eta}`,
  fileId: 'Identifiant du fichier',
  encodedPercent: (percent) => `${percent} % encodé`,
  busy: (filename, current) =>
    `« ${filename} » n’a pas été ajouté : « ${current} » est encore en cours d’envoi. Attendez ou annulez-le d’abord.`,
  oneAtATime: (filename) => `« ${filename} » n’a pas été ajouté : un fichier à la fois.`,
  duplicate: (filename) => `« ${filename} » est déjà dans la liste.`,
};

const de: Messages = {
  dropPrompt: 'Video hierher ziehen',
  touchPrompt: 'Video auswählen',
  dropActive: 'Zum Hochladen loslassen',
  or: 'oder',
  chooseFile: 'Datei auswählen',
  chooseFiles: 'Dateien auswählen',
  videoOrAudio: 'Video oder Audio',
  upTo: (size) => `bis ${size}`,
  uploadOf: (filename) => `Upload von ${filename}`,
  progressLabel: 'Upload-Fortschritt',
  encodingLabel: 'Kodierungsfortschritt',
  status: {
    ready: 'Bereit',
    queued: 'Wartet',
    uploading: 'Lädt hoch',
    paused: 'Pausiert',
    complete: 'Hochgeladen',
    error: 'Fehlgeschlagen',
    rejected: 'Abgelehnt',
  },
  stage: {
    probing: 'Wird geprüft',
    rejected: 'Abgelehnt',
    ready: 'Hochgeladen',
    queued: 'Wartet auf Kodierung',
    encoding: 'Wird kodiert',
    playable: 'Abspielbar',
    completed: 'Bereit zum Ansehen',
    failed: 'Kodierung fehlgeschlagen',
    unavailable: 'Hochgeladen',
  },
  upload: 'Hochladen',
  pause: 'Pause',
  resume: 'Fortsetzen',
  retry: 'Wiederholen',
  cancel: 'Abbrechen',
  remove: (filename) => `${filename} aus der Liste entfernen`,
  dismiss: 'Schließen',
  of: (sent, total) => `${sent} von ${total}`,
  left: (eta) => `noch ${eta}`,
  fileId: 'Datei-ID',
  encodedPercent: (percent) => `${percent} % kodiert`,
  busy: (filename, current) =>
    `„${filename}“ wurde nicht hinzugefügt: „${current}“ wird noch hochgeladen. Warten Sie oder brechen Sie es zuerst ab.`,
  oneAtATime: (filename) => `„${filename}“ wurde nicht hinzugefügt: nur eine Datei auf einmal.`,
  duplicate: (filename) => `„${filename}“ ist schon in der Liste.`,
};

/** Shipped languages, by primary subtag. */
export const TRANSLATIONS: Readonly<Record<string, Messages>> = { en, fr, de };

/**
 * The messages for a BCP 47 tag (`fr-CA` → `fr`), English when the language is not shipped, with a
 * page's overrides on top.
 */
export function messagesFor(lang: string | null | undefined, overrides?: Partial<Messages> | null): Messages {
  const primary = (lang ?? '').trim().toLowerCase().split(/[-_]/)[0] ?? '';
  const base = TRANSLATIONS[primary] ?? en;
  return overrides ? { ...base, ...overrides } : base;
}
