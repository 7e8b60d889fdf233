import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/harness.js', import.meta.url));

export interface HarnessRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

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
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
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
