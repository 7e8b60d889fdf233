import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepResultSchema, type SweepResult } from '../../results/schema/result-schema.ts';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { runHarness, runHarnessInProcess } from '../testing/run-harness.ts';

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'harness-distance-test-'));
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** One small cell: join at 10 rows, prepared, 30 batches, nothing else measured. */
const CELL = [
  'sweep',
  '--players',
  '200',
  '--goals',
  '10',
  '--sizes',
  '10',
  '--variant',
  'join',
  '--statements',
  'prepared',
  '--min-samples',
  '30',
  '--min-time',
  '0',
  '--warmup',
  '2',
  '--explain-runs',
  '0',
  '--cost-ms',
  '0',
  '--ceiling-rows',
  '0',
];

async function sweepCell(name: string, extra: string[], env: NodeJS.ProcessEnv) {
  const output = join(dir, `${name}.json`);
  const run = await runHarness([...CELL, ...extra, '--output', output], env);
  expect(run.code, run.stderr).toBe(0);
  return {
    run,
    result: sweepResultSchema.parse(JSON.parse(readFileSync(output, 'utf8'))),
  };
}

const median = (r: SweepResult) =>
  (r.metrics.cells[0] as { wallMs: { median: number } }).wallMs.median;

describe('--db-latency: a network between the flushers and PostgreSQL', () => {
  it("a sweep cell's time rises by the round trips the proxy counted, and the result records the link", async () => {
    const near = await sweepCell('near', [], { DATABASE_URL: db.url });
    // Large against this machine's noise, so the rise is the delay's and not chance's.
    const far = await sweepCell('far', ['--db-latency', '20'], { DATABASE_URL: db.url });
    expect(near.result.env.link).toBeUndefined();
    expect(near.result.metrics.network).toBeUndefined();
    const link = far.result.env.link;
    expect(link).toMatchObject({ roundTripMs: 20, jitterMs: 0 });
    // The proxy never delivers early: it added at least the round trip asked for.
    expect(link?.measuredAddedMs).toBeGreaterThanOrEqual(20);
    expect(link?.heldRoundTripMs).toBeGreaterThanOrEqual(20);
    const network = far.result.metrics.network;
    // A prepared UPDATE in autocommit is one round trip.
    expect(network?.roundTripsPerFlush).toBeCloseTo(1, 1);
    // Each batch waits out its round trip whole: none is faster than the delay.
    const farCell = far.result.metrics.cells[0];
    expect(Math.min(...(farCell?.samplesMs ?? []))).toBeGreaterThanOrEqual(20);
    // Two sweeps on a shared machine differ by a few ms by themselves.
    const rise = median(far.result) - median(near.result);
    expect(rise).toBeGreaterThanOrEqual(20 * (network?.roundTripsPerFlush ?? 0) - 5);
    expect(rise).toBeLessThan((network?.msPerFlush ?? 0) + 30);
    expect(far.run.stdout).toMatch(
      /- the network: the link held [\d.]+ ms per round trip .* and each batch took 1\.00 round trips/,
    );
    expect(far.run.stdout).toMatch(
      /- join, network \+ the rest: 10 rows [\d.]+ ms = [\d.]+ ms \+ /,
    );
  });

  it('refuses what it cannot be, by name, exit 2', async () => {
    const jitter = await runHarnessInProcess(['sweep', '--quick', '--db-jitter', '1'], {
      DATABASE_URL: db.url,
    });
    expect(jitter.code).toBe(2);
    expect(jitter.stderr).toContain('--db-jitter varies the --db-latency round trip');
    const wide = await runHarnessInProcess(
      ['sweep', '--quick', '--db-latency', '1', '--db-jitter', '3'],
      { DATABASE_URL: db.url },
    );
    expect(wide.code).toBe(2);
    expect(wide.stderr).toContain('--db-jitter 3: expected at most the --db-latency round trip');
    const word = await runHarnessInProcess(['sweep', '--quick', '--db-latency', 'far'], {
      DATABASE_URL: db.url,
    });
    expect(word.code).toBe(2);
    expect(word.stderr).toContain('--db-latency "far" must be a number of at least 0');
    const seconds = await runHarnessInProcess(['sweep', '--quick', '--db-latency', '5000'], {
      DATABASE_URL: db.url,
    });
    expect(seconds.code).toBe(2);
    expect(seconds.stderr).toContain(
      '--db-latency 5000: expected a round trip in milliseconds of at most 1000',
    );
  });
});

describe('--pg-version: another major version of the embedded server', () => {
  it('refuses a version outside 13..18, and one with DATABASE_URL, before anything starts', async () => {
    const old = await runHarnessInProcess(['sweep', '--quick', '--pg-version', '12'], {
      DATABASE_URL: db.url,
    });
    expect(old.code).toBe(2);
    expect(old.stderr).toContain(
      '--pg-version "12": expected a PostgreSQL major version, one of 13, 14, 15, 16, 17, 18',
    );
    const url = await runHarnessInProcess(['sweep', '--quick', '--pg-version', '17'], {
      DATABASE_URL: db.url,
    });
    expect(url.code).toBe(2);
    expect(url.stderr).toContain('--pg-version 17: DATABASE_URL names a running server');
  });

  it(
    'runs a sweep cell on PostgreSQL 17 end to end (installed into the cache on first use, then offline)',
    { timeout: 300_000 },
    async () => {
      const { result, run } = await sweepCell('pg17', ['--pg-version', '17', '--db', 'embedded'], {
        DATABASE_URL: '',
      });
      expect(result.env.postgres.version).toMatch(/^17\./);
      expect(result.env.postgres.source).toBe('embedded');
      expect(result.metrics.cells).toHaveLength(1);
      expect(run.stdout).toMatch(/^PostgreSQL 17\.\d+ \(embedded\)/m);
    },
  );
});
