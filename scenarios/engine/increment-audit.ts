import type pg from 'pg';
import { DELIVERY, type Delivery, type DeliveryLedger } from '../../simulator/delivery-ledger.ts';
import type { PlayerEvent } from '../../sut/events/player-event.ts';
import type { EventGenerator } from '../../simulator/event-generator.ts';
import type { GoalRouter } from '../../sut/catalogue/goal-router.ts';
import type { TargetTable } from '../../sut/db/target-table.ts';

/** One row as the audit needs it, before and after a run. */
export interface AuditRow {
  readonly progress: number;
  /** Active and not claimed: the only rows an increment may move. */
  readonly movable: boolean;
  readonly daily: boolean;
  /** Daily rows: already counted on the run's UTC day when it started (no increment may land). */
  readonly countedToday: boolean;
}

/** A window in which the service was killed: what it held unwritten, and what it acknowledged after that was read. */
export interface CrashWindow {
  /** Increments (delta x goals) the service reported buffered or in flight just before the kill. */
  readonly unwrittenBefore: number;
  /** The ledger's acknowledgement marks around the kill: those acknowledged in between were buffered too. */
  readonly ackFrom: number;
  readonly ackTo: number;
}

export interface AuditExample {
  readonly userId: string;
  readonly goalId: string;
  readonly before: number;
  readonly after: number;
  readonly acknowledged: number;
  readonly sent: number;
  /** The bounds the row had to fall within: at least `low`, at most `high`. */
  readonly low: number;
  readonly high: number;
}

export interface AuditReport {
  readonly events: {
    readonly scheduled: number;
    readonly notSent: number;
    readonly unknown: number;
    readonly acknowledged: number;
    readonly refused: number;
  };
  readonly rowsChecked: number;
  /** Sum over rows of what is missing below the acknowledged increments (minus dead letters). */
  readonly lostIncrements: number;
  /** The part of the loss the crash windows account for (the in-memory buffer's known window). */
  readonly lostAtCrash: number;
  /** Loss beyond what the crash windows can explain: a defect. */
  readonly lost: number;
  /** Sum over rows of what is there beyond every increment sent: applied twice. */
  readonly doubled: number;
  /** Rows that must never move (inactive, claimed, daily already counted today) and did. */
  readonly untouchableMoved: number;
  /** Increments the database refused, set aside in dead_letters (not counted as lost). */
  readonly deadLettered: number;
  /** The most the crash windows can have lost. */
  readonly crashBound: number;
  readonly keysLost: number;
  readonly keysDoubled: number;
  readonly examples: { readonly lost: AuditExample[]; readonly doubled: AuditExample[] };
  /** What the audit cost: reading the table and replaying the events. */
  readonly durationMs: number;
}

const EXAMPLES = 5;
const key = (userId: string, goalId: string) => `${userId}\u0001${goalId}`;

/**
 * Jepsen's counter check, per (player, goal): the table must hold at least the seeded value
 * plus every acknowledged increment (less any the database refused and set aside), and at
 * most the seeded value plus every increment sent. Events are a pure function of the seed and
 * their index, so they are replayed here from the ledger rather than kept. Daily goals count
 * once per UTC day, so for them the bounds are: unchanged when already counted today,
 * otherwise at least one acknowledged step and at most every increment sent.
 */
