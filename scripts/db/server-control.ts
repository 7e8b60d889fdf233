import { spawn } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

/** How PostgreSQL is asked to shut down (its signals: SIGINT fast, SIGQUIT immediate). */
export const SHUTDOWN_MODES = ['fast', 'immediate'] as const;
export type ShutdownMode = (typeof SHUTDOWN_MODES)[number];

/**
 * Stopping and starting a server the harness runs on this machine, for fault scenarios:
 * a restart as an operator does it (`pg_ctl restart -m fast|immediate`), and an outage of a
 * given length. The data and the port stay; clients see their connections cut.
 */
export interface ServerControl {
  /** Shuts down with `mode`, returns once the server is gone. */
  stop(mode: ShutdownMode): Promise<void>;
  /** Starts the server again as it ran before, returns once it accepts connections. */
  start(): Promise<void>;
  restart(mode: ShutdownMode): Promise<void>;
  /** Whether the server runs now. */
  running(): Promise<boolean>;
}

const SIGNAL: Record<ShutdownMode, NodeJS.Signals> = { fast: 'SIGINT', immediate: 'SIGQUIT' };
const STOP_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 120_000;

function alive(pid: number): boolean {
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

/** What it takes to start the postmaster again: its binary, arguments and account, read from /proc. */
interface PostmasterLaunch {
  readonly binary: string;
  readonly args: string[];
  readonly uid: number;
  readonly gid: number;
}

async function launchOf(pid: number): Promise<PostmasterLaunch> {
  const [binary, cmdline, status] = await Promise.all([
    readlink(`/proc/${pid}/exe`),
    readFile(`/proc/${pid}/cmdline`, 'utf8'),
    readFile(`/proc/${pid}/status`, 'utf8'),
  ]);
  const id = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
  return {
    binary,
    args: cmdline
      .split('\0')
      .filter((a) => a !== '')
      .slice(1),
    uid: id('Uid'),
    gid: id('Gid'),
  };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Control of a local server by its data directory: shutdown by signal to the postmaster
 * (named in postmaster.pid), start by running the postmaster again exactly as it ran (its
 * binary, arguments and account, recorded at the first stop). The restarted postmaster is
 * detached from this process, as pg_ctl's is; the provisioner's stop() finds it by its pid file.
 */
export function localServerControl(dataDir: string, url: string): ServerControl {
  let launch: PostmasterLaunch | undefined;
  const stop = async (mode: ShutdownMode) => {
    const pid = await postmasterPid(dataDir);
    if (pid === undefined) throw new Error(`no PostgreSQL runs on ${dataDir}`);
    launch ??= await launchOf(pid);
    process.kill(pid, SIGNAL[mode]);
    await waitUntil(() => Promise.resolve(!alive(pid)), STOP_TIMEOUT_MS, 'PostgreSQL did not stop');
  };
  const start = async () => {
    if ((await postmasterPid(dataDir)) !== undefined) return;
    if (launch === undefined)
      throw new Error('the server was never stopped here, so it cannot be started');
    const child = spawn(launch.binary, launch.args, {
      uid: launch.uid,
      gid: launch.gid,
      detached: true,
      stdio: 'ignore',
    });
    child.unref();
    await waitUntil(() => accepts(url), START_TIMEOUT_MS, 'PostgreSQL did not accept connections');
  };
  return {
    stop,
    start,
    async restart(mode) {
      await stop(mode);
      await start();
    },
    async running() {
      return (await postmasterPid(dataDir)) !== undefined;
    },
  };
}
