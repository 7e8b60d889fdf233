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
import { processTreeCpuSeconds } from './process-tree-cpu.ts';

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
  /** Why the per-row figures are not to be trusted, when they are not (a server restart). */
  readonly note?: string;
}

/** The server's processes: its postmaster now, on this machine, when it can be seen. */
export type ServerPid = () => Promise<number | undefined>;

/**
 * Brackets a run's load: the server's counters and its processes' CPU at its start and after
 * the service has stopped (its backends publish their statistics as they exit), and a
 * sampling of the active sessions' waits in between, on a connection of its own.
 */
export class RunCostMeter {
  private waits: WaitProfile | undefined;

  private constructor(
    private readonly table: TargetTable,
    private readonly views: CounterViews,
    private readonly before: DbCounters,
    private readonly serverPid: ServerPid,
    private readonly cpuBefore: { pid: number; seconds: number } | undefined,
    private readonly waitClient: pg.Client,
    private readonly sampler: WaitSampler,
  ) {}

  static async start(
    client: pg.ClientBase,
    url: string,
    schema: string,
    table: TargetTable,
    serverPid: ServerPid,
  ): Promise<RunCostMeter> {
    const views = await counterViews(client);
    // The seeding's own updates are this connection's, pending until published.
    await flushStatistics(client, views);
    const before = await readDbCounters(client, table, views);
    const pid = await serverPid();
    const seconds = pid === undefined ? undefined : await processTreeCpuSeconds(pid);
    const waitClient = await connectClient(url, schema);
    // A fault that restarts the server cuts this connection: the sampler records why it stopped.
    waitClient.on('error', () => undefined);
    const sampler = new WaitSampler(waitClient);
    sampler.start();
    return new RunCostMeter(
      table,
      views,
      before,
      serverPid,
      pid === undefined || seconds === undefined ? undefined : { pid, seconds },
      waitClient,
      sampler,
    );
  }

  /** Stops sampling and closes its connection; safe to call more than once. */
  async stopWaits(): Promise<WaitProfile> {
    if (this.waits === undefined) {
      this.waits = await this.sampler.stop();
      await this.waitClient.end().catch(() => undefined); // a connection a restart already cut
    }
    return this.waits;
  }

  get counterViews(): CounterViews {
    return this.views;
  }

  /**
   * The window's cost per row, read after the service stopped: its rows are the table's own
   * update count over the window, its CPU every server process's (with the backends that
   * ended in it) from /proc, its rows/s over the load's `seconds`. A server that restarted in
   * the window may have lost its statistics: then there are no per-row figures, and `note`
   * says why.
   */
  async window(client: pg.ClientBase, seconds: number): Promise<{ cost: RowCost; note?: string }> {
    const after = await readDbCounters(client, this.table, this.views);
    const pid = await this.serverPid();
    const cpuRead =
      this.cpuBefore !== undefined && pid === this.cpuBefore.pid
        ? await processTreeCpuSeconds(pid)
        : undefined;
    // A settled reading does not fall; one still could if a process left the tree (re-parented
    // away), and then the window's CPU is not measured rather than negative.
    const cpuAfter =
      cpuRead !== undefined && this.cpuBefore !== undefined && cpuRead >= this.cpuBefore.seconds
        ? cpuRead
        : undefined;
    const restarted = after.serverStartedAt !== this.before.serverStartedAt;
    const cost = rowCost(this.before, restarted ? this.before : after, {
      rows: restarted ? 0 : Math.max(0, after.tupUpd - this.before.tupUpd),
      seconds,
      ...(cpuAfter === undefined || this.cpuBefore === undefined || restarted
        ? {}
        : { cpuUs: (cpuAfter - this.cpuBefore.seconds) * 1e6, cpuSource: 'server' as const }),
    });
    return restarted
      ? {
          cost,
          note: 'the server restarted during the load, and a restart may reset its statistics: no per-row figures',
        }
      : { cost };
  }
}
