import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { migrateResult } from './migrate-result.ts';
import { resultSchema } from './result-schema.ts';

const v1 = readFileSync('results/compare/fixtures/sweep-v1.json', 'utf8');
const v2 = readFileSync('results/compare/fixtures/run-base.json', 'utf8');

describe('migrateResult', () => {
  it('brings a version 1 sweep to the current schema without losing a figure', () => {
    const before = JSON.parse(v1) as Record<string, unknown>;
    const after = resultSchema.parse(migrateResult(before));
    expect(after.schemaVersion).toBe(2);
    expect(after.metrics).toEqual(before.metrics);
  });

  it('gives a version 1 run empty histograms', () => {
    const run = JSON.parse(v2) as { schemaVersion: number; metrics: Record<string, unknown> };
    const oldMetrics = { ...run.metrics };
    delete oldMetrics.histograms;
    const migrated = resultSchema.parse(
      migrateResult({ ...run, schemaVersion: 1, metrics: oldMetrics }),
    );
    expect(migrated.kind === 'run' && migrated.metrics.histograms).toBeNull();
  });

  it('refuses a version it has no step for', () => {
    expect(() => migrateResult({ schemaVersion: 0 })).toThrow(/no migration from schema version 0/);
  });
});
