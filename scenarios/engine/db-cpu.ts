import { readdir, readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { processStat } from './machine-load.ts';

/** CPU time of PostgreSQL's processes, sampled from /proc: the analysis's "database CPU" (21 %). */
export interface DbCpuProbe {
  /** Percent of the machine's total CPU (all cores) used by the server since the last call. */
  sample(): Promise<number>;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** The postmaster and all its children: backends, walwriter, checkpointer, autovacuum. */
async function serverTicks(postmasterPid: number): Promise<number> {
  let total = (await processStat(postmasterPid))?.ticks ?? 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = await processStat(Number(entry));
    if (info?.ppid === postmasterPid) total += info.ticks;
  }
  return total;
}

/**
 * A probe for a local server whose data directory holds postmaster.pid; otherwise the reason
 * why the figure is not available.
 */
export async function dbCpuProbe(
  dataDir: string | undefined,
): Promise<DbCpuProbe | { unavailable: string }> {
  if (dataDir === undefined)
    return {
      unavailable:
        'the database is not one this harness started on this machine (DATABASE_URL or a container), so its processes cannot be read',
    };
  const readPid = async () =>
    Number((await readFile(`${dataDir}/postmaster.pid`, 'utf8')).split('\n')[0]);
  let pid: number;
  try {
    pid = await readPid();
  } catch (error) {
    return { unavailable: `cannot read ${dataDir}/postmaster.pid: ${(error as Error).message}` };
  }
  const cores = cpus().length;
  let lastTicks = await serverTicks(pid);
  let lastAt = performance.now();
  return {
    async sample() {
      // A restarted server (a fault scenario) is a new process tree: its ticks count from 0,
      // so the interval it restarted in counts only what the new tree used.
      const now = await readPid().catch(() => pid);
      if (now !== pid) {
        pid = now;
        lastTicks = 0;
      }
      const ticks = await serverTicks(pid);
      const at = performance.now();
      const percent =
        (Math.max(0, ticks - lastTicks) / CLOCK_TICKS / ((at - lastAt) / 1000) / cores) * 100;
      lastTicks = ticks;
      lastAt = at;
      return percent;
    },
  };
}
