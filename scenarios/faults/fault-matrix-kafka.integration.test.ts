import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runResultSchema } from '../../results/schema/result-schema.ts';
import { runHarness } from '../../scripts/testing/run-harness.ts';

// The fault matrix, short: every fault once on each transport, against a PostgreSQL (and a
// broker) of the run's own, since the faults restart them. The audit judges each run.
const fixture = (name: string) =>
  fileURLToPath(new URL(`../engine/fixtures/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'harness-faults-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(name: string, extra: string[] = []) {
  const output = join(dir, `${name}.json`);
  const result = await runHarness(
    ['run', fixture(`${name}.ts`), '--db', 'embedded', '--output', output, ...extra],
    { DATABASE_URL: '', HARNESS_RESULTS_DIR: dir, HARNESS_LOG_LEVEL: 'warn' },
  );
  const parsed = (() => {
    try {
      return runResultSchema.parse(JSON.parse(readFileSync(output, 'utf8')));
    } catch {
      return undefined;
    }
  })();
  return { ...result, result: parsed };
}

describe('faults over Kafka, every one once, judged by the audit', () => {
  it('Kafka: nothing lost, nothing doubled, a killed service and a restarted broker included', async () => {
    const { code, stdout, stderr, result } = await run('faults-kafka-short', ['--kafka', 'local']);
    expect(code, stderr + stdout).toBe(0);
    if (result === undefined) throw new Error('no results file');
    expect((result.metrics.faults ?? []).filter((f) => !f.ok)).toEqual([]);
    expect((result.metrics.faults ?? []).map((f) => f.action)).toContain('restart-broker');
    const audit = result.metrics.audit;
    expect(audit?.lost).toBe(0);
    expect(audit?.lostAtCrash).toBe(0);
    // A killed consumer has no window: the log keeps what it had not applied.
    expect(audit?.crashBound).toBe(0);
    const again = await runHarness(['audit', join(dir, 'faults-kafka-short.json')]);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(audit?.doubled).toBe(0);
    expect(audit?.events.acknowledged).toBe(audit?.events.scheduled);
    expect(audit?.deadLettered).toBeGreaterThan(0);
    // 40 s of load behind a broker of the run's own (its start-up alone takes 5-40 s here)
  }, 240_000);
});
