import { UsageError } from '../../lib/errors.ts';
import type { StatementMode } from '../../results/schema/result-schema.ts';
import { PRODUCTION } from '../../sut/production-defaults.ts';

/** Everything a sweep needs to know; recorded whole in the results JSON so it can be rerun. */
export interface SweepSettings {
  /** Rows per batch, ascending, each measured for every variant. */
  readonly sizes: readonly number[];
  /** Players seeded. */
  readonly players: number;
  /** Goal rows per player. */
  readonly goals: number;
  /** Seed for the table and for the rows each batch picks. */
  readonly seed: number;
  /** A cell (variant x size x statement mode) takes at least this many timed batches... */
  readonly minSamples: number;
  /** ...and at least this much timed wall time, whichever comes later. */
  readonly minTimeMs: number;
  /** Statement modes measured; both gives the prepared vs unprepared difference. */
  readonly statements: readonly StatementMode[];
  /** Parallel flushers on separate connections over disjoint players (8 = the service's partitions). */
  readonly concurrency: number;
  /** EXPLAIN (ANALYZE, BUFFERS) runs per variant x size, apart from the timed batches. */
  readonly explainRuns: number;
  /** Untimed batches per variant x statement mode before the first size. */
  readonly warmupBatches: number;
  /** VACUUM the table between sizes, removing the dead tuples the previous size left. */
  readonly vacuumBetweenSizes: boolean;
  /** Seed the table as COPY leaves it (full pages) rather than settled (seeder.ts). */
  readonly freshTable: boolean;
  /** Run the pgbench cross-check. */
  readonly pgbench: boolean;
  /** Each cell's cost pass, its batches alone between counter readings (ms); 0: none, and no ceiling. */
  readonly costMs: number;
  /** Rows the ceiling at each size applies (a server-side loop, no client in it). */
  readonly ceilingRows: number;
  readonly quick: boolean;
}

/** The default sweep: the analysis's grid plus 1, 500, 1,000 and 2,000 rows, on a production-sized table. */
export const DEFAULT_SWEEP_SETTINGS: SweepSettings = {
  sizes: [1, 10, 25, 50, 60, 75, 100, 150, 200, 500, 1000, 2000],
  players: PRODUCTION.players,
  goals: PRODUCTION.goalsPerPlayer,
  seed: PRODUCTION.seed,
  minSamples: 10,
  minTimeMs: 1500,
  statements: ['unprepared', 'prepared'],
  concurrency: 1,
  explainRuns: 3,
  warmupBatches: 3,
  vacuumBetweenSizes: false,
  freshTable: false,
  pgbench: false,
  costMs: 1000,
  ceilingRows: 20_000,
  quick: false,
};

/** `--quick`: the sizes that carry the story (production, the analysis's limit, past the revisit line), briefly. */
export const QUICK_SWEEP_SETTINGS: Pick<
  SweepSettings,
  'sizes' | 'minSamples' | 'minTimeMs' | 'explainRuns' | 'warmupBatches' | 'costMs' | 'ceilingRows'
> = {
  sizes: [10, 60, 200, 1000],
  minSamples: 5,
  minTimeMs: 300,
  explainRuns: 2,
  warmupBatches: 2,
  costMs: 250,
  ceilingRows: 4000,
};

/** Parses `1,10,25` into ascending distinct positive integers; names the flag on error. */
export function parseSizes(value: string, flag = '--sizes'): number[] {
  const parts = value.split(',').map((p) => p.trim());
  const bad = parts.filter(
    (p) => !/^\d+$/.test(p) || Number(p) < 1 || !Number.isSafeInteger(Number(p)),
  );
  if (parts.length === 0 || bad.length > 0) {
    throw new UsageError(
      `${flag} "${value}" must be a comma-separated list of positive integers (bad: ${bad.map((b) => JSON.stringify(b)).join(', ')})`,
    );
  }
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
}

export function parseStatements(value: string): StatementMode[] {
  const parts = [...new Set(value.split(',').map((p) => p.trim()))];
  const bad = parts.filter((p) => p !== 'unprepared' && p !== 'prepared');
  if (bad.length > 0 || parts.length === 0) {
    throw new UsageError(
      `--statements "${value}" must be unprepared, prepared, or both separated by a comma`,
    );
  }
  return parts as StatementMode[];
}
