import { spawn } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import pg from 'pg';
import type { ServerControl, ShutdownMode } from '../../scenarios/engine/provisioned-database.ts';
import { alive, postmasterPid } from '../../scenarios/engine/postmaster-pid.ts';

const SIGNAL: Record<ShutdownMode, NodeJS.Signals> = { fast: 'SIGINT', immediate: 'SIGQUIT' };
const STOP_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 120_000;

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
