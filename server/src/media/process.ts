import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { type FfmpegPaths, ffmpegCommand } from './ffmpeg.ts';
import { type SourceInput, sourceTarget } from './source.ts';

/**
 * The one place that runs ffmpeg for media/: start, stats, kill, timeout. fluent-ffmpeg stays behind
 * this (callers hand over plain argument lists built by pure functions).
 */

export type RunErrorCode = 'encode_failed' | 'encode_timeout' | 'encode_cancelled' | 'too_many_pixels';

export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  constructor(
    readonly code: RunErrorCode | 'source_truncated' | 'too_long',
    message: string,
    /** The last meaningful lines ffmpeg printed, oldest first. */
    readonly stderrTail: readonly string[] = [],
  ) {
    super(message);
  }
}

export interface FfmpegJob {
  /** Options placed before `-i` (the safe input options, `-t`, …). */
  inputOptions: readonly string[];
  /** A local path, or a URL storage/ signed (its input options then come from media/source.ts). */
  input: SourceInput;
  /** Further local inputs (same safe options), `-i` after the first. */
  moreInputs?: readonly string[];
  /** Further inputs with their own options (a watermark's logo: a path or a signed URL), after those. */
  extraInputs?: readonly { input: SourceInput; options: readonly string[] }[];
  filterComplex: string;
  /** One entry per output file: its options, then its target path. */
  outputs: readonly { options: readonly string[]; target: string }[];
}

export interface RunOptions {
  paths: FfmpegPaths;
  /** ffmpeg is SIGKILLed after this and `done` rejects with `encode_timeout`. */
  timeoutMs: number;
  /** ffmpeg's `time=` (seconds): the furthest point written across outputs. */
  onTime?: (seconds: number) => void;
  /** Called once with the pid right after spawn. */
  onSpawn?: (pid: number) => void;
  /** Strings replaced in the error message shown to API clients (paths). */
  redact?: readonly [string, string][];
  /** Niceness of the process (default 10: below the HTTP server). */
  nice?: number;
}

export interface RunHandle {
  /** Resolves when ffmpeg exited cleanly; rejects with EncodeError, always after the process is gone. */
  done: Promise<void>;
  /** SIGKILLs ffmpeg (or stops it from starting); `done` then rejects with `encode_cancelled`. */
  cancel(): void;
  pid(): number | null;
}

/** ffmpeg's periodic stats line; it also carries `time=`. */
const STATS_LINE = /^\s*(frame|size)=.*time=/;
const TIME = /time=\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/;
/**
 * The decoder refusing a frame over `-max_pixels`. ffmpeg only drops such frames and goes on (exit 0),
 * so the run is stopped here: a source that grows after its first frame must fail, not lose frames.
 */
const OVER_MAX_PIXELS = /Picture size (\d+x\d+) exceeds specified max pixel count (\d+)/;
/** Harmless chatter: the poster's full-range pixel format, the HLS muxer's bandwidth note. */
const NOISE = /deprecated pixel format used|Bandwidth info not available/;
const TAIL_LINES = 20;

const DEFAULT_NICE = 10;

/**
 * Lowers the priority of a running ffmpeg to `nice`: every thread of it (Linux niceness is per thread, and
 * its decoder and encoder threads exist by now). Only ever lowered: raising it back needs privileges.
 */
export function renice(pid: number, nice: number): void {
  let tids: number[] = [pid];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    // no /proc: the main thread only
  }
  for (const tid of tids) {
    try {
      if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
    } catch {
      // gone, or not ours
    }
  }
}

let warm: Promise<void> | null = null;

/**
 * fluent-ffmpeg checks the formats and encoders it may need before its first run in a process
 * (`ffmpeg -formats`, `ffmpeg -encoders`: two spawns, up to seconds on a busy machine), then caches
 * them. Done once, ahead of the first encode (EncodingService.start), and awaited by every run, so two
 * processes started together never both pay it.
 */
export function warmUp(paths: FfmpegPaths): Promise<void> {
  warm ??= new Promise<void>((resolve) => {
    const cmd = ffmpegCommand(paths);
    cmd.availableFormats(() => cmd.availableEncoders(() => resolve()));
  });
  return warm;
}

