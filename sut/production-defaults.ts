/**
 * The production service's figures (docs/production-system.md) that the harness uses as its
 * defaults: every command, scenario and sweep starts from these unless told otherwise.
 */
export const PRODUCTION = {
  /** Partitions, each with its buffer and flush worker. */
  partitions: 8,
  /** The SQL form production ships (sut/sql/variants/join.sql). */
  variant: 'join',
  /** A flush every 100 ms per partition. */
  flushIntervalMs: 100,
  /** A partition flushes at once when it holds this many keys. */
  bufferSize: 3000,
  /** Players in the table, and goal rows per player. */
  players: 10_000,
  goalsPerPlayer: 50,
  /** The seed for ids, row states and batches, so two runs meet the same table. */
  seed: 42,
  /** The database CPU share the analysis calls constrained (a revisit trigger). */
  dbCpuLimitPercent: 70,
} as const;
