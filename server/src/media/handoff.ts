import fs from 'node:fs';
import path from 'node:path';
import { HANDOFF_FOLDER, INIT_FILE, SEGMENT_NAME } from './layout.ts';
import { takeEditList } from './retime.ts';

/**
 * The handoff of a rung from the start group to the rest (media/encode-args.ts `encodeGroups`): the
 * start group wrote the rung's first segments into its folder and exited; the rest writes the same
 * rung from the start into `.handoff/<rung>/`, cut at the same keyframes with the same muxer options,
 * so its segment n is the start group's segment n's successor from n = the start group's count on.
 * Those are moved into the rung's folder in order, each once whole (ffmpeg's `temp_file` renames it
 * into place), where the publisher lists them like any other.
 */
export class Handoff {
  /** The first segment number taken from the rest; null until the start group has ended. */
  #from: number | null = null;
  #next = 0;
  #running: Promise<void> = Promise.resolve();

  constructor(
    readonly outDir: string,
    readonly rung: string,
    /** The segments the start group makes when the source is longer than the handoff cut. */
    readonly expected: number,
  ) {}

  /** One pass (passes never overlap); `startEnded`: the start group's process has exited cleanly. */
  step(startEnded: boolean): Promise<void> {
    this.#running = this.#running.catch(() => {}).then(() => this.#step(startEnded));
    return this.#running;
  }

  async #step(startEnded: boolean): Promise<void> {
    if (!startEnded) return;
    const mine = path.join(this.outDir, this.rung);
    const theirs = path.join(this.outDir, HANDOFF_FOLDER, this.rung);
    const taken = await segmentsIn(theirs);
    if (this.#from === null) {
      const made = await segmentsIn(mine);
      const count = made.size;
      // The start group's segments must be 0…count-1, and the rest's continue them: a start group
      // cut short (a source shorter than the handoff cut) leaves the rest nothing to add.
      for (let n = 0; n < count; n++) {
        if (!made.has(n)) throw new Error(`${this.rung}: the start group has no segment ${n}`);
      }
      if (count !== this.expected && [...taken].some((n) => n >= count)) {
        throw new Error(
          `${this.rung}: the start group made ${count} segments, the handoff wants ${this.expected}`,
        );
      }
      if (taken.size > 0) await sameInit(mine, theirs, this.rung);
      this.#from = count;
      this.#next = count;
    }
    while (taken.has(this.#next)) {
      const name = segmentName(this.#next);
      await fs.promises.rename(path.join(theirs, name), path.join(mine, name));
      this.#next++;
    }
  }

  /** After every process has exited: the last segments moved, and the hidden folder gone. */
  async finish(): Promise<void> {
    await this.step(true);
    const left = [...(await segmentsIn(path.join(this.outDir, HANDOFF_FOLDER, this.rung)))].filter(
      (n) => n >= this.#next,
    );
    if (left.length > 0) throw new Error(`${this.rung}: segment ${this.#next} is missing after the handoff`);
    await fs.promises.rm(path.join(this.outDir, HANDOFF_FOLDER), { recursive: true, force: true });
  }
}

const segmentName = (n: number) => `seg_${String(n).padStart(5, '0')}.m4s`;

async function segmentsIn(dir: string): Promise<Set<number>> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return new Set();
  }
  return new Set(
    names
      .map((n) => SEGMENT_NAME.exec(n)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number),
  );
}

/**
 * Both processes' init segments must be the same (one is listed for the whole rung): the same bytes
 * once the publisher's rewrite (its edit list made `free`, media/retime.ts) is applied to both.
 */
async function sameInit(mine: string, theirs: string, rung: string): Promise<void> {
  const [a, b] = await Promise.all([
    fs.promises.readFile(path.join(mine, INIT_FILE)),
    fs.promises.readFile(path.join(theirs, INIT_FILE)),
  ]);
  takeEditList(a);
  takeEditList(b);
  if (!a.equals(b)) throw new Error(`${rung}: the rest's init segment differs from the start group's`);
}
