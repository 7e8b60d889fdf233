/**
 * The clock the flush workers' interval flushes run on. Each worker keeps a fixed grid of
 * ticks (start + phase + k * interval), as a Go `time.Ticker` does, so partitions started
 * together flush on the same tick for the whole run instead of drifting apart by each
 * timer's lateness. The workers due on one tick share one timer: the process wakes once per
 * tick, not once per partition.
 */
export class FlushTicker {
  /** Callbacks by the tick they wait for. */
  private readonly waiting = new Map<number, Set<() => void>>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Calls `fire` at `due` (clock time, ms). Returns a cancel that stops the call. */
  at(due: number, fire: () => void): () => void {
    let callbacks = this.waiting.get(due);
    if (callbacks === undefined) this.waiting.set(due, (callbacks = new Set()));
    callbacks.add(fire);
    if (due < this.armedFor) this.arm(due);
    return () => {
      const set = this.waiting.get(due);
      if (set === undefined) return;
      set.delete(fire);
      if (set.size === 0) this.waiting.delete(due);
      if (this.waiting.size === 0) this.disarm();
    };
  }

  private arm(due: number): void {
    this.disarm();
    this.armedFor = due;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.armedFor = Number.POSITIVE_INFINITY;
        this.fireDue();
      },
      Math.max(0, due - this.clock()),
    );
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
  }

  private fireDue(): void {
    // Node sets a timer against its loop's cached time, which can trail the clock by a
    // millisecond: a tick that close is due now, not worth a wake-up of its own.
    const now = this.clock() + 1;
    const due = [...this.waiting.keys()].filter((t) => t <= now).sort((a, b) => a - b);
    const fire: (() => void)[] = [];
    for (const t of due) {
      fire.push(...(this.waiting.get(t) ?? []));
      this.waiting.delete(t);
    }
    let next = Number.POSITIVE_INFINITY;
    for (const t of this.waiting.keys()) next = Math.min(next, t);
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
    for (const f of fire) f();
  }
}

/** The first tick of the grid through `tick` (every `intervalMs`) that falls after `now`. */
export function tickAfter(tick: number, intervalMs: number, now: number): number {
  return now < tick ? tick : tick + (Math.floor((now - tick) / intervalMs) + 1) * intervalMs;
}
