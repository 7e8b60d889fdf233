import { readFile } from 'node:fs/promises';
import type pg from 'pg';

/**
 * CPU time of PostgreSQL backends, read from /proc/<pid>/schedstat in nanoseconds. A backend
 * is one single-threaded process, so its time on a CPU is exactly what its statements cost
 * the server's CPU (the WAL writer and checkpointer are apart). Only for a server on this
 * machine whose processes this one can see.
 */
export interface BackendCpu {
  /** Nanoseconds on a CPU so far, all the backends together. */
  read(): Promise<number>;
}

/** A backend's CPU nanoseconds, or undefined when its process cannot be read here. */
export async function schedstatNs(pid: number): Promise<number | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/schedstat`, 'utf8');
    const ns = Number(text.split(' ')[0]);
    return Number.isFinite(ns) ? ns : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of the backend serving `client`. */
export async function backendPid(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return Number(rows[0]?.pid);
}

/**
 * A reader of the backends behind `clients`, or why there is none: the server is on another
 * machine or in a container (its pids are not this machine's), or /proc has no schedstat.
 * A pid here could be another process that happens to share the number, so the process must
 * also be a postgres one.
 */
export async function backendCpu(
  clients: readonly pg.ClientBase[],
): Promise<BackendCpu | { unavailable: string }> {
  const pids = await Promise.all(clients.map(backendPid));
  for (const pid of pids) {
    let command = '';
    try {
      command = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return {
        unavailable: `backend ${pid} is not a process on this machine (a remote server or a container)`,
      };
    }
    if (!command.includes('postgres'))
      return { unavailable: `process ${pid} on this machine is not the server's backend` };
    if ((await schedstatNs(pid)) === undefined)
      return { unavailable: `/proc/${pid}/schedstat cannot be read` };
  }
  return {
    async read() {
      let total = 0;
      for (const pid of pids) total += (await schedstatNs(pid)) ?? 0;
      return total;
    },
  };
}
