// STUB — to be replaced by the encoding work.
import type { Config } from '../config.ts';
import type { FilesRepo } from '../db/files.ts';
import type { JobsRepo } from '../db/jobs.ts';

export interface VideoServiceDeps {
  config: Config;
  files: FilesRepo;
  jobs: JobsRepo;
}

export class VideoService {
  constructor(readonly deps: VideoServiceDeps) {}
}
