import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { expect } from 'vitest';

/**
 * Holds an output to its golden file, as benchstat's testdata/*.stdout do: a change to what
 * people read shows as a diff in review. `UPDATE_GOLDEN=1 npm run test:unit` rewrites every
 * golden file after a deliberate change; the diff is then the change's to explain.
 */
export function expectGolden(actual: string, path: string): void {
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  }
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

/** A saved result from the fixtures, as the report and compare commands read one. */
export const RESULT_FIXTURES = 'results/compare/fixtures';
