import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { generatePlayerIds, MAX_PLAYERS } from './player-ids.ts';
import { UsageError } from '../../lib/errors.ts';
import { loadCatalogue, type Goal, type GoalCatalogue } from '../catalogue/goal-catalogue.ts';
import { toPgTimestamp } from '../model/progress-row.ts';
import { createRandom } from './random.ts';
import { DEFAULT_HARNESS_SCHEMA } from './harness-schema.ts';
import { harnessTable, type TargetTable } from './target-table.ts';

export interface SeedShares {
  /** Assigned but inactive rows (`is_active = false`): never updated. */
  readonly inactive: number;
  /** Claimed rows: completed and rewarded, never updated. */
  readonly claimed: number;
  /** Completed, not yet claimed rows. */
  readonly completed: number;
  /** Of the rows of daily goals still in play, those already counted today (updated since 00:00 UTC). */
  readonly dailyToday: number;
}

export interface SeedOptions {
  /** Players (production load tests: 10,000). */
  readonly players: number;
  /**
   * Goal rows per player. Every player is assigned the same goals, spread over all
   * challenges: the first goal of each challenge, then the second of each, and so on.
   */
  readonly goalsPerPlayer: number;
  /** Seed for player ids and row states: the same seed and clock give the same table. */
  readonly seed: number;
  readonly shares: SeedShares;
  /** Defaults to the shipped catalogue (sut/catalogue/default-catalogue.json). */
  readonly catalogue?: GoalCatalogue;
  /** Wall clock in ms; rows' timestamps are placed relative to it. */
  readonly now?: () => number;
  readonly onProgress?: (rowsWritten: number, rowsTotal: number) => void;
  /**
   * The table to fill: the harness's own by default. A user's table reaches here only through
   * resolveTargetTable, which refuses one holding rows unless the user allowed replacing them.
   */
  readonly table?: TargetTable;
  /**
   * Leave the table as COPY does (every page full) instead of as a long-lived table is. On
   * full pages no row's first update can stay on its page: it writes every index and a
   * full-page image, and the first seconds of a run measure that, not the SQL.
   */
  readonly fresh?: boolean;
}

/**
 * Room the seed leaves on every page of the harness's own table (its fillfactor while COPY
 * fills it): what a table that has taken months of updates has, where pruning keeps space for
 * a row's next version, so that version stays on its page (a HOT update) instead of going to
 * another page and into every index. Measured in docs/findings.md (first 30 s of a run on a
 * fresh and on a settled table).
 */
export const SETTLED_FILLFACTOR = 80;

export const DEFAULT_SEED_SHARES: SeedShares = {
  inactive: 0.05,
  claimed: 0.05,
  completed: 0.1,
  dailyToday: 0.3,
};

export interface SeedResult {
  readonly rows: number;
  readonly ms: number;
  readonly rowsPerSecond: number;
  readonly playerIds: readonly string[];
  readonly catalogue: GoalCatalogue;
}

const ROWS_PER_CHUNK = 4096;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Rows' last updates are spread over this window, so some daily rows were touched today. */
const UPDATED_WINDOW_MS = 3 * DAY_MS;
/** Of the rows that are neither completed nor claimed, this share has never progressed. */
const NOT_STARTED_SHARE = 0.3;

export function seedOptionProblems(options: SeedOptions, catalogue: GoalCatalogue): string[] {
  const problems: string[] = [];
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1)
      problems.push(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt('players', options.players);
  if (options.players > MAX_PLAYERS)
    problems.push(
      `players must be at most ${MAX_PLAYERS.toLocaleString('en-US')}, got ${options.players}`,
    );
  positiveInt('goals per player', options.goalsPerPlayer);
  if (options.goalsPerPlayer > catalogue.goals.length) {
    problems.push(
      `goals per player (${options.goalsPerPlayer}) exceeds the catalogue's ${catalogue.goals.length} goals`,
    );
  }
  if (!Number.isInteger(options.seed))
    problems.push(`seed must be an integer, got ${options.seed}`);
  const { inactive, claimed, completed } = options.shares;
  for (const [name, v] of Object.entries(options.shares) as [string, number][]) {
    if (!(v >= 0 && v <= 1)) problems.push(`${name} share must be between 0 and 1, got ${v}`);
  }
  if (inactive + claimed + completed > 1)
    problems.push(
      `inactive + claimed + completed shares exceed 1 (${inactive + claimed + completed})`,
    );
  return problems;
}

/** COPY text format escaping; ids from faker and the catalogue never need it, but ids from a user's catalogue might. */
function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : value;
}

/** The catalogue's goals in assignment order: the first goal of every challenge, then the second, ... */
export function assignmentOrder(catalogue: GoalCatalogue): Goal[] {
  const byChallenge = new Map<string, Goal[]>();
  for (const goal of catalogue.goals) {
    const list = byChallenge.get(goal.challengeId) ?? [];
    list.push(goal);
    byChallenge.set(goal.challengeId, list);
  }
  const lists = [...byChallenge.values()];
  const longest = Math.max(...lists.map((l) => l.length));
  const order: Goal[] = [];
  for (let i = 0; i < longest; i++)
    for (const list of lists) if (i < list.length) order.push(list[i] as Goal);
  return order;
}

