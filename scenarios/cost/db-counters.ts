import type pg from 'pg';
import type { TargetTable } from '../../sut/db/target-table.ts';

/**
 * The server's cumulative counters that a window of updates moves: WAL, the table's updates
 * and buffer traffic, checkpoints and autovacuum. Two readings bracket a window; their
 * difference, divided by the rows the window updated, is the cost per row (cost-per-row.ts).
 */
export interface DbCounters {
  /** Bytes of WAL inserted so far (the insert position): exact and immediate. */
  readonly walBytes: number;
  /** WAL records and full-page images (pg_stat_wal, PostgreSQL 14+); null before that. */
  readonly walRecords: number | null;
  readonly walFpi: number | null;
  /** The table's row updates, and those that stayed on their page (HOT: no index writes). */
  readonly tupUpd: number;
  readonly tupHotUpd: number;
  /** Shared-buffer hits and reads of the table, its indexes and its TOAST. */
  readonly blocksHit: number;
  readonly blocksRead: number;
  /** Checkpoints the server has started (timed and requested); null when it cannot be read. */
  readonly checkpoints: number | null;
  /** Autovacuum and autoanalyze runs on the table. */
  readonly autovacuums: number;
  readonly autoanalyzes: number;
  /** When the server started: a restart between two readings may have reset the others. */
  readonly serverStartedAt: string;
}

/** Which statistics views this server has: they moved between major versions. */
export interface CounterViews {
  readonly version: number;
}

export async function counterViews(client: pg.ClientBase): Promise<CounterViews> {
  const { rows } = await client.query<{ v: string }>(
    `SELECT current_setting('server_version_num') AS v`,
  );
  return { version: Number(rows[0]?.v ?? 0) };
}

function checkpointsSql(views: CounterViews): string {
  if (views.version >= 170000)
    return '(SELECT num_timed + num_requested FROM pg_stat_checkpointer)';
  return '(SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter)';
}

/**
 * One reading, in one statement so that every counter is of the same moment. The table's
 * figures come from the cumulative statistics, which each backend publishes when it goes
 * idle (at most once a second, unless told to: `flushStatistics`).
 */
export async function readDbCounters(
  client: pg.ClientBase,
  table: TargetTable,
  views: CounterViews,
): Promise<DbCounters> {
  const wal =
    views.version >= 140000
      ? '(SELECT wal_records FROM pg_stat_wal) AS wal_records, (SELECT wal_fpi FROM pg_stat_wal) AS wal_fpi'
      : 'NULL::bigint AS wal_records, NULL::bigint AS wal_fpi';
  const { rows } = await client.query<Record<string, string | null>>(
    `SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint AS wal_bytes,
            ${wal},
            coalesce(t.n_tup_upd, 0) AS tup_upd, coalesce(t.n_tup_hot_upd, 0) AS tup_hot_upd,
            coalesce(t.autovacuum_count, 0) AS autovacuums, coalesce(t.autoanalyze_count, 0) AS autoanalyzes,
            coalesce(s.heap_blks_hit, 0) + coalesce(s.idx_blks_hit, 0) + coalesce(s.toast_blks_hit, 0) + coalesce(s.tidx_blks_hit, 0) AS blocks_hit,
            coalesce(s.heap_blks_read, 0) + coalesce(s.idx_blks_read, 0) + coalesce(s.toast_blks_read, 0) + coalesce(s.tidx_blks_read, 0) AS blocks_read,
            ${checkpointsSql(views)} AS checkpoints,
            pg_postmaster_start_time()::text AS started
       FROM (SELECT to_regclass($1) AS relid) r
       LEFT JOIN pg_stat_all_tables t ON t.relid = r.relid
       LEFT JOIN pg_statio_all_tables s ON s.relid = r.relid`,
    [table.sql],
  );
  const r = rows[0] ?? {};
  const num = (v: string | null | undefined) => (v === null || v === undefined ? null : Number(v));
  return {
    walBytes: num(r.wal_bytes) ?? 0,
    walRecords: num(r.wal_records),
    walFpi: num(r.wal_fpi),
    tupUpd: num(r.tup_upd) ?? 0,
    tupHotUpd: num(r.tup_hot_upd) ?? 0,
    blocksHit: num(r.blocks_hit) ?? 0,
    blocksRead: num(r.blocks_read) ?? 0,
    checkpoints: num(r.checkpoints),
    autovacuums: num(r.autovacuums) ?? 0,
    autoanalyzes: num(r.autoanalyzes) ?? 0,
    serverStartedAt: r.started ?? '',
  };
}

/**
 * Makes the backend behind `client` publish its pending statistics now (PostgreSQL 15+),
 * so a reading from another connection includes everything it did. It publishes them as
 * it goes idle after this statement, before it answers. Before 15 a backend sends them to
 * the collector at the end of a statement at most every 500 ms, and the collector takes a
 * moment: so a statement after that interval, then a wait for the collector.
 */
export async function flushStatistics(client: pg.ClientBase, views: CounterViews): Promise<void> {
  if (views.version >= 150000) {
    await client.query('SELECT pg_stat_force_next_flush()');
    return;
  }
  await new Promise((r) => setTimeout(r, 600));
  await client.query('SELECT 1');
  await new Promise((r) => setTimeout(r, 600));
}
