import { describe, expect, it } from 'vitest';
import { trackForLanguage, trackName } from './captions.ts';

const track = (language: string, label = '') =>
  ({ language, label, kind: 'subtitles' }) as unknown as TextTrack;

describe('trackForLanguage', () => {
  const tracks = [track('en'), track('pt-BR'), track('pt-PT'), track('fr-CA')];

  it('prefers the exact tag, case-insensitively, then the primary language', () => {
    expect(trackForLanguage(tracks, 'pt-pt')).toBe(tracks[2]);
    expect(trackForLanguage(tracks, 'pt')).toBe(tracks[1]);
    expect(trackForLanguage(tracks, 'fr')).toBe(tracks[3]);
    expect(trackForLanguage(tracks, 'en-GB')).toBe(tracks[0]);
    expect(trackForLanguage(tracks, 'de')).toBeNull();
  });
});

describe('trackName', () => {
  it('falls back from the label to the language to the position', () => {
    expect(trackName(track('fr', 'Français'), 0)).toBe('Français');
    expect(trackName(track('fr'), 0)).toBe('fr');
    expect(trackName(track(''), 2)).toBe('Track 3');
  });
});