export function auditIncrements(input: {
  readonly ledger: DeliveryLedger;
  readonly generator: EventGenerator;
  readonly playerIds: readonly string[];
  readonly router: GoalRouter;
  readonly before: ReadonlyMap<string, AuditRow>;
  readonly after: ReadonlyMap<string, number>;
  /** Deltas set aside in dead_letters during the run, by key (rowKey of auditKey). */
  readonly deadLetters: ReadonlyMap<string, number>;
  readonly crashes: readonly CrashWindow[];
  /** Events sent beside the load (poison faults), with what became of them. */
  readonly injected?: readonly { readonly event: PlayerEvent; readonly delivery: Delivery }[];
}): Omit<AuditReport, 'durationMs'> {
  const { ledger, generator, playerIds, router } = input;
  const acknowledged = new Map<string, number>();
  const sent = new Map<string, number>();
  const eventUnits = (k: number): number => {
    const event = generator.eventAt(k, generator.playerAt(k), 0);
    return event.delta * router.goalsFor(event).length;
  };
  const states = ledger.states;
  for (let k = 0; k < states.length; k++) {
    const state = states[k];
    if (state !== DELIVERY.acknowledged && state !== DELIVERY.unknown) continue;
    const player = generator.playerAt(k);
    const event = generator.eventAt(k, player, 0);
    const playerId = playerIds[player] as string;
    for (const goal of router.goalsFor(event)) {
      const id = key(playerId, goal.goalId);
      sent.set(id, (sent.get(id) ?? 0) + event.delta);
      if (state === DELIVERY.acknowledged)
        acknowledged.set(id, (acknowledged.get(id) ?? 0) + event.delta);
    }
  }
  for (const { event, delivery } of input.injected ?? []) {
    if (delivery !== DELIVERY.acknowledged && delivery !== DELIVERY.unknown) continue;
    for (const goal of router.goalsFor(event)) {
      const id = key(event.playerId, goal.goalId);
      sent.set(id, (sent.get(id) ?? 0) + event.delta);
      if (delivery === DELIVERY.acknowledged)
        acknowledged.set(id, (acknowledged.get(id) ?? 0) + event.delta);
    }
  }
  let lostIncrements = 0;
  let doubled = 0;
  let untouchableMoved = 0;
  let keysLost = 0;
  let keysDoubled = 0;
  let deadLettered = 0;
  const examples = { lost: [] as AuditExample[], doubled: [] as AuditExample[] };
  for (const [id, row] of input.before) {
    const after = input.after.get(id);
    if (after === undefined) continue;
    const ack = acknowledged.get(id) ?? 0;
    const all = sent.get(id) ?? 0;
    const setAside = input.deadLetters.get(id) ?? 0;
    deadLettered += setAside;
    let low: number;
    let high: number;
    if (!row.movable || (row.daily && row.countedToday)) {
      low = high = row.progress;
      if (after !== row.progress) untouchableMoved++;
    } else if (row.daily) {
      low = row.progress + (ack - setAside > 0 ? 1 : 0);
      high = row.progress + all;
    } else {
      low = row.progress + Math.max(0, ack - setAside);
      high = row.progress + all;
    }
    const [userId = '', goalId = ''] = id.split('\u0001');
    const example = {
      userId,
      goalId,
      before: row.progress,
      after,
      acknowledged: ack,
      sent: all,
      low,
      high,
    };
    if (after < low) {
      lostIncrements += low - after;
      keysLost++;
      if (examples.lost.length < EXAMPLES) examples.lost.push(example);
    } else if (after > high) {
      doubled += after - high;
      keysDoubled++;
      if (examples.doubled.length < EXAMPLES) examples.doubled.push(example);
    }
  }
  let crashBound = 0;
  for (const crash of input.crashes) {
    crashBound += crash.unwrittenBefore;
    for (const k of ledger.acknowledgedBetween(crash.ackFrom, crash.ackTo))
      crashBound += eventUnits(k);
  }
  const lostAtCrash = Math.min(lostIncrements, crashBound);
  return {
    events: {
      scheduled: states.length,
      notSent: ledger.count(DELIVERY.notSent),
      unknown: ledger.count(DELIVERY.unknown),
      acknowledged: ledger.count(DELIVERY.acknowledged),
      refused: ledger.count(DELIVERY.refused),
    },
    rowsChecked: input.before.size,
    lostIncrements,
    lostAtCrash,
    lost: lostIncrements - lostAtCrash,
    doubled,
    untouchableMoved,
    deadLettered,
    crashBound,
    keysLost,
    keysDoubled,
    examples,
  };
}

/** The key the audit uses for a row. */
export function auditKey(userId: string, goalId: string): string {
  return key(userId, goalId);
}

/** Every row of the table as the audit needs it, in one read. */
export async function readAuditRows(
  client: pg.ClientBase,
  table: TargetTable,
  dailyGoals: ReadonlySet<string>,
): Promise<Map<string, AuditRow>> {
  const { rows } = await client.query<[string, string, number, boolean, boolean]>({
    text: `SELECT user_id, goal_id, progress, is_active AND status <> 'claimed',
                  (updated_at AT TIME ZONE 'UTC')::date = (now() AT TIME ZONE 'UTC')::date
             FROM ${table.sql}`,
    rowMode: 'array',
  });
  const out = new Map<string, AuditRow>();
  for (const [userId, goalId, progress, movable, today] of rows)
    out.set(key(userId, goalId), {
      progress,
      movable,
      daily: dailyGoals.has(goalId),
      countedToday: today,
    });
  return out;
}

/** Progress of every row after the run. */
export async function readProgress(
  client: pg.ClientBase,
  table: TargetTable,
): Promise<Map<string, number>> {
  const { rows } = await client.query<[string, string, number]>({
    text: `SELECT user_id, goal_id, progress FROM ${table.sql}`,
    rowMode: 'array',
  });
  return new Map(rows.map(([userId, goalId, progress]) => [key(userId, goalId), progress]));
}

/** What the database set aside in dead_letters since `since`, by key. */
export async function readDeadLetters(
  client: pg.ClientBase,
  since: Date,
): Promise<Map<string, number>> {
  const { rows } = await client.query<[string, string, string]>({
    text: `SELECT user_id, goal_id, sum(delta)::text FROM dead_letters WHERE created_at >= $1 GROUP BY 1, 2`,
    values: [since],
    rowMode: 'array',
  });
  return new Map(rows.map(([userId, goalId, delta]) => [key(userId, goalId), Number(delta)]));
}
