import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readGitInfo } from '../../results/git-info.ts';
import { RUNS_DIR, runFileName, saveResult } from '../../results/run-store.ts';
import { SCHEMA_VERSION, benchResultSchema } from '../../results/schema/result-schema.ts';

const BIN = fileURLToPath(new URL('../../bin/harness.js', import.meta.url));

export interface ChildSut {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<number | null>;
}

/** Starts `harness sut` in its own process and waits for its `listening on` line. */
export async function startChildSut(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ChildSut> {
  const child = spawn(process.execPath, [BIN, 'sut', '--port', '0', ...args], {
    env: { ...process.env, ...env },
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

/** Writes a benchmark's figures as a results JSON and returns the `results: <path>` line. */
export async function saveBenchResult(
  name: string,
  figures: Record<string, number>,
  notes: string[],
  config: Record<string, unknown>,
): Promise<string> {
  const createdAt = new Date();
  const git = readGitInfo();
  const result = benchResultSchema.parse({
    schemaVersion: SCHEMA_VERSION,
    kind: 'bench',
    name,
    createdAt: createdAt.toISOString(),
    git,
    env: null,
    config,
    metrics: { figures, notes },
    thresholds: [],
    verdict: null,
  });
  const path = await saveResult(result, join(RUNS_DIR, runFileName(createdAt, git, name)));
  return `results: ${path}`;
}
