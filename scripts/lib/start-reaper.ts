import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REAPER = fileURLToPath(new URL('./reaper.js', import.meta.url));

/** A server the reaper stops when the harness dies, and how. */
export interface ReapedServer {
  /** The server's folder: deleted once the server is stopped. */
  readonly folder: string;
  /** The file, relative to `folder`, whose first line is the server's pid now. */
  readonly pidFile: string;
  /** The server's clean shutdown: SIGINT is PostgreSQL's "fast", SIGTERM Kafka's controlled one. */
  readonly stopSignal: 'SIGINT' | 'SIGTERM';
}

/**
 * Starts the watchdog (reaper.js) that stops `server` and deletes its folder once this
 * process is gone, however it ended. Detached and unreferenced: it neither keeps this
 * process alive nor dies with it.
 */
export function startReaper(server: ReapedServer): void {
  spawn(
    process.execPath,
    [REAPER, String(process.pid), server.folder, server.pidFile, server.stopSignal],
    { detached: true, stdio: 'ignore' },
  ).unref();
}
