// Watchdog for an embedded PostgreSQL: a detached process that outlives the harness.
// PostgreSQL does not notice when the process that started it dies (SIGKILL, OOM, a closed
// terminal), so this waits for the parent to vanish, then stops the server and deletes its
// data directory. While the parent lives it leaves the server alone, stopped or not: a fault
// scenario stops and starts it on purpose. It exits quietly once the harness has removed
// the directory itself.
// Usage: node pg-reaper.js <parentPid> <rootDir>  (the data directory is <rootDir>/data)
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const [parentPid, rootDir] = [Number(process.argv[2]), process.argv[3]];
const dataDir = join(rootDir, 'data');
const POLL_MS = 500;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function postmasterPid() {
  try {
    return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

const timer = setInterval(() => {
  if (!existsSync(rootDir)) {
    clearInterval(timer);
    return;
  }
  if (alive(parentPid)) return;
  clearInterval(timer);
  const serverPid = postmasterPid();
  if (serverPid !== undefined && alive(serverPid)) {
    // SIGINT is PostgreSQL's "fast shutdown": aborts sessions, exits cleanly.
    process.kill(serverPid, 'SIGINT');
    const deadline = Date.now() + 10_000;
    while (alive(serverPid) && Date.now() < deadline) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
    if (alive(serverPid)) process.kill(serverPid, 'SIGKILL');
  }
  rmSync(rootDir, { recursive: true, force: true });
}, POLL_MS);
