import fs from 'node:fs';

/**
 * Copies an mp4 whose moov sits after mdat (ffmpeg's default) and adds a Spherical Video V1 `uuid`
 * box (GSpherical XML, equirectangular) to its first trak, so no chunk offset moves. ffmpeg 5.1
 * cannot write spherical metadata itself; ffprobe reads this box as a "Spherical Mapping".
 */
export function injectSphericalV1(src: string, dest: string): string {
  const buf = fs.readFileSync(src);
  const box = (type: string, payload: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(8 + payload.length);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, payload]);
  };
  const children = (start: number, end: number) => {
    const out: { o: number; size: number; type: string }[] = [];
    for (let o = start; o < end; ) {
      const size = buf.readUInt32BE(o);
      out.push({ o, size, type: buf.toString('latin1', o + 4, o + 8) });
      o += size;
    }
    return out;
  };
  const top = children(0, buf.length);
  const moov = top.find((b) => b.type === 'moov');
  const mdat = top.find((b) => b.type === 'mdat');
  if (!moov || !mdat || moov.o < mdat.o) throw new Error('expected moov after mdat');
  const trak = children(moov.o + 8, moov.o + moov.size).find((b) => b.type === 'trak');
  if (!trak) throw new Error('no trak');
  const xml =
    '<?xml version="1.0"?><rdf:SphericalVideo xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" ' +
    'xmlns:GSpherical="http://ns.google.com/videos/1.0/spherical/"><GSpherical:Spherical>true</GSpherical:Spherical>' +
    '<GSpherical:Stitched>true</GSpherical:Stitched><GSpherical:StitchingSoftware>vodkit</GSpherical:StitchingSoftware>' +
    '<GSpherical:ProjectionType>equirectangular</GSpherical:ProjectionType></rdf:SphericalVideo>';
  const uuid = box(
    'uuid',
    Buffer.concat([Buffer.from('ffcc8263f8554a938814587a02521fdd', 'hex'), Buffer.from(xml)]),
  );
  const end = trak.o + trak.size;
  const out = Buffer.concat([buf.subarray(0, end), uuid, buf.subarray(end)]);
  out.writeUInt32BE(moov.size + uuid.length, moov.o);
  out.writeUInt32BE(trak.size + uuid.length, trak.o);
  fs.writeFileSync(dest, out);
  return dest;
}
