import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runResultSchema } from '../../results/schema/result-schema.ts';
import { decodeLatencies } from '../../results/stats/hdr-encoding.ts';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { runHarness } from '../../scripts/testing/run-harness.ts';

const fixture = fileURLToPath(new URL('./fixtures/warmup-steady.ts', import.meta.url));
let db: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'harness-warmup-test-'));
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A scenario's flushes from the results file's exact histograms, all partitions merged. */
function flushP95Ms(
  latency: Record<string, Record<string, Record<string, string>>>,
  scenario: string,
): number {
  const parts = Object.values(latency.flushDurationUs?.[scenario] ?? {}).map(decodeLatencies);
  const [first, ...rest] = parts;
  if (first === undefined) return Number.NaN;
  for (const h of rest) first.add(h);
  return first.getValueAtPercentile(95) / 1000;
}

describe('a warm-up and a steady part: thresholds on {scenario:steady}', () => {
  it('passes on its steady part although the warm-up alone would fail the same threshold', async () => {
    const output = join(dir, 'warmup-steady.json');
    const run = await runHarness(['run', fixture, '--output', output], { DATABASE_URL: db.url });
    expect(run.code, run.stderr).toBe(0);
    // k6's sub-metric lines under their metric, the judged one with its check mark
    expect(run.stdout).toMatch(/\n +✓ \{ scenario:steady \}\.+: avg=/);
    expect(run.stdout).toMatch(/\n {4,}\{ scenario:warmup \}\.+: avg=/);
    expect(run.stdout).toMatch(/parts: +warmup 0s-5s, steady 5s-10s/);
    const result = runResultSchema.parse(JSON.parse(readFileSync(output, 'utf8')));
    const steady = result.thresholds.find((t) => t.metric === 'flush_duration{scenario:steady}');
    expect(steady?.ok).toBe(true);
    expect(steady?.value).toBeLessThan(100);
    const latency = result.metrics.latency;
    if (latency === undefined) throw new Error('no exact latencies saved');
    // the warm-up's own p(95) is past the limit: judged, it would have failed
    expect(flushP95Ms(latency, 'warmup')).toBeGreaterThan(100);
    expect(flushP95Ms(latency, 'steady')).toBeCloseTo(steady?.value ?? Number.NaN, 0);
    expect(result.metrics.values['flush_duration{scenario:warmup}']?.['p(95)']).toBeGreaterThan(
      100,
    );
  });
});
