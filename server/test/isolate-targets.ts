/** Functions for media/isolate.test.ts to run in a worker: one of each way a call can end. */

export const echo = (v: unknown): unknown => v;

export function fail(message: string): never {
  throw Object.assign(new Error(message), { code: 'TEST_CODE' });
}

export function spin(): never {
  for (;;);
}

export function hog(): number {
  const keep: number[][] = [];
  for (;;) keep.push(new Array(1 << 16).fill(keep.length));
}
