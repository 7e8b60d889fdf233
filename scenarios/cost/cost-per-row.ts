import type { DbCounters } from './db-counters.ts';

/** Where a CPU figure comes from: what it counts differs. */
export type CpuSource =
  /** The backends' own CPU time (/proc schedstat): the statements alone. */
  | 'backends'
  /** Every process of the server (/proc): backends, WAL writer, checkpointer, autovacuum. */
  | 'server'
  /** pg_stat_statements' planning + execution time: time in the server, waits included. */
  | 'pg_stat_statements';

/** What a window of updates cost the database, per row updated. */
export interface RowCost {
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** Microseconds of CPU (or of server time, by `cpuSource`) per row; null when unmeasured. */
  readonly cpuUsPerRow: number | null;
  readonly cpuSource: CpuSource | null;
  readonly walBytesPerRow: number;
  /** Full-page images per row, and their share of the WAL records; null before PostgreSQL 14. */
  readonly fpiPerRow: number | null;
  readonly fpiShare: number | null;
  /** Share of the table's updates that stayed on their page (HOT); null with no updates. */
  readonly hotShare: number | null;
  readonly buffersHitPerRow: number;
  readonly buffersReadPerRow: number;
  /** Checkpoints started and autovacuum/autoanalyze runs on the table inside the window. */
  readonly checkpoints: number | null;
  readonly autovacuums: number;
  readonly autoanalyzes: number;
}

const per = (value: number, rows: number) => (rows > 0 ? value / rows : 0);

/**
 * The cost per row of the window between two readings, in which `rows` rows were updated
 * over `seconds`; `cpuUs` is the CPU (or server time) the window took, from `cpuSource`.
 */
export function rowCost(
  before: DbCounters,
  after: DbCounters,
  window: {
    readonly rows: number;
    readonly seconds: number;
    readonly cpuUs?: number | undefined;
    readonly cpuSource?: CpuSource | undefined;
  },
): RowCost {
  const { rows, seconds } = window;
  const diff = (a: number | null, b: number | null) =>
    a === null || b === null ? null : Math.max(0, a - b);
  const records = diff(after.walRecords, before.walRecords);
  const fpi = diff(after.walFpi, before.walFpi);
  const updates = Math.max(0, after.tupUpd - before.tupUpd);
  const hot = Math.max(0, after.tupHotUpd - before.tupHotUpd);
  const cpu = window.cpuUs !== undefined && window.cpuSource !== undefined;
  return {
    rows,
    seconds,
    rowsPerSecond: seconds > 0 ? rows / seconds : 0,
    cpuUsPerRow: cpu ? per(window.cpuUs ?? 0, rows) : null,
    cpuSource: cpu ? (window.cpuSource ?? null) : null,
    walBytesPerRow: per(Math.max(0, after.walBytes - before.walBytes), rows),
    fpiPerRow: fpi === null ? null : per(fpi, rows),
    fpiShare: fpi === null || records === null || records === 0 ? null : fpi / records,
    hotShare: updates > 0 ? hot / updates : null,
    buffersHitPerRow: per(Math.max(0, after.blocksHit - before.blocksHit), rows),
    buffersReadPerRow: per(Math.max(0, after.blocksRead - before.blocksRead), rows),
    checkpoints: diff(after.checkpoints, before.checkpoints),
    autovacuums: Math.max(0, after.autovacuums - before.autovacuums),
    autoanalyzes: Math.max(0, after.autoanalyzes - before.autoanalyzes),
  };
}
