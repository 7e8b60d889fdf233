// What a safe retry costs a flush: the production service's one autocommit statement (no
// fence: a retry after a lost COMMIT reply applies twice) against the harness's fenced
// flushes, HTTP (claim_flush and the variant as one implicit transaction) and Kafka (the same with
// advance_offset). The sweep's method: embedded PostgreSQL (full durability), 10,000 players x
// 50 goals, join, batches of 60 and 375 rows (production's flush, and 3,000 events/s's), the
// three kinds in a rotating order round by round so drift hits them alike; medians.
// Run: npm run bench:flush-fence [-- <rounds per size, default 300>]
import { loadCatalogue } from '../../sut/catalogue/goal-catalogue.ts';
import { generatePlayerIds } from '../../sut/db/player-ids.ts';
import { OffsetStore } from '../../sut/repository/offset-store.ts';
import { PostgresBatchWriter } from '../../sut/repository/postgres-batch-writer.ts';
import type { ProgressIncrement } from '../../sut/model/progress-increment.ts';
import type { FlushFence } from '../../sut/buffer/batch-writer.ts';
import { loadVariant } from '../../sut/sql/variant-registry.ts';
import { startBenchDatabase } from './bench-database.ts';
import { saveBenchResult } from './bench-results.ts';
import { formatFixed } from '../../lib/format.ts';
import { PRODUCTION } from '../../sut/production-defaults.ts';

const ROUNDS = Number(process.argv[2] ?? 300);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  process.stderr.write(
    `error: rounds "${process.argv[2] ?? ''}" must be a positive integer\nusage: npm run bench:flush-fence [-- <rounds>]\n`,
  );
  process.exit(2);
}
const SIZES = [60, 375];
const WARMUP_ROUNDS = 20;
const fmt = (v: number, d = 2) => formatFixed(v, d);

const bench = await startBenchDatabase();
const { database, client, env } = bench;
await bench.seed();
const catalogue = await loadCatalogue();
const regular = catalogue.goals.filter((g) => !g.daily);
const players = generatePlayerIds(PRODUCTION.players, PRODUCTION.seed);
const variant = await loadVariant(PRODUCTION.variant);
const offsets = new OffsetStore({ group: 'bench', topic: 'bench' });
const writers = {
  unfenced: new PostgresBatchWriter({ url: database.url, variant, prepared: false, fenced: false }),
  http: new PostgresBatchWriter({ url: database.url, variant, prepared: false }),
  kafka: new PostgresBatchWriter({ url: database.url, variant, prepared: false, offsets }),
};
type Kind = keyof typeof writers;
const KINDS = Object.keys(writers) as Kind[];
await offsets.claim(client, 0);

let drawn = 0;
/** Distinct keys, like a flush: player i x the first goals, shifting each call. */
function batch(size: number): ProgressIncrement[] {
  const out: ProgressIncrement[] = [];
  for (let i = 0; i < size; i++) {
    const n = drawn++;
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
let seq = 0;
let nextOffset = 0;
const fenceOf = (kind: Kind): FlushFence =>
  kind === 'kafka' ? { kind: 'log', nextOffset: ++nextOffset } : { kind: 'sequence', seq: ++seq };
try {
  for (const size of SIZES) {
    const times: Record<Kind, number[]> = { unfenced: [], http: [], kafka: [] };
    for (let r = 0; r < ROUNDS + WARMUP_ROUNDS; r++) {
      for (let k = 0; k < KINDS.length; k++) {
        const kind = KINDS[(r + k) % KINDS.length] as Kind;
        const increments = batch(size);
        const started = performance.now();
        await writers[kind].write(0, increments, fenceOf(kind));
        // The first rounds warm the cache and the connections.
        if (r >= WARMUP_ROUNDS) times[kind].push(performance.now() - started);
      }
    }
    const base = median(times.unfenced);
    const line = KINDS.map((kind) => {
      const m = median(times[kind]);
      figures[`rows${size}_${kind}_ms`] = m;
      return kind === 'unfenced'
        ? `unfenced ${fmt(m)} ms`
        : `${kind} fence ${fmt(m)} ms (${m >= base ? '+' : ''}${fmt(m - base)} ms, ${fmt((m / base - 1) * 100, 0)} %)`;
    });
    process.stdout.write(`${size} rows, median of ${ROUNDS}: ${line.join('; ')}\n`);
  }
} finally {
  await Promise.all(Object.values(writers).map((w) => w.close()));
  await bench.stop();
}
process.stdout.write(
  `${await saveBenchResult('flush-fence', figures, ['join, embedded PostgreSQL, full durability, rotating order'], { rounds: ROUNDS, sizes: SIZES }, env)}\n`,
);
