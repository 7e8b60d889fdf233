import type pg from 'pg';
import type { CleanupStack, Deferred } from '../../../lib/cleanup-stack.ts';
import { RunCostMeter, type ServerPid } from '../../cost/run-cost.ts';
import type { WaitProfile } from '../../cost/wait-sampler.ts';
import type { RunSession } from '../run-plan.ts';

export interface CostMeterStage {
  readonly meter: RunCostMeter;
  /** Stops sampling what the sessions wait on and closes its connection. */
  readonly stopWaits: Deferred<WaitProfile>;
}

/** Stage `cost-meter`: the server's counters before the load, and its wait sampler. */
export async function startCostMeter(
  stack: CleanupStack,
  client: pg.Client,
  session: RunSession,
  serverPid: ServerPid,
): Promise<CostMeterStage> {
  const meter = await RunCostMeter.start(
    client,
    session.database.url,
    session.schema,
    session.table,
    serverPid,
  );
  return { meter, stopWaits: stack.defer('the cost meter', () => meter.stopWaits()) };
}
