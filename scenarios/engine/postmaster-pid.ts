import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/*
 * Finding a PostgreSQL server's postmaster on this machine, so a run can count the database's
 * CPU apart from everything else (machine-load) and a fault can signal it (server-control).
 */

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, owned by the postgres account.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function postmasterPid(dataDir: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The command name of a process on this machine, or undefined when there is no such process. */
async function commandName(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw error;
  }
}

/**
 * The postmaster of a server reached by URL, when it runs on this machine: the parent of this
 * session's backend, provided /proc shows both as PostgreSQL's. For a remote server (or one in
 * a container) the backend's pid names no postgres process here, and the answer is undefined:
 * its CPU is then simply not counted as the database's.
 */
export async function sessionPostmasterPid(client: {
  query: (sql: string) => Promise<{ rows: unknown[] }>;
}): Promise<number | undefined> {
  const row = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0] as
    { pid: number } | undefined;
  if (row === undefined || !(await commandName(row.pid))?.startsWith('postgres')) return undefined;
  let stat: string;
  try {
    stat = await readFile(`/proc/${row.pid}/stat`, 'utf8');
  } catch (error) {
    // The backend ended between the two reads: no answer, not an error.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return Number.isInteger(ppid) && (await commandName(ppid))?.startsWith('postgres')
    ? ppid
    : undefined;
}
