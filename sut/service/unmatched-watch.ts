/** How the service notices increments that change nothing (an empty or mismatched table). */
export interface UnmatchedWatchOptions {
  /** How often the share is looked at (ms). */
  readonly intervalMs: number;
  /** Warn when more than this share of the increments flushed in a window changed no row. */
  readonly share: number;
}

export const DEFAULT_UNMATCHED_WATCH: UnmatchedWatchOptions = { intervalMs: 10_000, share: 0.5 };

/**
 * Every window, compares the increments flushed with those that changed no row, and warns
 * when most did: the events are accepted and the flushes commit, so without this a table
 * that lacks the simulated players (never seeded, another --players or --seed) looks healthy.
 * Returns a function that stops watching.
 */
export function watchUnmatched(
  totals: { readonly increments: number; readonly unmatched: number },
  warn: (message: string) => void,
  options: UnmatchedWatchOptions = DEFAULT_UNMATCHED_WATCH,
): () => void {
  let increments = totals.increments;
  let unmatched = totals.unmatched;
  const timer = setInterval(() => {
    const sent = totals.increments - increments;
    const missed = totals.unmatched - unmatched;
    increments = totals.increments;
    unmatched = totals.unmatched;
    if (sent > 0 && missed / sent > options.share)
      warn(
        `${missed.toLocaleString('en-US')} of the ${sent.toLocaleString('en-US')} increments flushed in the last ${options.intervalMs / 1000} s changed no row: the table has no active, unclaimed row for most of these players and goals (seed it with the simulator's --players, --goals and --seed, or drop --skip-seed); harness_increments_unmatched_total counts them`,
      );
  }, options.intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
