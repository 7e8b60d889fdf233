// What the state of the table does to the first seconds of a load: the service's flush
// (fenced, join) from 8 partitions every 100 ms, 62 random rows each (production's 494
// events/s; a third argument sets another size), for a minute, on the same 10,000 players x
// 50 goals seeded three ways:
//   fresh    COPY alone (every page full: each row's first update leaves its page and
//            writes every index) - what `--fresh-table` keeps;
//   settled  COPY into pages left 20 % free, then VACUUM - what the seeder does;
//   updated  COPY, every row updated once, VACUUM - a table that has lived, the reference
//            the settled seed stands in for.
// Rounds interleaved (fresh, settled, updated, then backwards), each on freshly seeded data.
// Run: npm run bench:table-state [-- <seconds per round, default 60> [<passes, default 2>
//      [<rows per flush, default 62>]]]
import * as hdr from 'hdr-histogram-js';
import { loadCatalogue } from '../../sut/catalogue/goal-catalogue.ts';
import { generatePlayerIds } from '../../sut/db/player-ids.ts';
import { PostgresBatchWriter } from '../../sut/repository/postgres-batch-writer.ts';
import type { ProgressIncrement } from '../../sut/model/progress-increment.ts';
import { loadVariant } from '../../sut/sql/variant-registry.ts';
import { DEFAULT_SEED_SHARES, seedProgress } from '../../sut/db/seeder.ts';
import { harnessTable } from '../../sut/db/target-table.ts';
import { DEFAULT_HARNESS_SCHEMA } from '../../sut/db/harness-schema.ts';
import { createRandom } from '../../sut/db/random.ts';
import { INTERVAL_HISTOGRAM } from '../../sut/metrics/interval-recorder.ts';
import { settlingOf, type Settling } from '../../scenarios/engine/settling.ts';
import { createTable } from '../../lib/table.ts';
import { startBenchDatabase } from './bench-database.ts';
import { saveBenchResult } from './bench-results.ts';
import { PRODUCTION } from '../../sut/production-defaults.ts';

const usage =
  'usage: npm run bench:table-state [-- <seconds per round> [<passes> [<rows per flush>]]]';
const SECONDS = Number(process.argv[2] ?? 60);
const PASSES = Number(process.argv[3] ?? 2);
/** 62: production's 494 events/s; 375: 3,000 events/s; 625: 5,000 events/s. */
const ROWS_PER_FLUSH = Number(process.argv[4] ?? 62);
if (!Number.isInteger(SECONDS) || SECONDS < 20 || SECONDS > 3600) {
  process.stderr.write(
    `error: seconds "${process.argv[2] ?? ''}" must be an integer from 20 to 3600\n${usage}\n`,
  );
  process.exit(2);
}
if (!Number.isInteger(ROWS_PER_FLUSH) || ROWS_PER_FLUSH < 1 || ROWS_PER_FLUSH > 3000) {
  process.stderr.write(
    `error: rows per flush "${process.argv[4] ?? ''}" must be an integer from 1 to 3000\n${usage}\n`,
  );
  process.exit(2);
}
if (!Number.isInteger(PASSES) || PASSES < 1 || PASSES > 20) {
  process.stderr.write(
    `error: passes "${process.argv[3] ?? ''}" must be an integer from 1 to 20\n${usage}\n`,
  );
  process.exit(2);
}

const STATES = ['fresh', 'settled', 'updated'] as const;
type State = (typeof STATES)[number];
const PARTITIONS = 8;
const FLUSH_MS = 100;

const bench = await startBenchDatabase();
const { database, client, env } = bench;
const table = harnessTable(DEFAULT_HARNESS_SCHEMA);
const catalogue = await loadCatalogue();
const regular = catalogue.goals.filter((g) => !g.daily);
const players = generatePlayerIds(PRODUCTION.players, PRODUCTION.seed);
const variant = await loadVariant(PRODUCTION.variant);

async function seedAs(state: State): Promise<void> {
  await seedProgress(client, {
    players: PRODUCTION.players,
    goalsPerPlayer: PRODUCTION.goalsPerPlayer,
    seed: PRODUCTION.seed,
    shares: DEFAULT_SEED_SHARES,
    fresh: state !== 'settled',
  });
  if (state === 'updated') {
    await client.query(`UPDATE ${table.sql} SET updated_at = updated_at`);
    await client.query(`VACUUM (ANALYZE) ${table.sql}`);
  }
}

