import { Worker } from 'node:worker_threads';

/**
 * Wakes the event loop at a time given to a fraction of a millisecond, without burning CPU.
 * Node's timers have a resolution of one millisecond, too coarse for a 0.5 ms round trip, and
 * polling the loop until the time comes keeps a core busy, which on a shared machine gets the
 * process descheduled for longer than the delay itself. Here a worker thread sleeps on a
 * futex (Atomics.wait, whose timeout the kernel keeps to tens of microseconds) and posts a
 * message when the time comes; the main thread sleeps in its own poll until then.
 */
export interface PreciseTicker {
  /** Calls `wake` once at or after `atMs` (performance.timeOrigin + performance.now()). */
  at(atMs: number, wake: () => void): void;
  close(): Promise<void>;
}

/** The worker: sleeps until the due time in slot 1, or until slot 0 changes (a new due time). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const generation = new Int32Array(workerData, 0, 1);
const due = new Float64Array(workerData, 8, 1);
const now = () => performance.timeOrigin + performance.now();
for (;;) {
  const seen = Atomics.load(generation, 0);
  const at = due[0];
  if (at < 0) break;
  if (at === 0) { Atomics.wait(generation, 0, seen); continue; }
  const wait = at - now();
  if (wait > 0) { Atomics.wait(generation, 0, seen, wait); continue; }
  due[0] = 0;
  parentPort.postMessage(at);
}
`;

export const absoluteNow = (): number => performance.timeOrigin + performance.now();

export function startPreciseTicker(): PreciseTicker {
  const shared = new SharedArrayBuffer(16);
  const generation = new Int32Array(shared, 0, 1);
  const due = new Float64Array(shared, 8, 1);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: shared });
  worker.unref();
  // Who waits for what; the worker is armed with the earliest.
  const waiting: { at: number; wake: () => void }[] = [];
  let armed = 0;
  const arm = () => {
    const next = waiting.reduce((m, w) => Math.min(m, w.at), Number.POSITIVE_INFINITY);
    if (next === Number.POSITIVE_INFINITY || next === armed) return;
    armed = next;
    due[0] = next;
    Atomics.add(generation, 0, 1);
    Atomics.notify(generation, 0);
  };
  worker.on('message', () => {
    armed = 0;
    const now = absoluteNow();
    const ready = waiting.filter((w) => w.at <= now);
    for (const w of ready) waiting.splice(waiting.indexOf(w), 1);
    for (const w of ready) w.wake();
    arm();
  });
  return {
    at(atMs, wake) {
      waiting.push({ at: atMs, wake });
      if (armed === 0 || atMs < armed) arm();
    },
    async close() {
      due[0] = -1;
      Atomics.add(generation, 0, 1);
      Atomics.notify(generation, 0);
      await worker.terminate();
    },
  };
}
