import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/harness.js', import.meta.url));

export interface ChildSut {
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGTERM, then its exit code; at once when it has already exited (a crash, a kill). */
  stop(): Promise<number | null>;
}

/**
 * Starts `harness sut` in its own process and waits for its `listening on` line. The child
 * is told this process's pid, and shuts itself down if this process dies first. `nodeArgs`
 * go to Node itself (a benchmark's `--cpu-prof`, which NODE_OPTIONS does not take).
 */
export async function startChildSut(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  port = 0,
  nodeArgs: readonly string[] = [],
): Promise<ChildSut> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, BIN, 'sut', '--port', String(port), ...args],
    {
      env: { ...process.env, ...env, HARNESS_PARENT_PID: String(process.pid) },
      stdio: ['ignore', 'pipe', 'inherit'],
      // A process group of its own: Ctrl-C in the terminal reaches the harness, which stops the
      // load, then the service, and still prints its summary. (The service watches this
      // process and stops itself if it dies.)
      detached: true,
    },
  );
  // Recorded as it happens: a child that exits before stop() is asked must not leave
  // stop() waiting for an 'exit' event that has already gone by.
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      // As a shell reports it: a child killed by a signal exits 128 + its number.
      resolve(code ?? (signal === null ? null : 128 + constants.signals[signal]));
    });
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^listening on (\S+)/.exec(line);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    void exited.then((code) => {
      reject(new Error(`harness sut exited with ${String(code)} before listening`));
    });
  });
  return {
    url,
    child,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
