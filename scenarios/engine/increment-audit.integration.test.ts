import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { DeliveryLedger } from '../../simulator/delivery-ledger.ts';
import { DEFAULT_SIMULATION, prepareSimulation, simulate } from '../../simulator/simulation.ts';
import { DEFAULT_HTTP_SINK, HttpSink } from '../../simulator/sinks/http-sink.ts';
import type { BatchWriter, FlushFence } from '../../sut/buffer/batch-writer.ts';
import { PRODUCTION_FLUSH_CONFIG } from '../../sut/buffer/flush-worker.ts';
import { loadCatalogue, type GoalCatalogue } from '../../sut/catalogue/goal-catalogue.ts';
import { GoalRouter } from '../../sut/catalogue/goal-router.ts';
import { harnessTable } from '../../sut/db/target-table.ts';
import { DEFAULT_SEED_SHARES, seedProgress } from '../../sut/db/seeder.ts';
import { PostgresBatchWriter } from '../../sut/repository/postgres-batch-writer.ts';
import type { ProgressIncrement } from '../../sut/model/progress-increment.ts';
import { startSut } from '../../sut/service/sut-app.ts';
import { loadVariant } from '../../sut/sql/variant-registry.ts';
import {
  auditIncrements,
  readAuditRows,
  readDeadLetters,
  readProgress,
} from './increment-audit.ts';

// The audit is the judge of every fault scenario, so it is tried on defects planted on
// purpose: a writer that applies a batch twice, one that drops a batch and says it wrote it,
// one whose retry forgets part of a failed batch (the published service's merge-back).
// Each must be caught; the honest writer must pass.
const PLAYERS = 200;
const SEED = 17;
let db: TestDatabase;
let catalogue: GoalCatalogue;
beforeAll(async () => {
  db = await createTestDatabase();
  catalogue = await loadCatalogue();
});
afterAll(async () => {
  await db.drop();
});

type Defect = 'none' | 'apply-twice' | 'drop-batch' | 'forget-on-retry';

/** The real writer, with a defect planted on every fifth flush. */
function plantedWriter(
  inner: PostgresBatchWriter,
  again: PostgresBatchWriter,
  defect: Defect,
): BatchWriter {
  let flushes = 0;
  const retrying = new Set<number>();
  return {
    async write(partition, increments, fence: FlushFence) {
      const planted = defect !== 'none' && ++flushes % 5 === 0;
      if (planted && defect === 'apply-twice') {
        // The second copy goes around the fence: it is the defect, not a retry.
        await again.write(partition, increments, fence);
        return inner.write(partition, increments, fence);
      }
      if (planted && defect === 'drop-batch')
        return { rowsUpdated: increments.length, alreadyApplied: false, deadLetters: [] };
      if (defect === 'forget-on-retry' && fence.kind === 'sequence') {
        if (planted && !retrying.has(fence.seq)) {
          retrying.add(fence.seq);
          throw new Error('planted failure');
        }
        if (retrying.delete(fence.seq)) {
          const kept: ProgressIncrement[] = increments.slice(0, Math.ceil(increments.length / 2));
          return inner.write(partition, kept, fence);
        }
      }
      return inner.write(partition, increments, fence);
    },
    close: async () => {
      await again.close();
      await inner.close();
    },
  };
}

async function runWith(defect: Defect) {
  await seedProgress(db.client, {
    players: PLAYERS,
    goalsPerPlayer: 50,
    seed: SEED,
    catalogue,
    shares: DEFAULT_SEED_SHARES,
  });
  const table = harnessTable('flush_harness');
  const dailyGoals = new Set(catalogue.goals.filter((g) => g.daily).map((g) => g.goalId));
  const before = await readAuditRows(db.client, table, dailyGoals);
  const since = (await db.client.query<{ now: Date }>('SELECT now() AS now')).rows[0]?.now as Date;
  const variant = await loadVariant('join');
  const writer = plantedWriter(
    new PostgresBatchWriter({ url: db.url, variant, prepared: false }),
    new PostgresBatchWriter({ url: db.url, variant, prepared: false, fenced: false }),
    defect,
  );
  const sut = await startSut({
    host: '127.0.0.1',
    port: 0,
    partitions: 4,
    variant: 'join',
    flush: { ...PRODUCTION_FLUSH_CONFIG, intervalMs: 50, retryBaseMs: 20 },
    catalogue,
    writer,
  });
  const config = {
    ...DEFAULT_SIMULATION,
    players: PLAYERS,
    seed: SEED,
    partitions: 4,
    executor: { executor: 'constant-arrival-rate' as const, rate: 400, duration: '2s' },
  };
  const prepared = prepareSimulation(config);
  const ledger = new DeliveryLedger(prepared.plan.totalEvents);
  const sink = new HttpSink({ ...DEFAULT_HTTP_SINK, url: sut.url, partitions: 4, ledger });
  await simulate(config, sink, { prepared });
  await sink.close();
  expect(await sut.stop()).toBe(0);
  return auditIncrements({
    ledger,
    generator: prepared.generator,
    playerIds: prepared.population.ids,
    router: new GoalRouter(catalogue),
    before,
    after: await readProgress(db.client, table),
    deadLetters: await readDeadLetters(db.client, since),
    crashes: [],
  });
}

describe('the audit catches defects planted in the flush path', () => {
  it('an honest writer: nothing lost, nothing doubled', async () => {
    const audit = await runWith('none');
    expect(audit.events.acknowledged).toBe(800);
    expect(audit).toMatchObject({ lost: 0, doubled: 0, untouchableMoved: 0 });
  });

  it('a batch applied twice: doubled', async () => {
    const audit = await runWith('apply-twice');
    expect(audit.doubled).toBeGreaterThan(0);
    expect(audit.keysDoubled).toBeGreaterThan(0);
    expect(audit.lost).toBe(0);
  });

  it('a batch dropped while the writer said it was written: lost', async () => {
    const audit = await runWith('drop-batch');
    expect(audit.lost).toBeGreaterThan(0);
    expect(audit.lostAtCrash).toBe(0);
    expect(audit.examples.lost.length).toBeGreaterThan(0);
  });

  it('a retry that forgets part of the failed batch: lost', async () => {
    const audit = await runWith('forget-on-retry');
    expect(audit.lost).toBeGreaterThan(0);
    expect(audit.doubled).toBe(0);
  });
});
