/**
 * BatchIncrementProgress as the analysis measured it (docs/the-analysis.md), wall
 * time per batch of the "current" query, i.e. the correlated variant, in milliseconds.
 */
export const SEED_CORRELATED_MS: ReadonlyMap<number, number> = new Map([
  [10, 2.86],
  [25, 3.61],
  [50, 5.03],
  [60, 5.67],
  [75, 6.34],
  [100, 8.89],
  [150, 14.08],
  [200, 22.04],
  [500, 83.16],
  [1000, 295.4],
]);

/** The analysis's revisit trigger: per-row cost "degrading beyond 200 rows"; a ratio above this counts. */
export const DEGRADATION_RATIO = 1.5;
