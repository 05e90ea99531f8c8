import { describe, expect, it } from 'vitest';
import { BUILTIN_LANGUAGES, BUILTIN_TRANSLATIONS, loadStrings, resolveStrings } from './i18n.ts';

describe('resolveStrings', () => {
  it('has only English inline; French and German load on demand, once, with every key', async () => {
    expect(Object.keys(BUILTIN_TRANSLATIONS)).toEqual(['en']);
    expect(BUILTIN_LANGUAGES).toEqual(['en', 'fr', 'de']);
    // Before its chunk arrives a French player reads English; a page's overrides still apply.
    expect(resolveStrings('fr').play).toBe('Play');
    expect(resolveStrings('fr', { fr: { play: 'Lire' } }).play).toBe('Lire');
    expect(await loadStrings('en')).toBe(false);
    expect(await loadStrings('ja')).toBe(false);
    const [fr, again] = await Promise.all([loadStrings('fr-CA'), loadStrings('fr')]);
    expect([fr, again]).toEqual([true, true]);
    expect(await loadStrings('fr')).toBe(false);
    expect(await loadStrings('DE-at')).toBe(true);
    const keys = Object.keys(BUILTIN_TRANSLATIONS.en!).sort();
    const frKeys = Object.keys(BUILTIN_TRANSLATIONS.fr!).sort();
    expect(Object.keys(BUILTIN_TRANSLATIONS.de!).sort()).toEqual(frKeys);
    // English leaves out the optional strings of lazily loaded UI (their chunks carry the English).
    expect(frKeys).toEqual(expect.arrayContaining(keys));
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
