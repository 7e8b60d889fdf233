/** How fast a request body must arrive: a client slower than this is cut, not waited for. */
export interface BodyPace {
  /** The whole body must have arrived this long after the request's headers. */
  readonly bodyTimeoutMs: number;
  /** Bytes per second a body must average once `graceMs` have passed; 0 checks no rate. */
  readonly minBytesPerSecond: number;
  /** How long a body may arrive at any pace before the rate counts (a connection's slow start). */
  readonly graceMs: number;
}

/** A whole body within 30 s: the largest (8 MiB) takes under 7 s on a 10 Mbit/s link. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
/** 1 KiB/s: a client dripping bytes to hold a connection open sends far less. */
export const DEFAULT_MIN_BODY_BYTES_PER_SECOND = 1024;
export const DEFAULT_MIN_RATE_GRACE_MS = 5_000;

export const DEFAULT_BODY_PACE: BodyPace = {
  bodyTimeoutMs: DEFAULT_BODY_TIMEOUT_MS,
  minBytesPerSecond: DEFAULT_MIN_BODY_BYTES_PER_SECOND,
  graceMs: DEFAULT_MIN_RATE_GRACE_MS,
};

export type SlowBody = 'timeout' | 'too_slow';

/** Whether a body `elapsedMs` into its arrival, with `received` bytes so far, is too slow. */
export function slowBody(
  pace: BodyPace,
  elapsedMs: number,
  received: number,
): SlowBody | undefined {
  if (elapsedMs >= pace.bodyTimeoutMs) return 'timeout';
  if (
    pace.minBytesPerSecond > 0 &&
    elapsedMs >= pace.graceMs &&
    received < (pace.minBytesPerSecond * elapsedMs) / 1000
  )
    return 'too_slow';
  return undefined;
}

/** The words a 408 uses for a body cut as too slow. */
export function slowBodyMessage(pace: BodyPace, why: SlowBody): string {
  return why === 'timeout'
    ? `the body did not arrive whole within ${pace.bodyTimeoutMs} ms; the request is cut`
    : `the body arrived at less than ${pace.minBytesPerSecond} bytes/s after ${pace.graceMs} ms; the request is cut`;
}

/** How often a body's pace is looked at: often enough to cut within a second of the limit. */
const CHECK_EVERY_MS = 1_000;

/**
 * Watches one body as it arrives and calls `cut` once when it is too slow. `received` counts
 * the bytes as they come; `stop` ends the watch (the body is whole, or the request is over).
 */
export function watchBodyPace(
  pace: BodyPace,
  cut: (why: SlowBody) => void,
  now: () => number = Date.now,
): { received(bytes: number): void; stop(): void } {
  const startedAt = now();
  let received = 0;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    const elapsed = now() - startedAt;
    const untilTimeout = pace.bodyTimeoutMs - elapsed;
    const untilGrace = pace.graceMs - elapsed;
    const wait = Math.max(
      1,
      Math.min(CHECK_EVERY_MS, untilTimeout, untilGrace > 0 ? untilGrace : CHECK_EVERY_MS),
    );
    timer = setTimeout(check, wait);
    timer.unref();
  };
  const check = () => {
    timer = undefined;
    const why = slowBody(pace, now() - startedAt, received);
    if (why === undefined) schedule();
    else cut(why);
  };
  schedule();
  return {
    received(bytes) {
      received += bytes;
    },
    stop() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
