import type { Goal } from '../catalogue/goal-catalogue.ts';
import { INT32_MAX, type ProgressIncrement } from '../model/progress-increment.ts';

interface PlayerEntries {
  readonly namespace: string;
  /** Summed delta per goal; Goal objects are keys, so no string key is built per increment. */
  readonly goals: Map<Goal, number>;
}

/** What a flush takes out of a buffer: the entries and the events they came from. */
export interface DrainedEntries {
  readonly players: Map<string, PlayerEntries>;
  readonly size: number;
  /** Intended send time of every event folded into these entries (epoch ms). */
  readonly eventTimes: number[];
  /** Log transports: every event below this offset is in these entries or already committed. */
  readonly nextOffset: number | undefined;
  /** Sum of the entries' deltas: increments, as the audit counts them. */
  readonly units: number;
}

/**
 * One partition's buffer of increments, aggregated by (user_id, goal_id): a key's deltas are
 * summed, so a flush carries each key once (docs/production-system.md, "Buffering").
 */
export class PartitionBuffer {
  private players = new Map<string, PlayerEntries>();
  private eventTimes: number[] = [];
  private entries = 0;
  private nextOffset: number | undefined;
  private heldUnits = 0;

  /** Sum of the buffered deltas over every key. */
  get units(): number {
    return this.heldUnits;
  }

  /** Distinct (user, goal) keys buffered: what the size limit and the thresholds count. */
  get size(): number {
    return this.entries;
  }

  /**
   * Whether a flush has anything to do: keys to write, or (log transports) a position to
   * record, when the only events since the last flush were dead-lettered.
   */
  get hasPending(): boolean {
    return this.entries > 0 || this.nextOffset !== undefined;
  }

  /** Log transports: the buffer now covers the log up to (not including) `nextOffset`. */
  advanceTo(nextOffset: number): void {
    this.nextOffset = nextOffset;
  }

  /** Folds one event's increments in: `delta` for each of `goals`. */
  add(
    userId: string,
    namespace: string,
    goals: readonly Goal[],
    delta: number,
    intendedAt: number,
  ): void {
    let player = this.players.get(userId);
    if (player === undefined) {
      player = { namespace, goals: new Map() };
      this.players.set(userId, player);
    }
    for (const goal of goals) {
      const current = player.goals.get(goal);
      if (current === undefined) this.entries++;
      player.goals.set(goal, (current ?? 0) + delta);
    }
    this.heldUnits += delta * goals.length;
    this.eventTimes.push(intendedAt);
  }

  /** Takes everything out, leaving the buffer empty for the increments that arrive meanwhile. */
  drain(): DrainedEntries {
    const drained = {
      players: this.players,
      size: this.entries,
      eventTimes: this.eventTimes,
      nextOffset: this.nextOffset,
      units: this.heldUnits,
    };
    this.heldUnits = 0;
    this.players = new Map();
    this.eventTimes = [];
    this.entries = 0;
    this.nextOffset = undefined;
    return drained;
  }

  /**
   * Adds to a key without an event behind it: the part of a summed delta a flush could not
   * carry (see toIncrements).
   */
  carry(userId: string, namespace: string, goal: Goal, delta: number): void {
    let player = this.players.get(userId);
    if (player === undefined) {
      player = { namespace, goals: new Map() };
      this.players.set(userId, player);
    }
    const current = player.goals.get(goal);
    if (current === undefined) this.entries++;
    player.goals.set(goal, (current ?? 0) + delta);
    this.heldUnits += delta;
  }
}

/**
 * The batch a flush sends: one increment per buffered key. A key's summed delta is held as a
 * JavaScript number, but the parameter is INT: a sum above INT's largest value is sent as
 * that value, and the rest is handed to `carry` for a later flush. Splitting keeps every
 * increment (capping would drop some), and a batch never fails on a sum no single event made.
 */
export function toIncrements(
  drained: DrainedEntries,
  carry: (userId: string, namespace: string, goal: Goal, rest: number) => void = () => {
    throw new Error('a summed delta above INT needs somewhere to carry the rest');
  },
): ProgressIncrement[] {
  const out = new Array<ProgressIncrement>(drained.size);
  let i = 0;
  // forEach rather than for-of: no [key, value] pair is allocated per entry (a flush walks
  // hundreds of them).
  drained.players.forEach((player, userId) => {
    const namespace = player.namespace;
    player.goals.forEach((sum, goal) => {
      let delta = sum;
      if (sum > INT32_MAX) {
        delta = INT32_MAX;
        carry(userId, namespace, goal, sum - INT32_MAX);
      }
      out[i++] = {
        userId,
        goalId: goal.goalId,
        challengeId: goal.challengeId,
        namespace,
        delta,
        targetValue: goal.targetValue,
        isDaily: goal.daily,
      };
    });
  });
  return out;
}
