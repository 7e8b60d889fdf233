export { auditKey } from './audit-judgement.ts';
export type { AuditExample, AuditRow, LedgerEvent } from './audit-judgement.ts';
import type pg from 'pg';
import { DELIVERY, type Delivery, type DeliveryLedger } from '../../simulator/delivery-ledger.ts';
import type { PlayerEvent } from '../../sut/events/player-event.ts';
import { partitionOf } from '../../sut/partitioning/fnv1a.ts';
import {
  auditKey,
  judgeIncrements,
  type AuditCounts,
  type AuditRow,
  type LedgerEvent,
} from './audit-judgement.ts';
import type { EventGenerator } from '../../simulator/event-generator.ts';
import type { GoalRouter } from '../../sut/catalogue/goal-router.ts';
import type { TargetTable } from '../../sut/db/target-table.ts';

/** A window in which the service was killed: what it held unwritten, and what it acknowledged after that was read. */
export interface CrashWindow {
  /** Increments (delta x goals) the service reported buffered or in flight just before the kill. */
  readonly unwrittenBefore: number;
  /** The ledger's acknowledgement marks around the kill: those acknowledged in between were buffered too. */
  readonly ackFrom: number;
  readonly ackTo: number;
  /** When the service was killed (epoch ms). */
  readonly at?: number;
  /**
   * Per partition, the service's durable-through mark read just before the kill (epoch ms):
   * every event it took in before is committed. Absent: nothing acknowledged since the
   * previous crash is known written.
   */
  readonly durableThrough?: readonly number[];
}

/** An event sent beside the load (a poison fault), with what became of it and when it was acknowledged. */
export interface InjectedEvent {
  readonly event: PlayerEvent;
  readonly delivery: Delivery;
  readonly acknowledgedAt?: number;
}

export interface AuditReport extends AuditCounts {
  readonly events: {
    readonly scheduled: number;
    readonly notSent: number;
    readonly unknown: number;
    readonly acknowledged: number;
    readonly refused: number;
  };
  /** What the audit cost: reading the table and replaying the events. */
  readonly durationMs: number;
}

/**
 * Which crash window holds each acknowledged event: acknowledged after the previous crash,
 * no later than this one's end, and at or after its partition's durable-through mark (an
 * event acknowledged before the mark was taken in before it too, so it is committed). An
 * acknowledgement comes after the service took the event in, so the window can only be
 * wider than what the service truly held, never narrower.
 */
export function crashMembership(
  ledger: DeliveryLedger,
  crashes: readonly CrashWindow[],
  playerOf: (index: number) => string,
  injected: readonly InjectedEvent[] = [],
): { planned: Map<number, number>; injected: Map<number, number> } {
  const planned = new Map<number, number>();
  const injectedIn = new Map<number, number>();
  const markOf = (c: CrashWindow, playerId: string): number => {
    const marks = c.durableThrough ?? [];
    return marks.length === 0
      ? Number.NEGATIVE_INFINITY
      : (marks[partitionOf(playerId, marks.length)] ?? Number.NEGATIVE_INFINITY);
  };
  let previousTo = 0;
  let previousAt = Number.NEGATIVE_INFINITY;
  crashes.forEach((c, n) => {
    const order = ledger.acknowledgedBetween(previousTo, c.ackTo);
    const times = ledger.acknowledgedTimesBetween(previousTo, c.ackTo);
    const marks = c.durableThrough ?? [];
    const earliest = marks.length === 0 ? Number.NEGATIVE_INFINITY : Math.min(...marks);
    for (let j = order.length - 1; j >= 0; j--) {
      const at = times[j] as number;
      if (at < earliest) break;
      const k = order[j] as number;
      if (at >= markOf(c, playerOf(k)) && !planned.has(k)) planned.set(k, n);
    }
    const killedAt = c.at ?? Number.POSITIVE_INFINITY;
    injected.forEach((x, i) => {
      const at = x.acknowledgedAt;
      if (x.delivery !== DELIVERY.acknowledged || at === undefined || injectedIn.has(i)) return;
      if (at > previousAt && at <= killedAt && at >= markOf(c, x.event.playerId))
        injectedIn.set(i, n);
    });
    previousTo = c.ackTo;
    previousAt = killedAt;
  });
  return { planned, injected: injectedIn };
}

/**
 * Every event of a run as the audit counts it: the planned ones replayed from the generator
 * (a pure function of the seed and their index, so they need not be kept), then the
 * injected ones, each with the crash window that holds it.
 */
