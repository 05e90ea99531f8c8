import { describe, expect, it } from 'vitest';
import { BUILTIN_TRANSLATIONS, resolveStrings } from './i18n.ts';

describe('resolveStrings', () => {
  it('ships English, French and German with every key', () => {
    const keys = Object.keys(BUILTIN_TRANSLATIONS.en!).sort();
    for (const lang of ['fr', 'de']) expect(Object.keys(BUILTIN_TRANSLATIONS[lang]!).sort()).toEqual(keys);
  });

  it('falls back from a region to its language, then to English', () => {
    expect(resolveStrings('fr-CA').play).toBe('Lecture');
    expect(resolveStrings('DE-at').mute).toBe('Stummschalten');
    expect(resolveStrings('ja').play).toBe('Play');
    expect(resolveStrings('').play).toBe('Play');
  });

  it('lays page overrides over the built-in strings, region over language', () => {
    const t = resolveStrings('fr-CA', { fr: { play: 'Lire' }, 'fr-ca': { pause: 'Arrêt' } });
    expect([t.play, t.pause, t.mute]).toEqual(['Lire', 'Arrêt', 'Couper le son']);
    expect(resolveStrings('fr', { fr: { errors: { not_found: 'Introuvable' } } }).errors).toMatchObject({
      not_found: 'Introuvable',
      forbidden: 'Cette vidéo est privée, ou votre accès a expiré.',
    });
  });

  it('speaks of touch, not keys, on touch screens', () => {
    expect(resolveStrings('en', {}, false).view360Hint).toContain('arrow keys');
    expect(resolveStrings('en', {}, true).view360Hint).toContain('move your phone');
    expect(resolveStrings('fr', {}, true).view360Hint).toContain('téléphone');
  });
});
