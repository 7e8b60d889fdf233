/**
 * The wait before the next attempt of a failed flush: exponential in the failures so far,
 * capped at `maxMs`, less a random share of up to `jitter` of it. Eight partitions that failed
 * on one tick then come back spread out instead of all on the same millisecond, against a
 * database that is just recovering; no wait is longer than the un-jittered backoff.
 */
export function retryDelayMs(
  failures: number,
  config: {
    readonly retryBaseMs: number;
    readonly retryMaxMs: number;
    readonly retryJitter: number;
  },
  random: () => number,
): number {
  const ceiling = Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** Math.max(0, failures - 1));
  return ceiling * (1 - config.retryJitter * random());
}