/** One partition's flush: distinct random rows, as events from random players give. */
function batch(random: () => number): ProgressIncrement[] {
  const keys = new Set<string>();
  const out: ProgressIncrement[] = [];
  while (out.length < ROWS_PER_FLUSH) {
    const player = players[Math.floor(random() * players.length)] as string;
    const goal = regular[Math.floor(random() * regular.length)];
    if (goal === undefined || keys.has(`${player}/${goal.goalId}`)) continue;
    keys.add(`${player}/${goal.goalId}`);
    out.push({
      userId: player,
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

/** A minute of the service's flushes; every flush's duration by the second it started in. */
async function load(round: number): Promise<Settling> {
  const writers = Array.from(
    { length: PARTITIONS },
    () => new PostgresBatchWriter({ url: database.url, variant, prepared: false }),
  );
  const perSecond = Array.from({ length: SECONDS }, () => hdr.build(INTERVAL_HISTOGRAM));
  const started = performance.now();
  try {
    await Promise.all(
      writers.map(async (writer, partition) => {
        const random = createRandom(1000 * round + partition);
        let seq = 0;
        for (let tick = 0; tick < (SECONDS * 1000) / FLUSH_MS; tick++) {
          const due = started + tick * FLUSH_MS;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          const t0 = performance.now();
          await writer.write(partition, batch(random), { kind: 'sequence', seq: ++seq });
          const second = Math.min(SECONDS - 1, Math.floor((t0 - started) / 1000));
          (perSecond[second] as hdr.Histogram).recordValue(
            Math.round((performance.now() - t0) * 1000),
          );
        }
      }),
    );
  } finally {
    await Promise.all(writers.map((w) => w.close()));
  }
  const edge = Math.min(30, Math.floor(SECONDS / 2));
  const window = (from: number, to: number) => {
    const h = hdr.build(INTERVAL_HISTOGRAM);
    for (const s of perSecond.slice(from, to)) h.add(s);
    return new Map([['flushDurationUs' as const, h]]);
  };
  const settling = settlingOf(
    { seconds: edge, first: window(0, edge), last: window(SECONDS - edge, SECONDS) },
    perSecond.map((h, i) => ({
      t: i + 1,
      flushP95Ms: h.totalCount === 0 ? null : h.getValueAtPercentile(95) / 1000,
    })),
    SECONDS,
  );
  for (const h of perSecond) h.destroy();
  return settling;
}

const order: State[] = [];
for (let pass = 0; pass < PASSES; pass++)
  order.push(...(pass % 2 === 0 ? STATES : [...STATES].reverse()));
const results = new Map<State, Settling[]>(STATES.map((s) => [s, []]));
const ms = (v: number | null) => (v === null ? '-' : v.toFixed(1));
try {
  for (const [round, state] of order.entries()) {
    await seedAs(state);
    const settling = await load(round);
    (results.get(state) as Settling[]).push(settling);
    process.stdout.write(
      `round ${round + 1}/${order.length} ${state}: flush p95 first ${settling.seconds} s ${ms(settling.first.flushP95Ms)} ms, last ${ms(settling.last.flushP95Ms)} ms, steady after ${settling.settledAfterSeconds ?? 'never'} s\n`,
    );
  }
} finally {
  await bench.stop();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const figures: Record<string, number> = {};
const out = createTable([
  'Table',
  'Flush p95, first 30 s (ms)',
  'Flush p95, last 30 s (ms)',
  'First / last',
  'Steady after (s)',
]);
for (const state of STATES) {
  const rounds = results.get(state) as Settling[];
  const first = median(rounds.map((r) => r.first.flushP95Ms ?? Number.NaN));
  const last = median(rounds.map((r) => r.last.flushP95Ms ?? Number.NaN));
  const settled = median(rounds.map((r) => r.settledAfterSeconds ?? SECONDS));
  figures[`${state}_first30_p95_ms`] = first;
  figures[`${state}_last30_p95_ms`] = last;
  figures[`${state}_steady_after_s`] = settled;
  out.push([state, ms(first), ms(last), `${(first / last).toFixed(1)}x`, String(settled)]);
}
process.stdout.write(
  `\n${out.toString()}\nmedians of ${PASSES} rounds per state; ${SECONDS} s of load per round, 8 partitions x ${ROWS_PER_FLUSH} rows every 100 ms (${Math.round((PARTITIONS * ROWS_PER_FLUSH * 1000) / FLUSH_MS / 10).toLocaleString('en-US')} events/s at 10 rows per event)\n`,
);
process.stdout.write(
  `${await saveBenchResult('table-state', figures, ['join, fenced flushes, embedded PostgreSQL, full durability, rounds interleaved'], { seconds: SECONDS, passes: PASSES, rowsPerFlush: ROWS_PER_FLUSH }, env)}\n`,
);
