// STUB — to be replaced by the server-core work.
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { FilesRepo } from '../db/files.ts';
import type { JobsRepo } from '../db/jobs.ts';
import type { LocalStorage } from '../storage/local.ts';
import type { EventBus } from './events.ts';

export interface FileServiceDeps {
  config: Config;
  storage: LocalStorage;
  files: FilesRepo;
  jobs: JobsRepo;
  events: EventBus;
  log: FastifyBaseLogger;
}

export class FileService {
  constructor(readonly deps: FileServiceDeps) {}
  async reconcile(): Promise<void> {}
}
