import { describe, expect, it } from 'vitest';
import { rowsToStart } from './queue.ts';

const rows = (...phases: string[]) => phases.map((phase, i) => ({ key: `r${i}`, phase }));

describe('rowsToStart', () => {
  it('starts queued rows in order up to the limit', () => {
    expect(rowsToStart(rows('queued', 'queued', 'queued'), 2)).toEqual(['r0', 'r1']);
  });

  it('counts rows already sending against the limit', () => {
    expect(rowsToStart(rows('uploading', 'queued', 'queued'), 2)).toEqual(['r1']);
    expect(rowsToStart(rows('uploading', 'uploading', 'queued'), 2)).toEqual([]);
  });

  it('lets paused, finished and failed rows free their slot', () => {
    expect(rowsToStart(rows('paused', 'complete', 'error', 'queued', 'queued'), 1)).toEqual(['r3']);
  });

  it('treats a nonsense limit as 1', () => {
    expect(rowsToStart(rows('queued', 'queued'), Number.NaN)).toEqual(['r0']);
    expect(rowsToStart(rows('queued', 'queued'), 0)).toEqual(['r0']);
  });
});
