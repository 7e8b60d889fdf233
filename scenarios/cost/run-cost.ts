import type pg from 'pg';
import { connectClient } from '../../sut/db/pool.ts';
import type { TargetTable } from '../../sut/db/target-table.ts';
import { rowCost, type RowCost } from './cost-per-row.ts';
import {
  counterViews,
  flushStatistics,
  readDbCounters,
  type CounterViews,
  type DbCounters,
} from './db-counters.ts';
import { WaitSampler, type WaitProfile } from './wait-sampler.ts';
import type { Ceiling } from './ceiling.ts';

/** What a run's load cost the database per row, where its time went, and the ceiling. */
export interface RunCost {
  readonly window: RowCost;
  readonly waits: WaitProfile;
  /** The server-side ceiling at the run's mean flush size; null when it was not measured. */
  readonly ceiling: Ceiling | null;
  /** The run's rows/s over the ceiling's: how much of what the server can give the run took. */
  readonly ceilingShare: number | null;
  /** Why the ceiling is missing, when it is. */
  readonly ceilingNote?: string;
}

/**
 * Brackets a run's load: the server's counters at its start and after the service has
 * stopped (its backends publish their statistics as they exit), and a sampling of the
 * active sessions' waits in between, on a connection of its own.
 */
export class RunCostMeter {
  private constructor(
    private readonly table: TargetTable,
    private readonly views: CounterViews,
    private readonly before: DbCounters,
    private readonly waitClient: pg.Client,
    private readonly sampler: WaitSampler,
  ) {}

  static async start(
    client: pg.ClientBase,
    url: string,
    schema: string,
    table: TargetTable,
  ): Promise<RunCostMeter> {
    const views = await counterViews(client);
    // The seeding's own updates are this connection's, pending until published.
    await flushStatistics(client, views);
    const before = await readDbCounters(client, table, views);
    const waitClient = await connectClient(url, schema);
    waitClient.on('error', () => undefined); // a restarted server cuts it; the sampler says so
    const sampler = new WaitSampler(waitClient);
    sampler.start();
    return new RunCostMeter(table, views, before, waitClient, sampler);
  }

  /** Stops sampling (call it when the load ends). */
  async stopWaits(): Promise<WaitProfile> {
    const waits = await this.sampler.stop();
    await this.waitClient.end().catch(() => undefined);
    return waits;
  }

  /**
   * The window's cost per row, read after the service stopped. Its rows are the table's own
   * update count over the window (exact, whatever restarts the service went through); its
   * CPU, when known, is every server process's over the load (`serverCpuUs`), and its rows/s
   * are over the load's `seconds`.
   */
  async window(
    client: pg.ClientBase,
    seconds: number,
    serverCpuUs: number | undefined,
  ): Promise<RowCost> {
    const after = await readDbCounters(client, this.table, this.views);
    return rowCost(this.before, after, {
      rows: Math.max(0, after.tupUpd - this.before.tupUpd),
      seconds,
      ...(serverCpuUs === undefined ? {} : { cpuUs: serverCpuUs, cpuSource: 'server' }),
    });
  }

  get counterViews(): CounterViews {
    return this.views;
  }
}
