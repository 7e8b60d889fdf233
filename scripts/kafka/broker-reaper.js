// Watchdog for a broker a command started for itself (`--kafka local`): a detached process
// that outlives the harness. The broker runs detached so a fault scenario can restart it, and
// so it would outlive a harness killed by SIGKILL, an OOM or a test's timeout; this waits for
// the harness to vanish, then stops the broker (whichever pid broker.pid names by then: a
// restart writes a new one) and deletes its directory. It exits quietly once the harness has
// removed the directory itself.
// Usage: node broker-reaper.js <parentPid> <brokerHome>
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const [parentPid, home] = [Number(process.argv[2]), process.argv[3]];
const POLL_MS = 500;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function brokerPid() {
  try {
    const pid = Number(readFileSync(join(home, 'broker.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const timer = setInterval(() => {
  if (!existsSync(home)) {
    clearInterval(timer);
    return;
  }
  if (alive(parentPid)) return;
  clearInterval(timer);
  const pid = brokerPid();
  if (pid !== undefined && alive(pid)) {
    // SIGTERM is Kafka's controlled shutdown; the data goes with the directory anyway.
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(home, { recursive: true, force: true });
}, POLL_MS);
