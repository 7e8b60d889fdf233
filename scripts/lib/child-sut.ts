import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/harness.js', import.meta.url));

export interface ChildSut {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<number | null>;
}

/**
 * Starts `harness sut` in its own process and waits for its `listening on` line. The child
 * is told this process's pid, and shuts itself down if this process dies first.
 */
export async function startChildSut(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ChildSut> {
  const child = spawn(process.execPath, [BIN, 'sut', '--port', '0', ...args], {
    env: { ...process.env, ...env, HARNESS_PARENT_PID: String(process.pid) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^listening on (\S+)/.exec(line);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child.once('exit', (code) => {
      reject(new Error(`harness sut exited with ${String(code)} before listening`));
    });
  });
  return {
    url,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}
