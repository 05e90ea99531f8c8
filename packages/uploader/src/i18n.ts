import type { ProcessingStage } from './processing.ts';
import type { TrackerStep } from './processing-tracker.ts';

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
  /** The status while the element waits for the network or the server to come back. */
  reconnecting: string;
  /** Under "Reconnecting…": offline, or the server out of reach. */
  offlineHint: string;
  serverHint: string;
  /** What went wrong when the element stopped following a stored file (`interrupted`)… */
  lost: { network: string; timeout: string };
  /** …and what to do, by the step it was at. */
  whatNow: Record<TrackerStep, string>;
  /** After a failed job's reason, when Retry creates a new one. */
  retryEncode: string;
  /** The "Paste a link" field beside the drop zone. */
  linkLabel: string;
  linkPlaceholder: string;
  addLink: string;
  /** A link that is not http(s). */
  linkInvalid: string;
  /** Stats while the server downloads a link of unknown size. */
  downloaded: (bytes: string) => string;
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
    downloading: 'Downloading',
    probing: 'Checking',
    rejected: 'Not accepted',
    ready: 'Uploaded',
    queued: 'Waiting to encode',
    encoding: 'Encoding',
    playable: 'Playable',
    completed: 'Ready to watch',
    failed: 'Encoding failed',
    interrupted: 'Interrupted',
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
  reconnecting: 'Reconnecting…',
  offlineHint: 'You are offline. It carries on by itself when the connection is back.',
  serverHint: 'The server cannot be reached. Trying again…',
  lost: {
    network: 'The connection to the server was lost.',
    timeout: 'The server is taking longer than usual with this file.',
  },
  whatNow: {
    download: 'The server keeps the download going: retry to follow it.',
    check: 'Your file is safe on the server: retry to see whether it was accepted.',
    encode: 'Your file is safe on the server, but encoding has not started: retry to start it.',
    follow: 'Your file is safe on the server and keeps encoding: retry to follow it.',
  },
  retryEncode: 'Retry to encode it again.',
  linkLabel: 'Paste a link',
  linkPlaceholder: 'https://example.com/video.mp4',
  addLink: 'Add link',
  linkInvalid: 'Enter an http:// or https:// link to a video file.',
  downloaded: (bytes) => `${bytes} downloaded`,
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
    downloading: 'Téléchargement',
    probing: 'Vérification',
    rejected: 'Refusé',
    ready: 'Envoyé',
    queued: 'En attente d’encodage',
    encoding: 'Encodage',
    playable: 'Lisible',
    completed: 'Prêt à regarder',
    failed: 'Échec de l’encodage',
    interrupted: 'Interrompu',
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
  reconnecting: 'Reconnexion…',
  offlineHint: 'Vous êtes hors ligne. Cela reprendra tout seul au retour de la connexion.',
  serverHint: 'Le serveur est injoignable. Nouvel essai…',
  lost: {
    network: 'La connexion au serveur a été perdue.',
    timeout: 'Le serveur met plus de temps que d’habitude avec ce fichier.',
  },
  whatNow: {
    download: 'Le serveur poursuit le téléchargement : réessayez pour le suivre.',
    check: 'Votre fichier est bien sur le serveur : réessayez pour savoir s’il est accepté.',
    encode:
      'Votre fichier est bien sur le serveur, mais l’encodage n’a pas commencé : réessayez pour le lancer.',
    follow: 'Votre fichier est bien sur le serveur et l’encodage continue : réessayez pour le suivre.',
  },
  retryEncode: 'Réessayez pour l’encoder de nouveau.',
  linkLabel: 'Coller un lien',
  linkPlaceholder: 'https://example.com/video.mp4',
  addLink: 'Ajouter le lien',
  linkInvalid: 'Saisissez un lien http:// ou https:// vers un fichier vidéo.',
  downloaded: (bytes) => `${bytes} téléchargés`,
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
    downloading: 'Wird heruntergeladen',
    probing: 'Wird geprüft',
    rejected: 'Abgelehnt',
    ready: 'Hochgeladen',
    queued: 'Wartet auf Kodierung',
    encoding: 'Wird kodiert',
    playable: 'Abspielbar',
    completed: 'Bereit zum Ansehen',
    failed: 'Kodierung fehlgeschlagen',
    interrupted: 'Unterbrochen',
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
  reconnecting: 'Verbindung wird wiederhergestellt…',
  offlineHint: 'Sie sind offline. Es geht von selbst weiter, sobald die Verbindung zurück ist.',
  serverHint: 'Der Server ist nicht erreichbar. Neuer Versuch…',
  lost: {
    network: 'Die Verbindung zum Server ist abgebrochen.',
    timeout: 'Der Server braucht mit dieser Datei länger als sonst.',
  },
  whatNow: {
    download: 'Der Server lädt weiter herunter: Wiederholen, um es zu verfolgen.',
    check: 'Ihre Datei ist sicher auf dem Server: Wiederholen, um zu sehen, ob sie angenommen wurde.',
    encode:
      'Ihre Datei ist sicher auf dem Server, aber die Kodierung hat nicht begonnen: Wiederholen, um sie zu starten.',
    follow: 'Ihre Datei ist sicher auf dem Server und wird weiter kodiert: Wiederholen, um es zu verfolgen.',
  },
  retryEncode: 'Wiederholen, um sie erneut zu kodieren.',
  linkLabel: 'Link einfügen',
  linkPlaceholder: 'https://example.com/video.mp4',
  addLink: 'Link hinzufügen',
  linkInvalid: 'Geben Sie einen http://- oder https://-Link zu einer Videodatei ein.',
  downloaded: (bytes) => `${bytes} heruntergeladen`,
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
