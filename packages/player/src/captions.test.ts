import { describe, expect, it } from 'vitest';
import { trackForLanguage, trackName } from './captions.ts';
import { singleSegment, subtitleRenditions } from './sidecar-tracks.ts';

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
    expect(trackName(track(''), 0, 'Piste')).toBe('Piste 1');
  });
});

describe('subtitleRenditions', () => {
  it('reads the SUBTITLES group of a master playlist, URIs resolved', () => {
    const master = [
      '#EXTM3U',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="Main",URI="audio/index.m3u8"',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="en",NAME="English, SDH",DEFAULT=YES,AUTOSELECT=YES,CHARACTERISTICS="public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound",URI="subtitles/a.m3u8?token=x"',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="fr",NAME="Français",DEFAULT=NO,AUTOSELECT=YES,URI="subtitles/b.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=1,SUBTITLES="subs"',
      '720/index.m3u8',
    ].join('\r\n');
    expect(subtitleRenditions(master, 'https://v.example/stream/v1/master.m3u8?token=x')).toEqual([
      {
        uri: 'https://v.example/stream/v1/subtitles/a.m3u8?token=x',
        language: 'en',
        name: 'English, SDH',
        default: true,
        kind: 'captions',
      },
      {
        uri: 'https://v.example/stream/v1/subtitles/b.m3u8',
        language: 'fr',
        name: 'Français',
        default: false,
        kind: 'subtitles',
      },
    ]);
  });
});

describe('singleSegment', () => {
  it('takes the one segment of a finished playlist, nothing else', () => {
    const one = '#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.000,\na.vtt\n#EXT-X-ENDLIST\n';
    expect(singleSegment(one, 'https://v.example/s/v1/subtitles/a.m3u8')).toBe(
      'https://v.example/s/v1/subtitles/a.vtt',
    );
    expect(singleSegment(one.replace('#EXT-X-ENDLIST\n', ''), 'https://v.example/')).toBeNull();
    expect(singleSegment(one.replace('a.vtt', 'a.vtt\n#EXTINF:6,\nb.vtt'), 'https://v.example/')).toBeNull();
  });
});