function* rowChunks(
  options: SeedOptions,
  catalogue: GoalCatalogue,
  playerIds: readonly string[],
  nowMs: number,
): Generator<string> {
  const random = createRandom(options.seed ^ 0x5eed);
  const assigned = assignmentOrder(catalogue).slice(0, options.goalsPerPlayer);
  const { inactive, claimed, completed, dailyToday } = options.shares;
  const startOfToday = nowMs - (nowMs % DAY_MS);
  const ns = copyText(catalogue.namespace);
  const createdAt = toPgTimestamp(nowMs - 30 * DAY_MS);
  const total = options.players * options.goalsPerPlayer;
  let lines: string[] = [];
  for (let p = 0; p < options.players; p++) {
    const userId = copyText(playerIds[p] as string);
    for (let g = 0; g < assigned.length; g++) {
      const goal = assigned[g] as Goal;
      let updatedMs = nowMs - Math.floor(random() * UPDATED_WINDOW_MS);
      const roll = random();
      let progress: number;
      let status: string;
      let completedAt = '\\N';
      let claimedAt = '\\N';
      let isActive = 't';
      if (roll < inactive) {
        isActive = 'f';
        progress = Math.floor(random() * goal.targetValue);
        status = progress === 0 ? 'not_started' : 'in_progress';
      } else if (roll < inactive + claimed) {
        progress = goal.targetValue;
        status = 'claimed';
        completedAt = toPgTimestamp(updatedMs - HOUR_MS);
        claimedAt = toPgTimestamp(updatedMs);
      } else if (roll < inactive + claimed + completed) {
        progress = goal.targetValue;
        status = 'completed';
        completedAt = toPgTimestamp(updatedMs);
      } else if (goal.targetValue === 1 || random() < NOT_STARTED_SHARE) {
        progress = 0;
        status = 'not_started';
      } else {
        progress = 1 + Math.floor(random() * (goal.targetValue - 1));
        status = 'in_progress';
      }
      if (goal.daily && status === 'in_progress' && random() < dailyToday) {
        updatedMs = startOfToday + Math.floor(random() * (nowMs - startOfToday));
      }
      const updatedAt = toPgTimestamp(updatedMs);
      lines.push(
        `${userId}\t${copyText(goal.goalId)}\t${copyText(goal.challengeId)}\t${ns}\t${progress}\t${status}\t${completedAt}\t${claimedAt}\t${createdAt}\t${updatedAt}\t${isActive}\t${createdAt}\t\\N\n`,
      );
      if (lines.length === ROWS_PER_CHUNK) {
        yield lines.join('');
        lines = [];
        options.onProgress?.(p * assigned.length + g + 1, total);
      }
    }
  }
  if (lines.length > 0) yield lines.join('');
  options.onProgress?.(total, total);
}

/**
 * Replaces the content of the target table (the harness's own `user_goal_progress` unless
 * told otherwise) with players x goals rows through COPY, then VACUUM ANALYZE so that the
 * planner sees real statistics and the visibility map is set, as on a long-lived table.
 */
export async function seedProgress(
  client: pg.ClientBase,
  options: SeedOptions,
): Promise<SeedResult> {
  const catalogue = options.catalogue ?? (await loadCatalogue());
  const problems = seedOptionProblems(options, catalogue);
  if (problems.length > 0) throw new UsageError('cannot seed the progress table:', problems);
  const started = performance.now();
  const playerIds = generatePlayerIds(options.players, options.seed);
  const nowMs = (options.now ?? Date.now)();
  const table = options.table ?? harnessTable(DEFAULT_HARNESS_SCHEMA);
  await client.query(`TRUNCATE ${table.sql}`);
  // Only on the harness's own table: a user's table keeps its storage settings untouched.
  const settle = options.fresh !== true && table.owned;
  if (settle)
    await client.query(`ALTER TABLE ${table.sql} SET (fillfactor = ${SETTLED_FILLFACTOR})`);
  const copy = client.query(
    copyFrom(
      `COPY ${table.sql} (user_id, goal_id, challenge_id, namespace, progress, status, completed_at,
         claimed_at, created_at, updated_at, is_active, assigned_at, expires_at) FROM STDIN`,
    ),
  );
  await pipeline(Readable.from(rowChunks(options, catalogue, playerIds, nowMs)), copy);
  // The table's own setting again (the production table's default); pages already filled
  // keep their room.
  if (settle) await client.query(`ALTER TABLE ${table.sql} RESET (fillfactor)`);
  await client.query(`VACUUM (ANALYZE) ${table.sql}`);
  const ms = performance.now() - started;
  const rows = options.players * options.goalsPerPlayer;
  return { rows, ms, rowsPerSecond: rows / (ms / 1000), playerIds, catalogue };
}
