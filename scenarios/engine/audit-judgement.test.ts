import { describe, expect, it } from 'vitest';
import { DELIVERY, DeliveryLedger, type Delivery } from '../../simulator/delivery-ledger.ts';
import { partitionOf } from '../../sut/partitioning/fnv1a.ts';
import { auditKey, judgeIncrements, type AuditRow, type LedgerEvent } from './audit-judgement.ts';
import { crashMembership } from './increment-audit.ts';

const row = (progress: number, extra: Partial<AuditRow> = {}): AuditRow => ({
  progress,
  movable: true,
  daily: false,
  countedToday: false,
  ...extra,
});

let nextId = 0;
function event(
  playerId: string,
  delta: number,
  state: Delivery = DELIVERY.acknowledged,
  crash: number | null = null,
  goals: readonly string[] = ['g'],
): LedgerEvent {
  return { index: nextId++, eventId: `e${nextId}`, playerId, delta, goals, state, crash };
}

function judge(
  events: LedgerEvent[],
  rows: Record<string, [number, number, Partial<AuditRow>?]>,
  crashes = 0,
  deadLetters: Record<string, number> = {},
) {
  const before = new Map<string, AuditRow>();
  const after = new Map<string, number>();
  for (const [player, [b, a, extra]] of Object.entries(rows)) {
    before.set(auditKey(player, 'g'), row(b, extra));
    after.set(auditKey(player, 'g'), a);
  }
  return judgeIncrements({
    events,
    before,
    after,
    deadLetters: new Map(Object.entries(deadLetters).map(([p, d]) => [auditKey(p, 'g'), d])),
    crashes: Array.from({ length: crashes }, () => ({ unwrittenReported: 0 })),
  });
}

describe('the audit judges every key on its own', () => {
  it('a crash window on one key does not hide a real loss on another (the aggregate subtraction did)', () => {
    // a: 100 acknowledged inside the crash window, all of them written after all.
    // b: 5 acknowledged long before the crash, missing from the table.
    const audit = judge(
      [event('a', 100, DELIVERY.acknowledged, 0), event('b', 5), event('b', 2)],
      { a: [10, 110], b: [0, 2] },
      1,
    );
    expect(audit.crashBound).toBe(100);
    expect(audit.lostAtCrash).toBe(0);
    expect(audit.lost).toBe(5);
    expect(audit.keysLost).toBe(1);
    expect(audit.examples.lost).toEqual([
      expect.objectContaining({ userId: 'b', goalId: 'g', low: 7, high: 7, after: 2, error: 5 }),
    ]);
    expect(audit.maxError.lost).toEqual({ absolute: 5, relative: 5 / 7 });
  });

  it("a key's loss inside its own window is the crash's; beyond it, a defect", () => {
    const audit = judge(
      [
        event('a', 3),
        event('a', 4, DELIVERY.acknowledged, 0),
        event('c', 6, DELIVERY.acknowledged, 0),
      ],
      // a: 7 acknowledged, 4 of them in the window, table +1: 6 short, 4 the crash's, 2 a defect.
      // c: 6 in the window, table +0: the crash's.
      { a: [0, 1], c: [5, 5] },
      1,
    );
    expect(audit).toMatchObject({ lostIncrements: 12, lostAtCrash: 10, lost: 2, keysLost: 1 });
    expect(audit.keysLostAtCrash).toBe(1);
    expect(audit.crashes[0]).toMatchObject({ window: 10, keys: 2, lost: 10, keysLost: 2 });
    expect(audit.examples.lost[0]).toMatchObject({ userId: 'a', inCrashWindow: 4, low: 3 });
  });

  it('overlapping crash windows: a key short is charged to the earliest window first', () => {
    const audit = judge(
      [event('a', 2, DELIVERY.acknowledged, 0), event('a', 5, DELIVERY.acknowledged, 1)],
      { a: [0, 0] },
      2,
    );
    expect(audit.lost).toBe(0);
    expect(audit.crashes.map((c) => c.lost)).toEqual([2, 5]);
  });

  it('an outcome the client could not know widens the upper bound only', () => {
    const events = [event('a', 3, DELIVERY.unknown), event('b', 3, DELIVERY.unknown)];
    const audit = judge(events, { a: [10, 10], b: [10, 13] });
    expect(audit).toMatchObject({ lost: 0, doubled: 0, indeterminate: 6 });
    const over = judge(events, { a: [10, 14], b: [10, 10] });
    expect(over).toMatchObject({ lost: 0, doubled: 1, keysDoubled: 1 });
    expect(over.maxError.doubled).toEqual({ absolute: 1, relative: 1 / 3 });
  });

  it('refused and unsent events count for nothing', () => {
    const audit = judge([event('a', 3, DELIVERY.refused), event('a', 3, DELIVERY.notSent)], {
      a: [1, 2],
    });
    expect(audit).toMatchObject({ doubled: 1, lost: 0 });
  });

  it('daily rows: one step at least, outside the window; untouchable rows exactly as they were', () => {
    const audit = judge(
      [event('d', 1, DELIVERY.acknowledged, 0), event('e', 1), event('u', 4)],
      {
        d: [0, 0, { daily: true }],
        e: [0, 0, { daily: true }],
        u: [7, 8, { movable: false }],
      },
      1,
    );
    expect(audit).toMatchObject({ lostAtCrash: 1, lost: 1, untouchableMoved: 1 });
    expect(audit.examples.untouchable?.[0]).toMatchObject({
      userId: 'u',
      low: 7,
      high: 7,
      error: 1,
    });
  });

  it('keeps the worst examples of each anomaly, largest error first', () => {
    const events = Array.from({ length: 8 }, (_, i) => event(`p${i}`, i + 1));
    const rows = Object.fromEntries(
      Array.from({ length: 8 }, (_, i): [string, [number, number]] => [`p${i}`, [0, 0]]),
    );
    const audit = judge(events, rows);
    expect(audit.examples.lost.map((x) => x.error)).toEqual([8, 7, 6, 5, 4]);
    expect(audit.maxError.lost).toEqual({ absolute: 8, relative: 1 });
  });
});

