import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/harness.js', import.meta.url));

export interface HarnessRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A harness process still running: what it was asked to do and what it has said so far. */
interface LiveRun {
  readonly child: ChildProcess;
  readonly args: readonly string[];
  readonly stderr: () => string;
  readonly closed: Promise<void>;
}

/**
 * Every harness process this test worker started that has not exited yet. A test that times
 * out stops waiting for its run, but the run goes on: left alone it keeps writing to the
 * file's database while the next test seeds and audits the same table.
 */
const live = new Set<LiveRun>();

/** Runs the real CLI as a user would (`bin/harness.js`), in its own process. */
export function runHarness(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<HarnessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let closed: () => void = () => undefined;
    const run: LiveRun = {
      child,
      args,
      stderr: () => stderr,
      closed: new Promise((done) => (closed = done)),
    };
    live.add(run);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => {
      live.delete(run);
      closed();
      reject(error);
    });
    child.on('close', (code) => {
      live.delete(run);
      closed();
      resolve({ code, stdout, stderr });
    });
  });
}

/** Process ids of the harness runs started by runHarness that are still running. */
export function liveHarnessPids(): number[] {
  return [...live].flatMap((run) => (run.child.pid === undefined ? [] : [run.child.pid]));
}

/** How long a run has to clean up after SIGTERM (stop its load, service and database) before SIGKILL. */
const STOP_GRACE_MS = 60_000;

/**
 * Stops every harness run still running, as Ctrl-C would (SIGTERM: the run stops its load,
 * its service and what it started), SIGKILL for one that has not exited after
 * STOP_GRACE_MS, and returns once all have exited. Each is reported on stderr with the last
 * thing it said, which tells what it was doing when its test gave up on it.
 */
export async function stopHarnessRuns(): Promise<void> {
  await Promise.all(
    [...live].map(async (run) => {
      const said = run.stderr().trimEnd().split('\n').slice(-3).join(' | ');
      process.stderr.write(
        `stopping a harness run its test left running (pid ${run.child.pid ?? '?'}: harness ${run.args.join(' ')}); it last said: ${said === '' ? 'nothing' : said}\n`,
      );
      run.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        run.closed,
        new Promise<void>((done) => {
          timer = setTimeout(() => {
            run.child.kill('SIGKILL');
            done();
          }, STOP_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
      await run.closed;
    }),
  );
}

/**
 * Runs the CLI's `main` in the test's own process, stdout and stderr captured, `env` set for
 * the call and restored after it: for input the CLI refuses before it starts anything. A
 * process of its own costs each such case one to five seconds of module loading on a busy
 * machine and checks nothing more (`bin/harness.js` only hands `main`'s code to
 * process.exit); the tests that spawn `runHarness` cover that path.
 */
export async function runHarnessInProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<HarnessRun> {
  const saved = Object.keys(env).map((key) => [key, process.env[key]] as const);
  for (const [key, value] of Object.entries(env)) setEnv(key, value);
  // After the environment is set: a module that reads it once, when it loads (the results
  // store's HARNESS_RESULTS_DIR), sees the first call's, so a test file keeps to one.
  const { main } = await import('../program.ts');
  const { RESULTS_DIR } = await import('../../results/run-store.ts');
  if (env.HARNESS_RESULTS_DIR !== undefined && RESULTS_DIR !== resolve(env.HARNESS_RESULTS_DIR))
    throw new Error(
      `runHarnessInProcess: the results store was loaded for ${RESULTS_DIR} before this call asked for ${env.HARNESS_RESULTS_DIR}; use runHarness (a process of its own) in this test file`,
    );
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  // In a test worker console output bypasses process.stdout and stderr; a message printed
  // that way must still be seen (and checked for what it must not show).
  const consoles = (['log', 'info', 'warn', 'error'] as const).map((method) =>
    vi.spyOn(console, method).mockImplementation((...parts: unknown[]) => {
      const line = `${parts.map(String).join(' ')}\n`;
      if (method === 'log' || method === 'info') stdout += line;
      else stderr += line;
    }),
  );
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    for (const spy of consoles) spy.mockRestore();
    for (const [key, value] of saved) setEnv(key, value);
  }
}

function setEnv(key: string, value: string | undefined): void {
  if (value === undefined) Reflect.deleteProperty(process.env, key);
  else process.env[key] = value;
}
