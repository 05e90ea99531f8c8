import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function firstLine(cmd: string, args: string[], cwd?: string): Promise<string | null> {
  try {
    const { stdout } = await run(cmd, args, { timeout: 10_000, ...(cwd ? { cwd } : {}) });
    return stdout.split('\n')[0]?.trim() || null;
  } catch {
    return null;
  }
}

export interface MachineInfo {
  date: string;
  nproc: number;
  cpuModel: string;
  cpuCount: number;
  totalMemGiB: number;
  platform: string;
  kernel: string;
  node: string;
  ffmpeg: string | null;
  ffprobe: string | null;
  /** 1, 5, 15 minute load averages when the bench started: other work on the box skews every figure. */
  loadAvgAtStart: number[];
  git: { commit: string | null; dirty: boolean | null };
}

export async function machineInfo(repoRoot: string, ffmpegPath: string, ffprobePath: string) {
  const [nproc, ffmpeg, ffprobe, commit, status] = await Promise.all([
    firstLine('nproc', []),
    firstLine(ffmpegPath, ['-hide_banner', '-version']),
    firstLine(ffprobePath, ['-hide_banner', '-version']),
    firstLine('git', ['rev-parse', 'HEAD'], repoRoot),
    run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot, timeout: 10_000 }).then(
      (r) => r.stdout.trim().length > 0,
      () => null,
    ),
  ]);
  const info: MachineInfo = {
    date: new Date().toISOString(),
    nproc: nproc ? Number(nproc) : os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cpuCount: os.cpus().length,
    totalMemGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    node: process.version,
    ffmpeg,
    ffprobe,
    loadAvgAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
    git: { commit, dirty: status },
  };
  return info;
}

/** Jiffies (USER_HZ, 100 per second on Linux) busy on all CPUs, and used by this process and its reaped children. */
function cpuSnapshot(): { total: number; own: number } | null {
  try {
    const cpu = fs
      .readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    const self = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = self
      .slice(self.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    // utime stime cutime cstime are fields 14–17 of the line, 11–14 after "pid (comm)".
    const own = (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0);
    return { total: user + nice + system + irq + softirq + steal, own };
  } catch {
    return null;
  }
}

export interface ForeignCpu {
  /** CPU seconds spent by processes other than the bench and the children it waited for. */
  foreignCpuS: number;
  /** That, as a share of all the CPU time the machine had during the section (0–1). */
  foreignShare: number;
}

/**
 * Measures how much CPU OTHER work took while a section ran (Linux: /proc/stat minus our own and our
 * children's time). Returns a stop function; null figures where /proc is not available.
 */
export function foreignCpuMeter(): () => ForeignCpu | null {
  const start = cpuSnapshot();
  const t0 = performance.now();
  return () => {
    const end = cpuSnapshot();
    if (!start || !end) return null;
    const hz = 100;
    const foreign = Math.max(0, end.total - start.total - (end.own - start.own)) / hz;
    const available = ((performance.now() - t0) / 1000) * os.availableParallelism();
    return {
      foreignCpuS: Math.round(foreign * 100) / 100,
      foreignShare: available > 0 ? Math.round((foreign / available) * 1000) / 1000 : 0,
    };
  };
}
