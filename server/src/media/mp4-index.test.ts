import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures.ts';
import { hugeSttsMp4, moovOf } from '../../test/hostile-mp4.ts';
import { Mp4FormatError } from './mp4/boxes.ts';
import { fromMoov, indexMoov, mp4Keyframes } from './mp4-index.ts';

let files: { original: string; hostile: string };
beforeAll(async () => {
  files = await hugeSttsMp4(tempDir('vodkit-mp4-index-'));
});

describe('MP4 index: counts read from the file are bounded by the file', () => {
  it('expands a stts that claims 2^30 samples only as far as stsz lists samples', async () => {
    const original = fromMoov(moovOf(fs.readFileSync(files.original)));
    expect(original).toEqual({ times: [0], offsetS: 0 });
    expect(fromMoov(moovOf(fs.readFileSync(files.hostile)))).toEqual(original);
    expect(await mp4Keyframes(files.hostile)).toEqual(original);
  });

  it('holds a constant-size stsz (no table) to one sample per byte of moov', () => {
    const moov = Buffer.from(moovOf(fs.readFileSync(files.hostile)));
    const at = moov.indexOf('stsz');
    // stsz: version/flags, a constant sample size, then the count.
    moov.writeUInt32BE(1000, at + 8);
    moov.writeUInt32BE(moov.length + 1, at + 12);
    expect(fromMoov(moov)).toBeNull();
    moov.writeUInt32BE(50, at + 12);
    expect(fromMoov(moov)).toEqual({ times: [0], offsetS: 0 });
  });

  it('indexes a large moov in a worker, with the same result', async () => {
    for (const file of [files.original, files.hostile]) {
      const moov = moovOf(fs.readFileSync(file));
      expect(await indexMoov(moov, 0)).toEqual(fromMoov(moov));
    }
    const broken = Buffer.from(moovOf(fs.readFileSync(files.original)));
    broken.writeUInt32BE(0x7fffffff, broken.indexOf('stss') + 8);
    await expect(indexMoov(broken, 0)).rejects.toMatchObject({ error: { code: 'MP4_MALFORMED' } });
  });

  it('rejects tables whose entry counts do not fit in their boxes (Mp4FormatError, and null for the caller)', async () => {
    const bytes = fs.readFileSync(files.original);
    const moov = moovOf(bytes);
    const at = moov.indexOf('stss');
    expect(at).toBeGreaterThan(0);
    // stss: version/flags, then the entry count.
    moov.writeUInt32BE(0x7fffffff, at + 8);
    expect(() => fromMoov(moov)).toThrow(Mp4FormatError);
    const stsz = moov.indexOf('stsz');
    const cut = Buffer.from(moovOf(bytes));
    cut.writeUInt32BE(0xffffffff, stsz + 12);
    expect(() => fromMoov(cut)).toThrow(Mp4FormatError);
  });
});
