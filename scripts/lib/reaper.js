// Watchdog for a server the harness started for itself (an embedded PostgreSQL, a local
// Kafka broker): a detached process that outlives the harness. Such a server does not notice
// when the process that started it dies (SIGKILL, an OOM, a closed terminal, a test's
// timeout), so this waits for that process to vanish, then stops the server (whichever pid
// the pid file names by then: a restart writes a new one) with its own clean-shutdown
// signal, SIGKILL after 10 s, and deletes the server's folder. While the harness lives it
// leaves the server alone, stopped or not: a fault scenario stops and starts it on purpose.
// It exits quietly once the harness has removed the folder itself.
// Plain JavaScript, run by node alone: it starts in milliseconds and needs no loader.
// Usage: node reaper.js <parentPid> <folder> <pidFile, relative to folder> <SIGINT|SIGTERM>
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const [parentPid, folder, pidFile, stopSignal] = [
  Number(process.argv[2]),
  process.argv[3],
  process.argv[4],
  process.argv[5],
];
const POLL_MS = 500;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** The server's pid: the pid file's first line (PostgreSQL's postmaster.pid has more). */
function serverPid() {
  try {
    const pid = Number(readFileSync(join(folder, pidFile), 'utf8').split('\n')[0].trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const timer = setInterval(() => {
  if (!existsSync(folder)) {
    clearInterval(timer);
    return;
  }
  if (alive(parentPid)) return;
  clearInterval(timer);
  const pid = serverPid();
  if (pid !== undefined && alive(pid)) {
    process.kill(pid, stopSignal);
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(folder, { recursive: true, force: true });
}, POLL_MS);
