import type pg from 'pg';
import type { GoalCatalogue } from '../catalogue/goal-catalogue.ts';
import type { ProgressIncrement } from '../model/progress-increment.ts';
import { partitionOf } from '../partitioning/fnv1a.ts';
import { DEFAULT_HARNESS_SCHEMA } from './harness-schema.ts';
import { harnessTable, type TargetTable } from './target-table.ts';

export interface SampleKey {
  readonly userId: string;
  readonly goalId: string;
  readonly challengeId: string;
  readonly namespace: string;
}

/**
 * Draws batches of distinct rows that an increment will update: existing, active and not
 * claimed, as a real flush would carry them. Keys are read from the table itself, so a batch
 * never names a row that is not there.
 */
export class RowSampler {
  private constructor(
    private readonly keys: SampleKey[],
    private readonly goals: ReadonlyMap<string, { targetValue: number; daily: boolean }>,
    private readonly random: () => number,
  ) {}

  /**
   * Splits the keys into `parts` samplers by player (FNV-1a of user_id, as the service
   * partitions), so parallel flushers never touch the same rows.
   */
  splitByPlayer(parts: number, randomFor: (part: number) => () => number): RowSampler[] {
    const buckets = Array.from({ length: parts }, () => [] as SampleKey[]);
    for (const key of this.keys) buckets[partitionOf(key.userId, parts)]?.push(key);
    return buckets.map((keys, i) => new RowSampler(keys, this.goals, randomFor(i)));
  }

  static async load(
    client: pg.ClientBase,
    catalogue: GoalCatalogue,
    random: () => number,
    table: TargetTable = harnessTable(DEFAULT_HARNESS_SCHEMA),
  ): Promise<RowSampler> {
    const { rows } = await client.query<{
      user_id: string;
      goal_id: string;
      challenge_id: string;
      namespace: string;
    }>(
      `SELECT user_id, goal_id, challenge_id, namespace FROM ${table.sql}
        WHERE is_active AND status <> 'claimed' ORDER BY user_id, goal_id`,
    );
    const keys = rows.map((r) => ({
      userId: r.user_id,
      goalId: r.goal_id,
      challengeId: r.challenge_id,
      namespace: r.namespace,
    }));
    const goals = new Map(
      catalogue.goals.map((g) => [g.goalId, { targetValue: g.targetValue, daily: g.daily }]),
    );
    return new RowSampler(keys, goals, random);
  }

  /** How many distinct updatable rows exist: the largest batch this table can serve. */
  get capacity(): number {
    return this.keys.length;
  }

  /** A batch of `size` distinct keys (partial Fisher-Yates), deltas 1..5, targets from the catalogue. */
  batch(size: number): ProgressIncrement[] {
    if (size > this.keys.length) {
      throw new RangeError(
        `a batch of ${size} distinct rows needs more than the ${this.keys.length} updatable rows seeded`,
      );
    }
    const out = new Array<ProgressIncrement>(size);
    for (let i = 0; i < size; i++) {
      const j = i + Math.floor(this.random() * (this.keys.length - i));
      const key = this.keys[j] as SampleKey;
      this.keys[j] = this.keys[i] as SampleKey;
      this.keys[i] = key;
      const goal = this.goals.get(key.goalId) ?? { targetValue: 100, daily: false };
      // A literal with every field, as a flush builds it: spread objects take a slower shape.
      out[i] = {
        userId: key.userId,
        goalId: key.goalId,
        challengeId: key.challengeId,
        namespace: key.namespace,
        delta: 1 + Math.floor(this.random() * 5),
        targetValue: goal.targetValue,
        isDaily: goal.daily,
      };
    }
    return out;
  }
}
