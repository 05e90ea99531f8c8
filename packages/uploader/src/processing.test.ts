import type { EncoderJob, FileRecord } from '@vodkit/api';
import { describe, expect, it } from 'vitest';
import {
  downloadPercent,
  fromFile,
  fromJob,
  fromVideoEvent,
  initialProcessing,
  isSettled,
} from './processing.ts';

const playback = { hls: '/stream/v1/master.m3u8', embed: '/embed/v1', poster: '/stream/v1/poster.jpg' };

const file = (patch: Partial<FileRecord>): FileRecord => ({
  fileId: 'f1',
  filename: 'a.mp4',
  filetype: 'video/mp4',
  title: null,
  size: 1,
  status: 'ready',
  kind: null,
  metadata: null,
  reason: null,
  probeMs: 10,
  createdAt: '',
  updatedAt: '',
  ...patch,
});

const job = (patch: Partial<EncoderJob>): EncoderJob => ({
  jobId: 'j1',
  videoId: 'v1',
  fileId: 'f1',
  status: 'processing',
  progress: 0,
  renditions: [],
  playback: null,
  error: null,
  userData: null,
  webhookUrl: null,
  protected: false,
  thumbnails: [],
  storyboard: null,
  downloads: [],
  createdAt: '',
  startedAt: null,
  finishedAt: null,
  watermark: null,
  sourceRange: null,
  ...patch,
});

describe('processing stages', () => {
  it('maps the file record: probing, ready, rejected with its reason', () => {
    expect(fromFile(initialProcessing, file({ status: 'probing' })).stage).toBe('probing');
    expect(fromFile(initialProcessing, file({ status: 'ready' })).stage).toBe('ready');
    const reason = { code: 'no_media_streams', message: 'No audio or video in this file.' };
    const rejected = fromFile(initialProcessing, file({ status: 'rejected', reason }));
    expect(rejected).toMatchObject({ stage: 'rejected', reason });
    expect(isSettled(rejected.stage)).toBe(true);
  });

  it('shows a link ingest downloading with the server’s progress, then the probe', () => {
    const downloading = fromFile(initialProcessing, {
      ...file({}),
      status: 'downloading',
      progress: { bytes: 250, total: 1000 },
    });
    expect(downloading).toMatchObject({ stage: 'downloading', download: { bytes: 250, total: 1000 } });
    expect(isSettled(downloading.stage)).toBe(false);
    expect(downloadPercent(downloading.download)).toBe(25);
    expect(downloadPercent({ bytes: 250, total: null })).toBeNull();
    expect(fromFile(downloading, file({ status: 'ready' })).stage).toBe('ready');
  });

  it('an interrupted stage is settled until retried', () => {
    expect(isSettled('interrupted')).toBe(true);
  });

  it('follows the event stream: progress, playable (sticky), completed', () => {
    let s = fromVideoEvent(initialProcessing, 'progress', { jobId: 'j1', status: 'queued', progress: 0 });
    expect(s).toMatchObject({ stage: 'queued', jobId: 'j1' });
    s = fromVideoEvent(s, 'progress', { progress: 30 });
    expect(s).toMatchObject({ stage: 'encoding', progress: 30 });
    s = fromVideoEvent(s, 'playable', { playback });
    expect(s).toMatchObject({ stage: 'playable', playback });
    s = fromVideoEvent(s, 'progress', { progress: 60 });
    expect(s).toMatchObject({ stage: 'playable', progress: 60 });
    // An older progress never moves the bar back.
    s = fromVideoEvent(s, 'progress', { progress: 50 });
    expect(s.progress).toBe(60);
    s = fromVideoEvent(s, 'completed', { playback });
    expect(s).toMatchObject({ stage: 'completed', progress: 100 });
    expect(isSettled(s.stage)).toBe(true);
  });

  it('reports a failed job with its error', () => {
    const error = { code: 'encode_failed', message: 'ffmpeg exited with code 1' };
    const s = fromVideoEvent(initialProcessing, 'failed', { status: 'failed', error });
    expect(s).toMatchObject({ stage: 'failed', reason: error });
  });

  it('maps a polled job the same way', () => {
    expect(fromJob(initialProcessing, job({ status: 'queued' })).stage).toBe('queued');
    expect(fromJob(initialProcessing, job({ progress: 40 }))).toMatchObject({
      stage: 'encoding',
      progress: 40,
    });
    expect(fromJob(initialProcessing, job({ progress: 40, playback })).stage).toBe('playable');
    expect(fromJob(initialProcessing, job({ status: 'completed', playback }))).toMatchObject({
      stage: 'completed',
      progress: 100,
      videoId: 'v1',
    });
    expect(fromJob(initialProcessing, job({ status: 'cancelled' }))).toMatchObject({
      stage: 'failed',
      reason: { code: 'cancelled' },
    });
  });

  it('keeps a protected job’s flag and its minted playback token through later events and polls', () => {
    const minted = { ...fromJob(initialProcessing, job({ protected: true })), playbackToken: 'a.b.c' };
    expect(minted.protected).toBe(true);
    const playable = fromVideoEvent(minted, 'playable', { playback });
    expect(playable).toMatchObject({ stage: 'playable', protected: true, playbackToken: 'a.b.c' });
    const polled = fromJob(playable, job({ status: 'completed', playback, protected: true }));
    expect(polled).toMatchObject({ stage: 'completed', protected: true, playbackToken: 'a.b.c' });
    expect(fromJob(initialProcessing, job({})).protected).toBe(false);
  });
});