describe('crash windows from the ledger and the durable marks', () => {
  it('holds the events acknowledged at or after their partition mark, up to the kill', () => {
    let now = 1000;
    const ledger = new DeliveryLedger(6, () => now);
    const players = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
    // Two partitions; the mark of each is set so that only some events fall after it.
    const parts = players.map((p) => partitionOf(p, 2));
    for (let k = 0; k < 6; k++) {
      now = 1000 + k * 10; // acknowledged at 1000, 1010, ..., 1050
      ledger.sent(k);
      ledger.acknowledged([k]);
    }
    const marks = [1025, 1045];
    const membership = crashMembership(
      ledger,
      [{ unwrittenBefore: 0, ackFrom: 0, ackTo: 6, at: 1060, durableThrough: marks }],
      (k) => players[k] as string,
    );
    const expected = players
      .map((_, k) => k)
      .filter((k) => 1000 + k * 10 >= (marks[parts[k] as number] as number));
    expect([...membership.planned.keys()].sort()).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(6);
  });

  it('a second crash holds only what came after the first', () => {
    let now = 0;
    const ledger = new DeliveryLedger(4, () => now);
    for (let k = 0; k < 4; k++) {
      now = k * 10;
      ledger.sent(k);
      ledger.acknowledged([k]);
    }
    const membership = crashMembership(
      ledger,
      [
        { unwrittenBefore: 0, ackFrom: 0, ackTo: 2, at: 15 },
        { unwrittenBefore: 0, ackFrom: 2, ackTo: 4, at: 35, durableThrough: [25] },
      ],
      () => 'p',
    );
    expect([...membership.planned]).toEqual([
      [1, 0],
      [0, 0],
      [3, 1],
    ]);
  });
});
