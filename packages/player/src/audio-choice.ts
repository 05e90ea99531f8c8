/** Where the viewer's audio language is remembered, across videos and visits (this origin). */
const KEY = 'vodkit:audio-language';

/** The audio language the viewer chose last, or '' (storage off or never chosen). */
export function rememberedAudio(): string {
  try {
    return localStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

export function rememberAudio(language: string): void {
  try {
    localStorage.setItem(KEY, language);
  } catch {
    // Storage is off (private mode, sandboxed iframe): the choice lasts for this video only.
  }
}
