import type pg from 'pg';
import type { Logger } from '../../../lib/logger.ts';
import { measureCeilingAt } from '../../cost/ceiling.ts';
import type { RunCost, RunCostMeter } from '../../cost/run-cost.ts';
import type { RunSession } from '../run-plan.ts';

/**
 * Stage `cost`: the load's cost per row (the server's counters across it, the CPU of every
 * server process when the run can read them) and the ceiling at the run's mean flush size,
 * measured after the audit so that its updates stay out of everything else.
 */
export async function measureRunCost(
  client: pg.Client,
  session: RunSession,
  input: {
    readonly meter: RunCostMeter;
    readonly waits: RunCost['waits'];
    readonly seconds: number;
    /** Flushes the service runs at once (its partitions): the ceiling runs as many loops. */
    readonly sessions: number;
    readonly meanFlushRows: number;
    readonly seed: number;
    readonly logger: Logger;
  },
): Promise<RunCost> {
  const { cost: window, note } = await input.meter.window(client, input.seconds);
  const base = { window, waits: input.waits, ...(note === undefined ? {} : { note }) };
  if (!(input.meanFlushRows >= 1))
    return { ...base, ceiling: null, ceilingShare: null, ceilingNote: 'no flush to size it by' };
  const size = Math.round(input.meanFlushRows);
  input.logger.info(
    `measuring the ceiling at ${size} rows per batch, ${input.sessions} sessions (loops on the server)`,
  );
  let ceiling;
  try {
    ceiling = await measureCeilingAt(
      { url: session.database.url, schema: session.schema, client },
      session.table,
      size,
      input.meter.counterViews,
      { seed: input.seed + 7, rows: 10_000, sessions: input.sessions },
    );
  } catch (error) {
    // The run measured what it came for: a ceiling the server refuses (no TEMP privilege on
    // a user's database, say) is reported with the reason, not allowed to discard the run.
    const reason = (error as Error).message;
    input.logger.warn(`the ceiling could not be measured: ${reason}`);
    return { ...base, ceiling: null, ceilingShare: null, ceilingNote: reason };
  }
  return {
    ...base,
    ceiling,
    ceilingShare:
      ceiling.cost.rowsPerSecond > 0 && note === undefined
        ? window.rowsPerSecond / ceiling.cost.rowsPerSecond
        : null,
  };
}
