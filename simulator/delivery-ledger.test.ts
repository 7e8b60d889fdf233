import { describe, expect, it } from 'vitest';
import { DELIVERY, DeliveryLedger } from './delivery-ledger.ts';

describe('DeliveryLedger.absorb', () => {
  it("takes in other processes' ledgers of the same plan: each event keeps the state its owner recorded", () => {
    const run = new DeliveryLedger(6);
    const first = new DeliveryLedger(6);
    first.sent(0);
    first.acknowledged([0]);
    first.sent(2);
    const second = new DeliveryLedger(6);
    second.sent(1);
    second.refused([1]);
    second.sent(3);
    second.acknowledged([3]);
    run.absorb(first.states);
    run.absorb(second.states);
    expect([...run.states]).toEqual([
      DELIVERY.acknowledged,
      DELIVERY.refused,
      DELIVERY.unknown,
      DELIVERY.acknowledged,
      DELIVERY.notSent,
      DELIVERY.notSent,
    ]);
    expect(run.count(DELIVERY.acknowledged)).toBe(2);
  });

  it('refuses a ledger of another length: not the same plan', () => {
    expect(() => {
      new DeliveryLedger(6).absorb(new Uint8Array(5));
    }).toThrow(/a ledger of 5 events cannot be merged into one of 6: not the same plan/);
  });
});
