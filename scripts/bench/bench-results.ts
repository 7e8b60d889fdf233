import { join } from 'node:path';
import type { Environment } from '../../results/environment.ts';
import { readGitInfo } from '../../results/git-info.ts';
import { RUNS_DIR, runFileName, saveResult } from '../../results/run-store.ts';
import { SCHEMA_VERSION, benchResultSchema } from '../../results/schema/result-schema.ts';

/** Writes a benchmark's figures as a results JSON and returns the `results: <path>` line. */
export async function saveBenchResult(
  name: string,
  figures: Record<string, number>,
  notes: string[],
  config: Record<string, unknown>,
  /** Where the benchmark ran, when it used PostgreSQL (its version and settings move figures). */
  env: Environment | null = null,
): Promise<string> {
  const createdAt = new Date();
  const git = readGitInfo();
  const result = benchResultSchema.parse({
    schemaVersion: SCHEMA_VERSION,
    kind: 'bench',
    name,
    createdAt: createdAt.toISOString(),
    git,
    env,
    config,
    metrics: { figures, notes },
    thresholds: [],
    verdict: null,
  });
  const path = await saveResult(result, join(RUNS_DIR, runFileName(createdAt, git, name)));
  return `results: ${path}`;
}
