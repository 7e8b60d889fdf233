import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

describe('--base-database-url: two servers as the sides of one sweep', () => {
  it('runs the _base variants on the other server, seeded alike, round by round with the rest', async () => {
    // Two fresh databases: their counters hold this sweep's writes alone.
    const mine = await createTestDatabase();
    const other = await createTestDatabase();
    try {
      const variants = join(dir, 'variants');
      mkdirSync(variants, { recursive: true });
      const join_ = new URL('../../sut/sql/variants/join.sql', import.meta.url);
      copyFileSync(join_, join(variants, 'join.sql'));
      copyFileSync(join_, join(variants, 'join_base.sql'));
      // Rows written there: seeded (COPY counts as inserts) and updated by the flushers.
      const written = async (client: TestDatabase['client']) => {
        await client.query('SELECT pg_stat_clear_snapshot()');
        const { rows } = await client.query<{ ins: string; upd: string }>(
          "SELECT n_tup_ins AS ins, n_tup_upd AS upd FROM pg_stat_user_tables WHERE relid = 'flush_harness.user_goal_progress'::regclass",
        );
        return { inserted: Number(rows[0]?.ins ?? 0), updated: Number(rows[0]?.upd ?? 0) };
      };
      const { result } = await sweepCell(
        'twin',
        [
          '--variants-dir',
          variants,
          '--variant',
          'join',
          'join_base',
          '--base-database-url',
          other.url,
        ],
        { DATABASE_URL: mine.url },
      );
      expect(result.metrics.cells.map((c) => c.variant).sort()).toEqual(['join', 'join_base']);
      for (const c of result.metrics.cells) expect(c.wallMs.n).toBeGreaterThanOrEqual(30);
      expect(result.config.baseServer?.version).toMatch(/^\d+\.\d+/);
      // Both servers were seeded alike and flushed into: 30 timed batches of 10 rows at least.
      const [here, there] = [await written(mine.client), await written(other.client)];
      expect(there.inserted).toBe(here.inserted);
      expect(here.updated).toBeGreaterThanOrEqual(300);
      expect(there.updated).toBeGreaterThanOrEqual(300);
    } finally {
      await other.drop();
      await mine.drop();
    }
  });

  it('refuses what reads one server only, and a folder with no _base variant', async () => {
    const costs = await runHarnessInProcess(['sweep', '--quick', '--base-database-url', db.url], {
      DATABASE_URL: db.url,
    });
    expect(costs.code).toBe(2);
    expect(costs.stderr).toContain('leave out --cost-ms (use 0), --ceiling-rows (use 0)');
    const none = await runHarnessInProcess(
      ['sweep', '--quick', '--cost-ms', '0', '--ceiling-rows', '0', '--base-database-url', db.url],
      { DATABASE_URL: db.url },
    );
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no <name>_base variant to run there');
  });
});
