import { readFileSync } from 'node:fs';
import { parseResultText } from '../result-file.ts';
import type { IndexedResult } from '../run-index.ts';
import type { RunResult } from '../schema/result-schema.ts';

/**
 * Saved runs of the production scenario (30 s warm-up, 20 s judged) for the report's tests:
 * `correlated`, whose flushes apply one player's delta to another's row (the audit fails),
 * and `join` on the same load (every check passes).
 */
export const REPORT_FIXTURES = 'results/report/fixtures';

export function reportFixture(
  name: 'run-correlated-wrong.json' | 'run-join-keep.json',
): IndexedResult & {
  result: RunResult;
} {
  const path = `${REPORT_FIXTURES}/${name}`;
  const result = parseResultText(readFileSync(path, 'utf8'), path);
  if (result.kind !== 'run') throw new Error(`${path} is expected to be a run result`);
  return { path, result };
}
