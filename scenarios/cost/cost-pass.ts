import type pg from 'pg';
import type { TargetTable } from '../../sut/db/target-table.ts';
import { backendCpu, type BackendCpu } from './backend-cpu.ts';
import { rowCost, type RowCost } from './cost-per-row.ts';
import { counterViews, flushStatistics, readDbCounters, type CounterViews } from './db-counters.ts';

/** What a sweep needs to measure what each cell costs the server. */
export interface CostTools {
  readonly client: pg.ClientBase;
  readonly table: TargetTable;
  readonly views: CounterViews;
  /** The flushers' connections: their backends do the cell's work. */
  readonly flushers: readonly pg.ClientBase[];
  readonly cpu: BackendCpu | { unavailable: string };
  /**
   * Without the backends' CPU (a server elsewhere): the server time pg_stat_statements has
   * recorded for a variant so far (planning + execution, ms), when the extension is there.
   */
  readonly serverTimeMs?: ((variant: string) => Promise<number>) | undefined;
}

export async function costTools(
  client: pg.ClientBase,
  table: TargetTable,
  flushers: readonly pg.ClientBase[],
  serverTimeMs?: (variant: string) => Promise<number>,
): Promise<CostTools> {
  return {
    client,
    table,
    views: await counterViews(client),
    flushers,
    cpu: await backendCpu(flushers),
    serverTimeMs,
  };
}

/**
 * A cell's cost, measured apart from its timing: its batches alone, back to back for at
 * least `minMs` and 5 rounds, between two readings of the server's counters. Alone, so that
 * the table's updates, WAL and buffers in the window are the cell's (timed rounds rotate
 * variants, which would mix them); apart, so that reading counters never lands in a timing.
 * Whatever else the server did in the window (autovacuum, a checkpoint) is in it too, and
 * counted, so a figure moved by it says so.
 */
export async function costPass(
  tools: CostTools,
  variant: string,
  round: () => Promise<void>,
  rowsPerRound: number,
  minMs: number,
): Promise<RowCost> {
  const { client, table, views, flushers, cpu } = tools;
  for (const f of flushers) await flushStatistics(f, views);
  const before = await readDbCounters(client, table, views);
  const statements = 'read' in cpu ? undefined : tools.serverTimeMs;
  const cpuBefore = 'read' in cpu ? await cpu.read() : ((await statements?.(variant)) ?? 0);
  const t0 = performance.now();
  let rounds = 0;
  while (rounds < 5 || performance.now() - t0 < minMs) {
    await round();
    rounds++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuAfter = 'read' in cpu ? await cpu.read() : ((await statements?.(variant)) ?? 0);
  for (const f of flushers) await flushStatistics(f, views);
  const after = await readDbCounters(client, table, views);
  return rowCost(before, after, {
    rows: rounds * rowsPerRound,
    seconds,
    ...('read' in cpu
      ? { cpuUs: (cpuAfter - cpuBefore) / 1000, cpuSource: 'backends' }
      : statements !== undefined
        ? { cpuUs: (cpuAfter - cpuBefore) * 1000, cpuSource: 'pg_stat_statements' }
        : {}),
  });
}
