import type { MediaMetadata } from '@vodkit/api';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import { probeComplexity } from '../media/complexity.ts';
import { REST_NICE } from '../media/encode.ts';
import { encodeGroups } from '../media/encode-args.ts';
import type { EncodePlan } from '../media/ladder.ts';
import { tunePlan } from '../media/per-title.ts';
import type { SourceInput } from '../media/source.ts';

/**
 * Per-title for one job (issue 17 #3): the plan of the encode's later groups, tuned by the complexity
 * probe (media/complexity.ts, media/per-title.ts), which runs beside the start group at the later
 * groups' priority. The start group keeps the fixed ladder (the time to playable does not wait for the
 * probe). Undefined when per-title does not apply: turned off, a source shorter than the configured
 * minimum, a clip, or a plan whose encode is one process (nothing to run beside). Never rejects: a
 * probe that fails or runs out of time leaves the fixed ladder.
 */
export function perTitleLaterPlan(
  config: Pick<
    Config,
    'perTitleMinSeconds' | 'perTitleWaitMs' | 'ffmpegPath' | 'ffprobePath' | 'maxPixels'
  > & {
    encodeThreads: number | null;
  },
  input: SourceInput,
  metadata: MediaMetadata,
  plan: EncodePlan,
  durationS: number,
  log: Pick<FastifyBaseLogger, 'info' | 'warn'>,
  jobId: string,
  /** Stops the probe: the job was cancelled or its encode ended. */
  signal?: AbortSignal,
): Promise<EncodePlan> | undefined {
  if (config.perTitleMinSeconds === null || durationS < config.perTitleMinSeconds) return undefined;
  if (!metadata.video || plan.sourceRange) return undefined;
  const groups = encodeGroups(plan);
  if (groups.length < 2) return undefined;
  const keep = new Set(groups[0]!.rungs);
  return probeComplexity(config, input, metadata, {
    // The rest of the ladder waits for it (and continues the start group's rung): bounded tighter than a probe.
    timeoutMs: config.perTitleWaitMs,
    maxPixels: config.maxPixels,
    threads: config.encodeThreads,
    nice: REST_NICE,
    ...(signal ? { signal } : {}),
  }).then(
    (probe) => {
      const tuned = tunePlan(plan, probe, keep);
      log.info(
        {
          jobId,
          ms: probe.ms,
          decision: tuned.decision,
          rungs: tuned.plan.rungs.map((r) => ({ name: r.name, crf: r.crf, maxrate: r.maxrate })),
        },
        'per-title: rungs tuned',
      );
      return tuned.plan;
    },
    (err: unknown) => {
      if (!signal?.aborted)
        log.warn({ jobId, err }, 'per-title: the complexity probe failed, keeping the fixed ladder');
      return plan;
    },
  );
}
