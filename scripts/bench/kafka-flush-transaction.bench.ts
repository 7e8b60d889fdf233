// What exactly-once costs a flush: the HTTP path's one autocommit statement against the Kafka
// path's transaction (BEGIN; fenced offset UPDATE; the variant; COMMIT), on embedded
// PostgreSQL (full durability) with 10,000 players x 50 goals, join, batches of 60 and 375
// rows (production's flush, and 3,000 events/s's), interleaved round by round so drift hits
// both alike.
// Run: npm run bench:kafka-flush-transaction [-- <rounds per size, default 300>]
import { loadCatalogue } from '../../sut/catalogue/goal-catalogue.ts';
import { generatePlayerIds } from '../../simulator/population.ts';
import { OffsetStore } from '../../sut/repository/offset-store.ts';
import { PostgresBatchWriter } from '../../sut/repository/postgres-batch-writer.ts';
import type { ProgressIncrement } from '../../sut/repository/progress-increment.ts';
import { loadVariant } from '../../sut/sql/variant-registry.ts';
import { startBenchDatabase } from './bench-database.ts';
import { saveBenchResult } from './bench-results.ts';

const ROUNDS = Number(process.argv[2] ?? 300);
const SIZES = [60, 375];
const fmt = (v: number, d = 2) =>
  v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const bench = await startBenchDatabase();
const { database, client, env } = bench;
await bench.seed();
const catalogue = await loadCatalogue();
const regular = catalogue.goals.filter((g) => !g.daily);
const players = generatePlayerIds(10_000, 42);
const variant = await loadVariant('join');
const offsets = new OffsetStore({ group: 'bench', topic: 'bench' });
const autocommit = new PostgresBatchWriter(database.url, variant, false);
const transactional = new PostgresBatchWriter(database.url, variant, false, offsets);
await offsets.claim(client, 0);

let seq = 0;
/** Distinct keys, like a flush: player i x the first goals, shifting each call. */
function batch(size: number): ProgressIncrement[] {
  const out: ProgressIncrement[] = [];
  for (let i = 0; i < size; i++) {
    const n = seq++;
    const goal = regular[n % regular.length];
    if (goal === undefined) throw new Error('no regular goal');
    out.push({
      userId: players[Math.floor(n / regular.length) % players.length] as string,
      goalId: goal.goalId,
      challengeId: goal.challengeId,
      namespace: catalogue.namespace,
      delta: 1,
      targetValue: goal.targetValue,
      isDaily: false,
    });
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const figures: Record<string, number> = {};
let nextOffset = 0;
try {
  for (const size of SIZES) {
    const times = { autocommit: [] as number[], transaction: [] as number[] };
    for (let r = 0; r < ROUNDS + 20; r++) {
      const order = r % 2 === 0 ? ['autocommit', 'transaction'] : ['transaction', 'autocommit'];
      for (const kind of order) {
        const increments = batch(size);
        const started = performance.now();
        if (kind === 'autocommit') await autocommit.write(0, increments);
        else await transactional.write(0, increments, { nextOffset: ++nextOffset });
        // The first 20 rounds warm the cache and the connections.
        if (r >= 20) times[kind as keyof typeof times].push(performance.now() - started);
      }
    }
    const a = median(times.autocommit);
    const t = median(times.transaction);
    process.stdout.write(
      `${size} rows: autocommit ${fmt(a)} ms, transaction with offset ${fmt(t)} ms (median of ${ROUNDS}), +${fmt(t - a)} ms (${fmt((t / a - 1) * 100, 0)} %)\n`,
    );
    figures[`rows${size}_autocommit_ms`] = a;
    figures[`rows${size}_transaction_ms`] = t;
  }
} finally {
  await autocommit.close();
  await transactional.close();
  await bench.stop();
}
process.stdout.write(
  `${await saveBenchResult('kafka-flush-transaction', figures, ['join, embedded PostgreSQL, full durability, interleaved'], { rounds: ROUNDS, sizes: SIZES }, env)}\n`,
);
