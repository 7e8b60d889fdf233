import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/harness.js', import.meta.url));

export interface StepOutcome {
  readonly code: number | null;
  /** Paths the step printed as `results: <path>`. */
  readonly results: readonly string[];
}

/**
 * Runs one harness command as its own process, its output passed through as it comes, and
 * collects the `results: <path>` lines it prints. Each step gets a process of its own so its
 * database, service and exit code stay its own, as when a user types it.
 */
export function runHarnessStep(args: readonly string[]): Promise<StepOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const results: string[] = [];
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^results: (.+)$/.exec(line);
        if (m?.[1] !== undefined) results.push(m[1]);
      }
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const m = /^results: (.+)$/.exec(pending);
      if (m?.[1] !== undefined) results.push(m[1]);
      resolve({ code, results });
    });
  });
}
