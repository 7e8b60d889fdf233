import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { connectClient } from '../../sut/db/pool.ts';
import { DEFAULT_HARNESS_SCHEMA } from '../../sut/db/harness-schema.ts';
import { harnessTable } from '../../sut/db/target-table.ts';
import { DEFAULT_SEED_SHARES, seedProgress } from '../../sut/db/seeder.ts';
import { RowSampler } from '../../sut/db/row-sampler.ts';
import { createRandom } from '../../sut/db/random.ts';
import { executeBatch, serializeBatch } from '../../sut/repository/batch-increment-repository.ts';
import { loadVariant, variantFor, type SqlVariant } from '../../sut/sql/variant-registry.ts';
import { ceilingBatchCount, measureCeiling } from './ceiling.ts';
import { costPass, costTools } from './cost-pass.ts';
import { counterViews, flushStatistics, readDbCounters } from './db-counters.ts';

const table = harnessTable(DEFAULT_HARNESS_SCHEMA);
let db: TestDatabase;
let flusher: pg.Client;
let join: SqlVariant;

beforeAll(async () => {
  // WAL and checkpoints are the server's: another file's work on a shared server would count.
  db = await createTestDatabase({ ownServer: true });
  flusher = await connectClient(db.url);
  join = variantFor(await loadVariant('join'), table);
});
afterAll(async () => {
  await flusher.end();
  await db.drop();
});

async function seed(fresh: boolean): Promise<RowSampler> {
  const seeded = await seedProgress(db.client, {
    players: 400,
    goalsPerPlayer: 20,
    seed: 11,
    shares: DEFAULT_SEED_SHARES,
    table,
    fresh,
  });
  return RowSampler.load(db.client, seeded.catalogue, createRandom(5), table);
}

/** Every relation outside temporary schemas, with its kind: what must not change. */
async function relations(): Promise<string[]> {
  const { rows } = await db.client.query<{ r: string }>(
    `SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text AS r
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'
      ORDER BY 1`,
  );
  return rows.map((r) => r.r);
}

describe('what a batch costs the server, on a workload whose figures are known', () => {
  it("counts exactly the batch's row updates, once its backend has published them", async () => {
    const sampler = await seed(false);
    const views = await counterViews(db.client);
    await flushStatistics(flusher, views);
    const before = await readDbCounters(db.client, table, views);
    for (let i = 0; i < 3; i++)
      await executeBatch(flusher, join, serializeBatch(sampler.batch(50)));
    await flushStatistics(flusher, views);
    const after = await readDbCounters(db.client, table, views);
    expect(after.tupUpd - before.tupUpd).toBe(150);
    // Every update writes at least its new row version: about a hundred bytes of WAL.
    expect(after.walBytes - before.walBytes).toBeGreaterThan(150 * 60);
    expect(after.blocksHit + after.blocksRead).toBeGreaterThan(
      before.blocksHit + before.blocksRead,
    );
  });

  it('finds updates on a settled table HOT and first updates on full pages not', async () => {
    const settled = await seed(false);
    const tools = await costTools(db.client, table, [flusher]);
    const round = (sampler: RowSampler) => async () => {
      const { rowsUpdated } = await executeBatch(flusher, join, serializeBatch(sampler.batch(40)));
      expect(rowsUpdated).toBe(40);
    };
    const onSettled = await costPass(tools, 'join', round(settled), 40, 0);
    expect(onSettled.rows).toBe(200); // five rounds: the least a pass runs
    expect(onSettled.hotShare).toBeGreaterThan(0.9);
    expect(onSettled.cpuSource).toBe('backends'); // the test's server runs on this machine
    expect(onSettled.cpuUsPerRow).toBeGreaterThan(0);
    expect(onSettled.walBytesPerRow).toBeGreaterThan(60);
    // A timed checkpoint may still fall inside the pass, and the first change to each page
    // after it logs the whole page. The pass then shows full-page images; without them a HOT
    // update writes about a hundred bytes.
    const checkpointed = (onSettled.fpiShare ?? 0) > 0;
    if (checkpointed) expect(onSettled.fpiPerRow).toBeGreaterThan(0);
    else expect(onSettled.walBytesPerRow).toBeLessThan(1000);

    // As COPY leaves it, every page is full: a row's first update cannot stay on its page,
    // so it writes a new index entry in every index, and more WAL.
    const fresh = await seed(true);
    const onFresh = await costPass(tools, 'join', round(fresh), 40, 0);
    expect(onFresh.hotShare).toBeLessThan(0.5);
    if (!checkpointed)
      expect(onFresh.walBytesPerRow).toBeGreaterThan(onSettled.walBytesPerRow * 1.5);
  });

  it('measures the ceiling with nothing left behind outside the session', async () => {
    const sampler = await seed(false);
    const before = await relations();
    const views = await counterViews(db.client);
    expect(ceilingBatchCount(40, 800)).toBe(20);
    // Two sessions at once, each over its own players' rows, as two flushers would.
    const [one, two] = sampler.splitByPlayer(2, (i) => createRandom(100 + i)) as [
      RowSampler,
      RowSampler,
    ];
    const batches = [
      ...Array.from({ length: 10 }, () => serializeBatch(one.batch(40))),
      ...Array.from({ length: 10 }, () => serializeBatch(two.batch(40))),
    ];
    const ceiling = await measureCeiling(
      [
        { client: flusher, batches: batches.slice(0, 10) },
        { client: db.client, batches: batches.slice(10) },
      ],
      db.client,
      table,
      join,
      views,
    );
    expect(ceiling).toMatchObject({ size: 40, batches: 20, sessions: 2 });
    expect(ceiling.cost.rows).toBe(800);
    expect(ceiling.cost.rowsPerSecond).toBeGreaterThan(0);
    expect(ceiling.cost.cpuSource).toBe('backends');
    expect(ceiling.cost.hotShare).toBeGreaterThan(0.9);
    expect(await relations()).toEqual(before);
    // A batch naming a row that is not there is refused, not counted as the ceiling.
    const short = serializeBatch(
      sampler.batch(40).map((inc, i) => (i === 0 ? { ...inc, userId: 'nobody-here' } : inc)),
    );
    await expect(
      measureCeiling([{ client: flusher, batches: [short] }], db.client, table, join, views),
    ).rejects.toThrow(/updated 39 rows, not 40/);
  });
});
