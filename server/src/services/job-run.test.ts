import { describe, expect, it } from 'vitest';
import { h264Metadata } from '../../test/metadata.ts';
import { planLadder } from '../media/ladder.ts';
import { downloadRungs, renditionsOf, requestedResolutions, truncation } from './job-run.ts';

const metadata = h264Metadata(1280, 720);

describe('job run phases, pure parts', () => {
  it('plan: the hls presets narrow the ladder, plus the rungs MP4 downloads are cut from', () => {
    expect(requestedResolutions(undefined)).toBeUndefined();
    expect(requestedResolutions([{ format: 'hls' }])).toBeUndefined();
    expect(
      requestedResolutions([
        { format: 'hls', resolutions: ['240'] },
        { format: 'mp4', resolutions: ['480'] },
      ])?.sort(),
    ).toEqual(['240', '480']);
    const plan = planLadder(metadata, { resolutions: ['240', '480'] });
    expect(renditionsOf(plan).map((r) => [r.name, r.playlist])).toEqual([
      ['240', '240/index.m3u8'],
      ['480', '480/index.m3u8'],
    ]);
  });

  it('ladder: an output far shorter than the probed duration is truncated; max duration caps the promise', () => {
    expect(truncation(59.5, 60, 3600)).toBeNull();
    expect(truncation(53.6, 60, 3600)).toBeNull();
    expect(truncation(40, 60, 3600)).toMatch(/promises 60.000 s, its media hold 40.000 s/);
    expect(truncation(10, 600, 10)).toBeNull();
  });

  it('publish: MP4 downloads of the named rungs, else the top one, none without an mp4 preset', () => {
    const plan = planLadder(metadata);
    expect(downloadRungs(plan, [{ format: 'hls' }])).toEqual([]);
    expect(downloadRungs(plan, [{ format: 'mp4' }]).map((r) => r.name)).toEqual(['720']);
    expect(downloadRungs(plan, [{ format: 'mp4', resolutions: ['360'] }]).map((r) => r.name)).toEqual([
      '360',
    ]);
  });
});
