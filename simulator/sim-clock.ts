/** Time as the simulator sees it; injected so executors run under fake time in tests. */
export interface SimClock {
  /** Monotonic milliseconds, for scheduling. */
  now(): number;
  /** Epoch milliseconds, stamped on events as their intended send time. */
  wallNow(): number;
  /** Resolves after `ms` (>= 0); 0 yields to pending I/O. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: SimClock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  sleep: (ms) =>
    new Promise((resolve) => (ms <= 0 ? setImmediate(resolve) : setTimeout(resolve, ms))),
};

/** A clock that only moves when slept on: deterministic tests of the schedule. */
export class FakeClock implements SimClock {
  private t = 0;

  constructor(private readonly epoch = 1_800_000_000_000) {}

  now(): number {
    return this.t;
  }

  wallNow(): number {
    return this.epoch + this.t;
  }

  sleep(ms: number): Promise<void> {
    this.t += Math.max(ms, 0);
    return Promise.resolve();
  }

  /** Time passing without the simulator's consent: a GC pause, a slow send. */
  advance(ms: number): void {
    this.t += ms;
  }
}