export function* runLedgerEvents(input: {
  readonly ledger: DeliveryLedger;
  readonly generator: EventGenerator;
  readonly playerIds: readonly string[];
  readonly router: GoalRouter;
  readonly crashes: readonly CrashWindow[];
  readonly injected?: readonly InjectedEvent[];
  /** Over Kafka a killed service's events are read again from the log: no crash window. */
  readonly transport: 'http' | 'kafka';
}): Generator<LedgerEvent> {
  const { ledger, generator, playerIds, router } = input;
  const playerOf = (k: number) => playerIds[generator.playerAt(k)] as string;
  const membership =
    input.transport === 'http'
      ? crashMembership(ledger, input.crashes, playerOf, input.injected)
      : { planned: new Map<number, number>(), injected: new Map<number, number>() };
  const states = ledger.states;
  for (let k = 0; k < states.length; k++) {
    const state = states[k] as Delivery;
    const player = generator.playerAt(k);
    const event = generator.eventAt(k, player, 0);
    yield {
      index: k,
      eventId: event.eventId,
      playerId: playerIds[player] as string,
      delta: event.delta,
      goals: router.goalsFor(event).map((g) => g.goalId),
      state,
      crash: membership.planned.get(k) ?? null,
    };
  }
  let i = 0;
  for (const { event, delivery } of input.injected ?? [])
    yield {
      index: null,
      eventId: event.eventId,
      playerId: event.playerId,
      delta: event.delta,
      goals: router.goalsFor(event).map((g) => g.goalId),
      state: delivery,
      crash: membership.injected.get(i++) ?? null,
    };
}

/** The audit's event counts, from the ledger of the planned events. */
export function ledgerCounts(ledger: DeliveryLedger): AuditReport['events'] {
  return {
    scheduled: ledger.states.length,
    notSent: ledger.count(DELIVERY.notSent),
    unknown: ledger.count(DELIVERY.unknown),
    acknowledged: ledger.count(DELIVERY.acknowledged),
    refused: ledger.count(DELIVERY.refused),
  };
}

/** What the audit of a run takes in. */
export interface AuditInput {
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
  readonly injected?: readonly InjectedEvent[];
  readonly transport?: 'http' | 'kafka';
  /** When the load started (epoch ms): crash times are reported from it. */
  readonly loadStartedAt?: number;
}

/** What a run's audit judged, kept so that its ledger can be written after the summary. */
export interface AuditRecord {
  /** The events as the audit counted them (replayed on each call: they are not kept). */
  readonly events: () => Iterable<LedgerEvent>;
  readonly before: ReadonlyMap<string, AuditRow>;
  readonly after: ReadonlyMap<string, number>;
  readonly deadLetters: ReadonlyMap<string, number>;
  readonly crashes: readonly { readonly atSeconds?: number; readonly unwrittenReported: number }[];
  readonly loadStartedAt: number;
}

/** The audit's input as its ledger keeps it (docs/audit.md). */
export function auditRecordOf(input: AuditInput): AuditRecord {
  return {
    events: () => runLedgerEvents({ ...input, transport: input.transport ?? 'http' }),
    before: input.before,
    after: input.after,
    deadLetters: input.deadLetters,
    crashes: crashSummaries(input),
    loadStartedAt: input.loadStartedAt ?? 0,
  };
}

function crashSummaries(input: AuditInput): AuditRecord['crashes'] {
  return input.crashes.map((c) => ({
    unwrittenReported: c.unwrittenBefore,
    ...(c.at === undefined || input.loadStartedAt === undefined
      ? {}
      : { atSeconds: (c.at - input.loadStartedAt) / 1000 }),
  }));
}

/** The audit of a run: its events judged against the table, per key (see judgeIncrements). */
export function auditIncrements(input: AuditInput): Omit<AuditReport, 'durationMs'> {
  const counts = judgeIncrements({
    events: runLedgerEvents({ ...input, transport: input.transport ?? 'http' }),
    before: input.before,
    after: input.after,
    deadLetters: input.deadLetters,
    crashes: crashSummaries(input),
  });
  return { events: ledgerCounts(input.ledger), ...counts };
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
    out.set(auditKey(userId, goalId), {
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
  return new Map(rows.map(([userId, goalId, progress]) => [auditKey(userId, goalId), progress]));
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
  return new Map(rows.map(([userId, goalId, delta]) => [auditKey(userId, goalId), Number(delta)]));
}