export function runFfmpeg(job: FfmpegJob, options: RunOptions): RunHandle {
  // Options go in as separate arguments: given one array, fluent-ffmpeg splits any "a b" item in two.
  // `file:` so that a name containing a colon is never read as another protocol (media/source.ts).
  const cmd = ffmpegCommand(options.paths, sourceTarget(job.input))
    .inputOptions(...job.inputOptions)
    // -stats prints progress even at loglevel warning; -nostdin: ffmpeg must never wait for a key.
    .addOptions('-hide_banner', '-nostdin', '-loglevel', 'warning', '-stats');
  for (const more of job.moreInputs ?? []) cmd.input(`file:${more}`).inputOptions(...job.inputOptions);
  for (const extra of job.extraInputs ?? [])
    cmd.input(sourceTarget(extra.input)).inputOptions(...extra.options);
  if (job.filterComplex) cmd.complexFilter(job.filterComplex);
  for (const out of job.outputs) cmd.output(out.target).outputOptions(...out.options);

  const tail: string[] = [];
  let stopReason: 'cancel' | 'timeout' | EncodeError | null = null;
  let spawned: { pid?: number | undefined; kill(signal: NodeJS.Signals): boolean } | null = null;
  const kill = () => {
    // fluent-ffmpeg's kill() is a no-op before spawn; the 'start' handler covers that window.
    if (spawned) spawned.kill('SIGKILL');
  };

  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stopReason ??= 'timeout';
      kill();
    }, options.timeoutMs);
    timer.unref();

    cmd.on('start', () => {
      spawned = (cmd as unknown as { ffmpegProc?: typeof spawned }).ffmpegProc ?? null;
      if (stopReason) kill();
      else if (spawned?.pid) {
        options.onSpawn?.(spawned.pid);
        try {
          // Lower priority: the HTTP server stays responsive while ffmpeg takes every core.
          os.setPriority(spawned.pid, options.nice ?? DEFAULT_NICE);
        } catch {
          // not permitted here: run at normal priority
        }
      }
    });
    cmd.on('stderr', (line: string) => {
      if (STATS_LINE.test(line)) {
        const m = TIME.exec(line);
        if (m) options.onTime?.(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]));
        return;
      }
      const over = OVER_MAX_PIXELS.exec(line);
      if (over) {
        stopReason ??= new EncodeError(
          'too_many_pixels',
          `a frame of the source is ${over[1]}, more than the ${over[2]} pixels per frame accepted`,
        );
        kill();
      }
      const trimmed = line.trim();
      if (!trimmed || NOISE.test(trimmed)) return;
      // The log too: a signed source URL in ffmpeg's messages is a credential for hours.
      let kept = trimmed;
      for (const [from, to] of options.redact ?? []) kept = kept.replaceAll(from, to);
      tail.push(kept);
      if (tail.length > TAIL_LINES) tail.shift();
    });
    cmd.on('error', (err: Error) => {
      clearTimeout(timer);
      if (stopReason instanceof EncodeError) {
        reject(new EncodeError(stopReason.code, stopReason.message, [...tail]));
      } else if (stopReason === 'cancel') {
        reject(new EncodeError('encode_cancelled', 'the encode was cancelled', [...tail]));
      } else if (stopReason === 'timeout') {
        reject(
          new EncodeError(
            'encode_timeout',
            `ffmpeg ran longer than ${Math.round(options.timeoutMs / 1000)} s and was killed`,
            [...tail],
          ),
        );
      } else {
        const last = tail.at(-1);
        // fluent-ffmpeg's message is "ffmpeg exited with code N: <its own guess>"; ours ends with the real
        // last line, without our paths (the message reaches API clients; the raw tail goes to the log).
        const head = err.message.split(':')[0] ?? err.message;
        let shown = last ? `${head}: ${last}` : head;
        for (const [from, to] of options.redact ?? []) shown = shown.replaceAll(from, to);
        reject(new EncodeError('encode_failed', shown, [...tail]));
      }
    });
    cmd.on('end', () => {
      clearTimeout(timer);
      // Exited by itself before the kill landed: the frames it dropped still fail the run.
      if (stopReason instanceof EncodeError) {
        reject(new EncodeError(stopReason.code, stopReason.message, [...tail]));
      } else if (stopReason === 'cancel') {
        reject(new EncodeError('encode_cancelled', 'the encode was cancelled', [...tail]));
      } else resolve();
    });
  });

  // A cancel before the spawn is handled by the 'start' handler (kill at once).
  void warmUp(options.paths).then(() => cmd.run());
  return {
    done,
    cancel: () => {
      stopReason ??= 'cancel';
      kill();
    },
    pid: () => spawned?.pid ?? null,
  };
}

