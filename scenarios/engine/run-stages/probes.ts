import type pg from 'pg';
import type { ServerPid } from '../../cost/run-cost.ts';
import { dbCpuProbe, type DbCpuProbe } from '../db-cpu.ts';
import { MachineLoadMeter } from '../machine-load.ts';
import { postmasterPid, sessionPostmasterPid } from '../postmaster-pid.ts';
import type { RunSession } from '../run-plan.ts';
import type { ServiceGroup } from '../service-group.ts';

export interface Probes {
  readonly cpu: DbCpuProbe | { unavailable: string };
  readonly machine: MachineLoadMeter;
  /** The database server's process now (a restart gives it a new one), when it runs here. */
  readonly serverPid: ServerPid;
}

/**
 * Stage `probes`: what reads /proc while the load runs (the database's CPU, the machine's
 * load by part). They hold nothing open: reading stops when the run stops calling them.
 */
export async function startProbes(
  client: pg.Client,
  session: RunSession,
  service: ServiceGroup,
): Promise<Probes> {
  const cpu = await dbCpuProbe(session.database.dataDir);
  const dataDir = session.database.dataDir;
  // A server named by URL may still run here (an ab session's, a local one): count its CPU.
  const urlServerPid = dataDir === undefined ? await sessionPostmasterPid(client) : undefined;
  const serverPid: ServerPid = () =>
    dataDir === undefined ? Promise.resolve(urlServerPid) : postmasterPid(dataDir);
  const machine = new MachineLoadMeter({
    harness: process.pid,
    service: () => service.pids,
    database: serverPid,
    broker: () => session.kafka?.control?.pid() ?? Promise.resolve(undefined),
  });
  await machine.sample();
  return { cpu, machine, serverPid };
}
