import { Worker } from 'node:worker_threads';
import pLimit from 'p-limit';

/*
 * Runs pure functions of an uploaded file's bytes in a worker thread, so that however the input makes
 * them behave, the HTTP server's event loop keeps answering: the worker has its own heap with a hard
 * limit, each call has a deadline after which the worker is terminated (the next call starts a new
 * one), and an idle worker goes away.
 */

export interface IsolateOptions {
  /** A call that takes longer terminates the worker. */
  timeoutMs: number;
  /** V8 old-generation heap of the worker, MB: beyond it the worker dies, not the server. */
  maxHeapMb: number;
  /** Calls waiting for the worker beyond which new ones are refused (`busy`). Default 32. */
  maxWaiting?: number;
  /** An idle worker is ended after this long. Default 30 s. */
  idleMs?: number;
}

export type IsolateFailure = 'thrown' | 'timeout' | 'out_of_memory' | 'crashed' | 'busy';

/** How an isolated call ended without a value. `error`: the thrown error's plain fields. */
export class IsolateError extends Error {
  override readonly name = 'IsolateError';
  constructor(
    readonly reason: IsolateFailure,
    message: string,
    readonly error?: { name?: string; message: string; code?: unknown; line?: unknown },
  ) {
    super(message);
  }
}

/** Loading the module in a new worker (tsx compiles it there on a cold cache). */
const START_TIMEOUT_MS = 30_000;

type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: IsolateError['error'] };

/** One worker for the exports of one module, one call at a time. */
export class Isolate {
  readonly #module: URL;
  readonly #options: Required<IsolateOptions>;
  readonly #queue = pLimit(1);
  #worker: Promise<Worker> | null = null;
  #idle: NodeJS.Timeout | null = null;
  #nextId = 0;

  constructor(module: URL, options: IsolateOptions) {
    this.#module = module;
    this.#options = { maxWaiting: 32, idleMs: 30_000, ...options };
  }

  /** `name(...args)` of the module, in the worker. Arguments and result are structured-cloned. */
  call<T>(name: string, args: unknown[]): Promise<T> {
    if (this.#queue.pendingCount >= this.#options.maxWaiting) {
      return Promise.reject(new IsolateError('busy', `too many ${name} calls waiting`));
    }
    return this.#queue(() => this.#run(name, args)) as Promise<T>;
  }

  /** Ends the worker (a later call starts another). */
  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = null;
    if (this.#idle) clearTimeout(this.#idle);
    await (await w?.catch(() => null))?.terminate();
  }

  /** A worker that has loaded the module (its start-up, tsx's compile included, is not a call's time). */
  #spawn(): Promise<Worker> {
    const { maxHeapMb } = this.#options;
    const worker = new Worker(new URL('./isolate-worker.mjs', import.meta.url), {
      workerData: { module: this.#module.href },
      resourceLimits: {
        maxOldGenerationSizeMb: maxHeapMb,
        maxYoungGenerationSizeMb: Math.max(4, Math.min(32, maxHeapMb >> 3)),
        stackSizeMb: 4,
      },
    });
    // An idle worker must not keep the process alive.
    worker.unref();
    return new Promise((resolve, reject) => {
      const fail = (err: unknown) => {
        clearTimeout(timer);
        void worker.terminate();
        reject(
          new IsolateError('crashed', `the worker did not start: ${String((err as Error)?.message ?? err)}`),
        );
      };
      const timer = setTimeout(() => fail('start-up timeout'), START_TIMEOUT_MS);
      worker.once('message', (m: { ready?: boolean; error?: string }) => {
        worker.off('error', fail).off('exit', fail);
        if (!m.ready) return fail(m.error);
        clearTimeout(timer);
        resolve(worker);
      });
      worker.once('error', fail).once('exit', fail);
    });
  }

  async #run(name: string, args: unknown[]): Promise<unknown> {
    if (this.#idle) clearTimeout(this.#idle);
    this.#worker ??= this.#spawn();
    const starting = this.#worker;
    const worker = await starting.catch((err: unknown) => {
      if (this.#worker === starting) this.#worker = null;
      throw err;
    });
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const done = (kill: boolean, fn: () => void) => {
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (kill) {
          if (this.#worker === starting) this.#worker = null;
          void worker.terminate();
        } else {
          this.#idle = setTimeout(() => void this.close(), this.#options.idleMs).unref();
        }
        fn();
      };
      const onMessage = (m: Reply) => {
        if (m.id !== id) return;
        done(false, () =>
          m.ok ? resolve(m.value) : reject(new IsolateError('thrown', m.error?.message ?? 'failed', m.error)),
        );
      };
      const onError = (err: Error & { code?: string }) => {
        const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
        done(true, () =>
          reject(new IsolateError(oom ? 'out_of_memory' : 'crashed', `${name}: ${err.message}`)),
        );
      };
      const onExit = (code: number) =>
        done(true, () => reject(new IsolateError('crashed', `${name}: the worker exited (${code})`)));
      const timer = setTimeout(
        () =>
          done(true, () =>
            reject(new IsolateError('timeout', `${name} took over ${this.#options.timeoutMs} ms`)),
          ),
        this.#options.timeoutMs,
      );
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage({ id, name, args });
    });
  }
}
