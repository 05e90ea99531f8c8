import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { JobsRepo } from '../db/jobs.ts';
import { ApiError } from '../errors.ts';
import type { AuthService, Principal } from './auth.ts';
import type { EncodingService } from './encoding.ts';
import type { FileService } from './files.ts';
import type { QuotaService } from './quotas.ts';

export interface SandboxDeps {
  config: Config;
  auth: AuthService;
  encoding: EncodingService;
  files: FileService;
  jobs: JobsRepo;
  quotas: QuotaService;
  log: FastifyBaseLogger;
}

/**
 * Deletes what the demo's sandbox key made once it is older than `VOD_DEMO_SWEEP_MS`: running
 * and queued jobs are cancelled, then files (with their videos) and unfinished uploads removed.
 * Anyone can fill the sandbox through the demo; nobody can fill the disk with it for long.
 */
export class SandboxSweeper {
  #running: Promise<void> | null = null;

  constructor(private readonly deps: SandboxDeps) {}

  /** One pass (a pass already under way is joined, not doubled). */
  sweep(now = Date.now()): Promise<void> {
    this.#running ??= this.#sweep(now)
      .catch((err: unknown) => this.deps.log.error({ err }, 'sandbox sweep failed'))
      .finally(() => {
        this.#running = null;
      });
    return this.#running;
  }

  /** Resolves once no pass is running (shutdown). */
  async idle(): Promise<void> {
    await this.#running;
  }

  async #sweep(now: number): Promise<void> {
    const { auth, encoding, files, jobs, config } = this.deps;
    const cutoff = new Date(now - config.demoSweepMs).toISOString();
    let removed = 0;
    for (const apiKey of auth.sandboxApiKeys()) {
      const principal: Principal = { apiKey, permissions: new Set(['allow_admin']) };
      for (const jobId of jobs.activeIdsForKey(apiKey, cutoff)) {
        await encoding.cancel(principal, jobId).catch(ignoreConflict);
      }
      for (const fileId of files.idsCreatedBefore(apiKey, cutoff)) {
        await files.delete(principal, fileId).then(() => removed++, ignoreConflict);
      }
      removed += await files.sweepExpiredUploads(config.demoSweepMs, now, apiKey);
    }
    if (removed) {
      await this.deps.quotas.reconcile();
      this.deps.log.info({ removed }, 'demo sandbox swept');
    }
  }
}

/** A job that ended meanwhile, or a file a newer job still uses: the next pass gets it. */
function ignoreConflict(err: unknown): void {
  if (err instanceof ApiError && (err.code === 'conflict' || err.code === 'not_found')) return;
  throw err;
}
