import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepResultSchema } from '../../results/schema/result-schema.ts';
import { decodeLatencies } from '../../results/stats/hdr-encoding.ts';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { runHarness, runHarnessInProcess } from '../testing/run-harness.ts';

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'harness-sweep-test-'));
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('harness sweep', () => {
  it('--quick runs end to end, prints the tables and findings, and writes a valid results JSON', async () => {
    const output = join(dir, 'sweep.json');
    const run = await runHarness(
      [
        'sweep',
        '--quick',
        '--players',
        '300',
        '--goals',
        '10',
        '--sizes',
        '1,10,100',
        '--min-time',
        '50',
        '--output',
        output,
      ],
      { DATABASE_URL: db.url },
    );
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toBe(`results: ${output}`);
    for (const variant of ['correlated', 'cte', 'join']) {
      expect(run.stdout).toContain(`${variant} (unprepared)`);
      expect(run.stdout).toContain(`${variant} (prepared)`);
    }
    expect(run.stdout).toMatch(/Batch Size │ Execution Time │ ms\/row │ +Throughput/);
    expect(run.stdout).toMatch(/side by side \(unprepared; ratio < 1 = faster than correlated\)/);
    expect(run.stdout).toMatch(/findings:\n- /);
    expect(run.stdout).toMatch(
      /pg_stat_statements: not available \(the extension is not installed/,
    );

    const result = sweepResultSchema.parse(JSON.parse(readFileSync(output, 'utf8')));
    expect(result.name).toBe('sweep-quick');
    const { metrics, config } = result;
    expect(config).toMatchObject({
      sizes: [1, 10, 100],
      quick: true,
      players: 300,
      goals: 10,
      db: 'url',
    });
    expect(metrics.cells).toHaveLength(3 * 3 * 2);
    for (const c of metrics.cells) {
      expect(c.wallMs.n).toBeGreaterThanOrEqual(5);
      expect(c.samplesMs).toHaveLength(c.wallMs.n);
      expect(decodeLatencies(c.hdr).totalCount).toBe(c.wallMs.n);
      if (c.statement === 'unprepared') expect(c.planningMs).not.toBeNull();
    }
    expect(metrics.crossovers).toHaveLength(3 * 2);
    expect(metrics.linearity.length).toBeGreaterThan(0);
    expect(metrics.preparedDelta).toHaveLength(3 * 3);
    expect(metrics.findings.length).toBeGreaterThan(3);
    // The report prints the table's dead tuples as the results JSON records them.
    const int = (n: number) => n.toLocaleString('en-US');
    expect(run.stdout).toContain(
      `dead tuples in flush_harness.user_goal_progress: ${int(metrics.table.deadTuplesBefore)} before, ${int(metrics.table.deadTuplesAfter)} after`,
    );
  });

  it.each([
    [
      ['sweep', '--sizes', '0,10'],
      /--sizes "0,10" must be a comma-separated list of positive integers/,
    ],
    [['sweep', '--sizes', '10,abc'], /--sizes "10,abc" must be a comma-separated list/],
    [
      ['sweep', '--variant', 'fast'],
      /unknown SQL variant "fast"; the variants are: correlated, cte, join/,
    ],
    [
      ['sweep', '--players', '10', '--goals', '5', '--sizes', '10,100'],
      /--sizes: 100 rows is more than the 50 seeded rows/,
    ],
    [
      ['sweep', '--statements', 'cached'],
      /--statements "cached" must be unprepared, prepared, or both/,
    ],
    [['sweep', '--concurrency', '0'], /--concurrency "0" is not a positive integer/],
  ])('bad input %j: exit code 2 with a clear message', async (args, message) => {
    const run = await runHarnessInProcess(args, { DATABASE_URL: db.url });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('an unreachable database: exit code 2', async () => {
    const run = await runHarness(['sweep', '--quick'], {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot connect to DATABASE_URL/);
  });
});
