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

describe('faults, every one once, judged by the audit', () => {
  it("HTTP: nothing lost beyond the killed service's buffer, nothing doubled, every partition goes on", async () => {
    const { code, stdout, stderr, result } = await run('faults-http-short');
    expect(code, stderr + stdout).toBe(0);
    if (result === undefined) throw new Error('no results file');
    const faults = result.metrics.faults ?? [];
    expect(faults.map((f) => f.action).sort()).toEqual(
      [
        'drop-commit-reply',
        'drop-commit-reply',
        'drop-commit-reply',
        'kill-service',
        'link-black-hole',
        'link-latency',
        'link-reset',
        'poison',
        'poison',
        'poison',
        'poison',
        'restart-postgres',
        'restart-postgres',
        'stop-postgres',
        'stop-service',
      ].sort(),
    );
    expect(faults.filter((f) => !f.ok)).toEqual([]);
    const audit = result.metrics.audit;
    expect(audit?.lost).toBe(0);
    expect(audit?.doubled).toBe(0);
    expect(audit?.untouchableMoved).toBe(0);
    // The kill is the HTTP path's known window: counted apart, bounded by what it held.
    expect(audit?.crashBound).toBeGreaterThan(0);
    expect(audit?.lostAtCrash).toBeLessThanOrEqual(audit?.crashBound ?? 0);
    // The overflow poisons were set aside, not lost; the bad ids were refused at the door.
    expect(audit?.deadLettered).toBeGreaterThan(0);
    expect(
      faults.filter((f) => /nul-id|lone-surrogate/.test(f.detail)).map((f) => f.detail),
    ).toEqual([expect.stringMatching(/HTTP 400/), expect.stringMatching(/HTTP 400/)]);
    expect(result.metrics.serviceLives).toBe(3);
    expect(result.metrics.link?.commitRepliesDropped).toBe(3);
    expect(stdout).toMatch(/^audit: .* events \(/m);
    expect(stdout).toMatch(/│ +\d+ s │ restart-postgres -m immediate +│/);
    // The kill's window, key by key, and the ledger that lets anyone judge the run again.
    expect(stdout).toMatch(
      /^ {2}crash 1 at [\d.]+ s: lost [\d,]+ in [\d,]+ rows, within its window of /m,
    );
    const again = await runHarness(['audit', join(dir, 'faults-http-short.json')]);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(again.stdout).toContain('audit: PASS');
  }, 180_000);

  it('the dropped-reply fault doubles increments once the fence is off, and the audit says so (exit 99)', async () => {
    const { code, stdout, result } = await run('dropped-reply-unfenced');
    expect(code, stdout).toBe(99);
    expect(result?.metrics.audit?.doubled).toBeGreaterThan(0);
    expect(stdout).toMatch(/doubled [\d,]+ \([\d,]+ rows over\)/);
    expect(stdout).toMatch(/^verdict: WRONG RESULTS \(variant join: doubled_increments [\d,]+/m);
    expect(result?.verdict.result).toBe('WRONG RESULTS');
    // Checked again from the ledger: the same doubling, exit 99.
    const again = await runHarness(['audit', join(dir, 'dropped-reply-unfenced.json')]);
    expect(again.code, again.stderr + again.stdout).toBe(99);
    expect(again.stdout).toMatch(/doubled [1-9][\d,]* \([\d,]+ rows over\)/);
    expect(again.stdout).toContain('agrees');
  }, 120_000);

  it('refuses faults the run cannot carry out, before anything starts', async () => {
    const http = await runHarness(['run', fixture('faults-http-short.ts')], {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    });
    expect(http.code).toBe(2);
    expect(http.stderr).toMatch(
      /restart-postgres: needs a PostgreSQL the harness starts and controls/,
    );
    const kafka = await runHarness(['run', fixture('faults-kafka-short.ts'), '--db', 'embedded'], {
      DATABASE_URL: '',
      KAFKA_BROKERS: '127.0.0.1:9',
    });
    expect(kafka.code).toBe(2);
    expect(kafka.stderr).toMatch(
      /restart-broker: needs a broker of the run's own to restart: pass --kafka local/,
    );
  });
});