/**
 * runFfmpeg once `job` is known (the later groups of a per-title encode wait for the complexity probe).
 * A cancel before then stops it from ever starting; a job that rejects fails the run (`encode_failed`).
 */
export function runFfmpegWhen(job: Promise<FfmpegJob>, options: RunOptions): RunHandle {
  let started: RunHandle | null = null;
  let stop: ((err: EncodeError) => void) | null = null;
  const cancelled = () => new EncodeError('encode_cancelled', 'the encode was cancelled');
  const done = new Promise<void>((resolve, reject) => {
    stop = reject;
    job.then(
      (j) => {
        if (!stop) return;
        started = runFfmpeg(j, options);
        started.done.then(resolve, reject);
      },
      (err: unknown) =>
        reject(new EncodeError('encode_failed', err instanceof Error ? err.message : String(err))),
    );
  });
  return {
    done,
    cancel: () => {
      // Not started: it never will, and the run ends now (not when the job is known).
      if (!started) stop?.(cancelled());
      stop = null;
      started?.cancel();
    },
    pid: () => started?.pid() ?? null,
  };
}

/**
 * Runs a short ffprobe (or ffmpeg) command and returns its stdout: SIGKILL after `timeoutMs`, output
 * capped. For the quick packet- and stream-level looks the encoder takes before it starts.
 */
export async function capture(
  bin: string,
  args: readonly string[],
  timeoutMs: number,
  maxBytes = 8 << 20,
): Promise<string> {
  return (await captureBytes(bin, args, timeoutMs, maxBytes)).toString('utf8');
}

/** capture's bytes as they are (an elementary stream on stdout). */
export async function captureBytes(
  bin: string,
  args: readonly string[],
  timeoutMs: number,
  maxBytes = 8 << 20,
): Promise<Buffer> {
  return (await captureOutput(bin, args, { timeoutMs, maxBytes })).stdout;
}

export interface CaptureOptions {
  /** SIGKILL after this; the promise rejects. */
  timeoutMs: number;
  /** More stdout than this kills the process; the promise rejects. */
  maxBytes?: number;
  /** Niceness of the process (default: ours): work done beside an encode must not slow it. */
  nice?: number;
  /** Kills the process (the promise rejects). */
  signal?: AbortSignal;
}

/**
 * A short command's stdout and the end of its stderr (the last 16 KiB: where ffmpeg's encoders print
 * their summaries). Rejects on a non-zero exit, a timeout or too much output, after the process is gone.
 */
export function captureOutput(
  bin: string,
  args: readonly string[],
  options: CaptureOptions,
): Promise<{ stdout: Buffer; stderr: string }> {
  const maxBytes = options.maxBytes ?? 8 << 20;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    if (options.nice !== undefined && child.pid) renice(child.pid, options.nice);
    const out: Buffer[] = [];
    let bytes = 0;
    let err = '';
    let failure: Error | null = null;
    const fail = (e: Error) => {
      failure ??= e;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () => fail(new Error(`${bin} did not finish within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    const abort = () => fail(new Error(`${bin} was stopped`));
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) fail(new Error(`${bin} printed more than ${maxBytes} bytes`));
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-STDERR_KEEP);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      if (failure) reject(failure);
      else if (code !== 0) reject(new Error(err.trim().split('\n').at(-1) || `${bin} exited with ${code}`));
      else resolve({ stdout: Buffer.concat(out), stderr: err });
    });
  });
}

/** How much of a captured command's stderr is kept (its end). */
const STDERR_KEEP = 16 << 10;

/**
 * Whether `pid` is a live ffmpeg whose command line mentions `marker` (a job's output folder): the check
 * that keeps a recycled pid from being mistaken for a leftover encoder. Linux only (/proc); elsewhere false.
 */
export async function isEncoderProcess(pid: number, marker: string): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return false;
  try {
    const { readFile } = await import('node:fs/promises');
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return /ffmpeg/.test(cmdline[0] ?? '') && cmdline.some((a) => a.includes(marker));
  } catch {
    return false;
  }
}

/**
 * Every live ffmpeg whose command line mentions `marker` (a job's output folder): an encode runs one
 * process per group (encodeGroups), and the job records only one pid. Linux only (/proc); elsewhere [].
 */
export async function findEncoderProcesses(marker: string): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const pids = entries.filter((e) => /^\d+$/.test(e)).map(Number);
  const found: number[] = [];
  for (const pid of pids) if (await isEncoderProcess(pid, marker)) found.push(pid);
  return found;
}
