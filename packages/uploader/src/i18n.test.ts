import { describe, expect, it } from 'vitest';
import { messagesFor, TRANSLATIONS } from './i18n.ts';

describe('messagesFor', () => {
  it('picks the language by its primary subtag and falls back to English', () => {
    expect(messagesFor('fr-CA').dropPrompt).toBe('Glissez une vidéo ici');
    expect(messagesFor('de').status.paused).toBe('Pausiert');
    expect(messagesFor('xx').dropPrompt).toBe('Drag a video here');
    expect(messagesFor('').dropPrompt).toBe('Drag a video here');
  });

  it('lays a page’s overrides over the shipped texts', () => {
    const m = messagesFor('fr', { chooseFile: 'Parcourir' });
    expect(m.chooseFile).toBe('Parcourir');
    expect(m.or).toBe('ou');
  });

  it('ships every text in every language', () => {
    const keys = (o: object) => Object.keys(o).sort();
    for (const messages of Object.values(TRANSLATIONS)) {
      expect(keys(messages)).toEqual(keys(TRANSLATIONS.en!));
      expect(keys(messages.status)).toEqual(keys(TRANSLATIONS.en!.status));
      expect(keys(messages.stage)).toEqual(keys(TRANSLATIONS.en!.stage));
    }
  });
});
