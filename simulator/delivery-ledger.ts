/** What became of one scheduled event, as far as the load generator can know. */
export const DELIVERY = {
  /** Never handed to the target: dropped as late, refused by a full queue, or the run ended first. */
  notSent: 0,
  /** Sent, with no answer that says it was taken: a failed request, a cut connection, a partial answer. */
  unknown: 1,
  /** The target said it took it: the service answered for the whole request, or the broker acknowledged it. */
  acknowledged: 2,
  /** The target said it did not take it (a 400 or 413 for the whole request): certainly not applied. */
  refused: 3,
} as const;
export type Delivery = (typeof DELIVERY)[keyof typeof DELIVERY];

/**
 * Per event index of a run, what became of it: the input of the audit, which bounds what the
 * table may hold by the acknowledged events (at least) and the sent ones (at most), as
 * Jepsen's counter checker does. One byte per event, plus the order of acknowledgements, so
 * the acknowledgements that came in a window (before a crash) can be named.
 */
export class DeliveryLedger {
  readonly states: Uint8Array;
  private readonly ackOrder: Int32Array;
  /** When each acknowledgement came (epoch ms, by its place in the order). */
  private readonly ackTimes: Float64Array;
  private acks = 0;

  constructor(
    readonly events: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.states = new Uint8Array(events);
    this.ackOrder = new Int32Array(events);
    this.ackTimes = new Float64Array(events);
  }

  /** The event went out (or is queued to): unknown until the target answers. */
  sent(index: number): void {
    this.states[index] = DELIVERY.unknown;
  }

  acknowledged(indices: readonly number[]): void {
    const now = this.clock();
    for (const i of indices) {
      if (this.states[i] === DELIVERY.acknowledged) continue;
      this.states[i] = DELIVERY.acknowledged;
      this.ackTimes[this.acks] = now;
      this.ackOrder[this.acks++] = i;
    }
  }

  refused(indices: readonly number[]): void {
    for (const i of indices) this.states[i] = DELIVERY.refused;
  }

  /** How many acknowledgements so far: a mark to take the ones after it later. */
  get acknowledgedCount(): number {
    return this.acks;
  }

  /** The events acknowledged between two marks, in the order they were. */
  acknowledgedBetween(from: number, to: number): Int32Array {
    return this.ackOrder.subarray(from, to);
  }

  /** When the acknowledgements between two marks came (epoch ms), in the same order. */
  acknowledgedTimesBetween(from: number, to: number): Float64Array {
    return this.ackTimes.subarray(from, to);
  }

  /**
   * Takes in another process's ledger of the same plan (a generator of `run --generators N`,
   * whose shard owns some of the events): every event it sent keeps the state it recorded.
   * Its acknowledgements' order stays with it, so crash windows cannot be read from the merge.
   */
  absorb(states: Uint8Array): void {
    if (states.length !== this.states.length)
      throw new Error(
        `a ledger of ${states.length} events cannot be merged into one of ${this.states.length}: not the same plan`,
      );
    for (let i = 0; i < states.length; i++) {
      const s = states[i] as number;
      if (s !== DELIVERY.notSent) this.states[i] = s;
    }
  }

  count(state: Delivery): number {
    let n = 0;
    for (const s of this.states) if (s === state) n++;
    return n;
  }
}
