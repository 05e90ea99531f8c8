import { afterAll, describe, expect, it } from 'vitest';
import { Isolate, IsolateError } from './isolate.ts';

const isolate = new Isolate(new URL('../../test/isolate-targets.ts', import.meta.url), {
  timeoutMs: 1_000,
  maxHeapMb: 32,
});
/** The heap test's own: filling 32 MB near the limit, GC can take seconds on a busy machine. */
const roomy = new Isolate(new URL('../../test/isolate-targets.ts', import.meta.url), {
  timeoutMs: 30_000,
  maxHeapMb: 32,
});
afterAll(() => Promise.all([isolate.close(), roomy.close()]));

const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (err: unknown) => (err instanceof IsolateError ? err : null),
  );

describe('Isolate: pure functions of hostile input off the event loop', () => {
  it('returns values and thrown errors (with their code) from the worker', async () => {
    expect(await isolate.call('echo', [{ a: [1, 2] }])).toEqual({ a: [1, 2] });
    const thrown = await failure(isolate.call('fail', ['nope']));
    expect(thrown).toMatchObject({ reason: 'thrown', error: { code: 'TEST_CODE', message: 'nope' } });
  });

  it('terminates a call that hangs or exhausts its heap, and the next call gets a fresh worker', async () => {
    // While the worker spins, this event loop answers: a timer set now fires before the call ends.
    let ticked = false;
    setTimeout(() => {
      ticked = true;
    }, 10);
    const hang = await failure(isolate.call('spin', []));
    expect(hang?.reason).toBe('timeout');
    expect(ticked).toBe(true);
    expect((await failure(roomy.call('hog', [])))?.reason).toBe('out_of_memory');
    expect(await isolate.call('echo', [7])).toBe(7);
  });
});
