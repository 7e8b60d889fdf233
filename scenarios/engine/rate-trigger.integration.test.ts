import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runResultSchema } from '../../results/schema/result-schema.ts';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { runHarness } from '../../scripts/testing/run-harness.ts';

const fixture = fileURLToPath(new URL('./fixtures/ramp-hold.ts', import.meta.url));
let db: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'harness-rate-trigger-test-'));
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the rate trigger reads the load it judges', () => {
  it('a warm-up at 300 events/s, a ramp and a hold at 1,200: the trigger fires and events_per_second value>1100 passes', async () => {
    const output = join(dir, 'ramp-hold.json');
    const run = await runHarness(['run', fixture, '--output', output], { DATABASE_URL: db.url });
    expect(run.code, run.stderr).toBe(0);
    const result = runResultSchema.parse(JSON.parse(readFileSync(output, 'utf8')));
    const rate = result.verdict.checks.find((c) => c.trigger === '1,000+ events/s');
    expect(rate?.fired, rate?.measured).toBe(true);
    expect(rate?.read).toBe('scenario ramp, 5s-35s; warmup left out, events accepted each second');
    expect(rate?.limit).toBe('>= 1,000 over 30 s');
    // its own rate over the 30 s it ran: 3,750 + 30,000 events
    expect(rate?.measured).toMatch(/ramp itself 1,125\.0 events\/s \(33,750 sent in 30 s\)$/);
    expect(result.verdict.result).toBe('REVISIT');
    const gauge = result.thresholds.find((t) => t.metric === 'events_per_second');
    expect(gauge?.ok).toBe(true);
    expect(result.metrics.values.events_per_second?.min).toBeLessThan(600);
    expect(run.stdout).toMatch(/│ +read: scenario ramp, 5s-35s; warmup left out, every flush/);
    // A counter's rate is over the time the load ran, not the stop and drain after it.
    const sent = result.metrics.values.events_sent;
    const loadSeconds = (result.metrics.simulator as { elapsedMs: number }).elapsedMs / 1000;
    expect(sent?.rate).toBeCloseTo((sent?.count ?? 0) / loadSeconds, 0);
  });
});
