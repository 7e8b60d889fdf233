import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import type { PlayerEvent } from '../sut/events/player-event.ts';
import { runArrivals } from './arrival-runner.ts';
import { EventGenerator } from './event-generator.ts';
import { buildMix, DEFAULT_MIX_WEIGHTS } from './event-mix.ts';
import { combinePlans } from './executors/combined-plan.ts';
import { planConstantArrivalRate } from './executors/constant-arrival-rate.ts';
import { planRampingArrivalRate } from './executors/ramping-arrival-rate.ts';
import { Population } from './population.ts';
import { FakeClock } from './sim-clock.ts';
import type { EventSinkTarget, SinkStats } from './sinks/event-sink.ts';
import { MemorySink } from './sinks/memory-sink.ts';

const population = new Population(500, 42, 8);
const generator = new EventGenerator(population, buildMix(DEFAULT_MIX_WEIGHTS), 42, 'harness');
const constant = (rate: number, duration: string) =>
  planConstantArrivalRate({ executor: 'constant-arrival-rate', rate, duration });

/** A sink that takes `capacity` events, then refuses, and lets time pass on each offer. */
class SlowSink implements EventSinkTarget {
  readonly name = 'slow';
  taken = 0;
  constructor(
    private readonly clock: FakeClock,
    private readonly costMs: number,
    private readonly capacity = Infinity,
  ) {}
  offer(_e: PlayerEvent): boolean {
    this.clock.advance(this.costMs);
    if (this.taken >= this.capacity) return false;
    this.taken++;
    return true;
  }
  drain() {
    return Promise.resolve();
  }
  close() {
    return Promise.resolve();
  }
  stats(): SinkStats {
    return { delivered: this.taken, rejected: 0, failed: 0, requests: 0, errors: [] };
  }
}

describe('arrival runner (fake clock)', () => {
  it('sends every event at its intended time: achieved rate equals the target, no lag, none dropped', async () => {
    const clock = new FakeClock();
    const sink = new MemorySink(true);
    const stats = await runArrivals({
      plan: constant(1000, '10s'),
      generator,
      population,
      shard: { index: 0, count: 1 },
      sink,
      clock,
      dropAfterMs: 100,
    });
    expect(stats).toMatchObject({
      scheduled: 10_000,
      sent: 10_000,
      dropped: 0,
      elapsedMs: 10_000,
      targetRate: 1000,
      achievedRate: 1000,
    });
    expect(stats.lag.maxMs).toBeLessThanOrEqual(0.001);
    expect(sink.events[250]?.event.intendedAt).toBe(1_800_000_000_000 + 250);
    expect(stats.partitions.reduce((s, p) => s + p.sent, 0)).toBe(10_000);
  });

  it('a slow sink does not slow the schedule: lag is measured and late events are dropped, not delayed', async () => {
    const clock = new FakeClock();
    // Each offer costs 2 ms while events are due every 1 ms: the generator falls behind.
    const stats = await runArrivals({
      plan: constant(1000, '2s'),
      generator,
      population,
      shard: { index: 0, count: 1 },
      sink: new SlowSink(clock, 2),
      clock,
      dropAfterMs: 50,
    });
    expect(stats.scheduled).toBe(2000);
    expect(stats.sent + stats.dropped).toBe(2000);
    expect(stats.dropped).toBeGreaterThan(900);
    expect(stats.lag.maxMs).toBeLessThanOrEqual(50);
    expect(stats.lag.p99Ms).toBeGreaterThan(10);
    // The total is the partitions' histograms merged: every sent event once, the same figures.
    const total = hdr.decodeFromCompressedBase64(stats.lagHdr);
    const merged = hdr.build();
    for (const p of stats.partitions) merged.add(hdr.decodeFromCompressedBase64(p.lagHdr));
    expect(total.totalCount).toBe(stats.sent);
    expect(merged.totalCount).toBe(stats.sent);
    for (const q of [50, 90, 99, 100])
      expect(total.getValueAtPercentile(q)).toBe(merged.getValueAtPercentile(q));
    expect(total.getValueAtPercentile(99) / 1000).toBe(stats.lag.p99Ms);
    // One scenario: its lag is the total.
    expect(stats.scenarios[0]?.lagHdr).toBe(stats.lagHdr);
  });

  it('stopped early (abortOnFail), its rates divide by the time it ran, not the planned time', async () => {
    const clock = new FakeClock();
    const stop = new AbortController();
    const stats = await runArrivals({
      plan: constant(200, '60s'),
      generator,
      population,
      shard: { index: 0, count: 1 },
      sink: new MemorySink(true),
      clock,
      dropAfterMs: 100,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.elapsedMs >= 5000) stop.abort();
      },
    });
    expect(stats.elapsedMs).toBeGreaterThanOrEqual(5000);
    expect(stats.elapsedMs).toBeLessThan(6000);
    expect(stats.sent).toBeGreaterThanOrEqual(1000);
    expect(stats.sent).toBeLessThan(1200);
    // 200 events/s, as sent, and not a twelfth of it over the planned 60 s
    expect(stats.achievedRate).toBeCloseTo(200, -1);
    expect(stats.targetRate).toBeCloseTo(200, -1);
  });

  it('events the sink refuses are counted as dropped, per partition', async () => {
    const clock = new FakeClock();
    const stats = await runArrivals({
      plan: constant(100, '10s'),
      generator,
      population,
      shard: { index: 0, count: 1 },
      sink: new SlowSink(clock, 0, 600),
      clock,
      dropAfterMs: 1000,
    });
    expect(stats.sent).toBe(600);
    expect(stats.dropped).toBe(400);
    expect(stats.partitions.reduce((s, p) => s + p.dropped, 0)).toBe(400);
  });

  it('hands a lingering sink its events in groups one linger apart, none later than its linger would send it', async () => {
    const clock = new FakeClock();
    let sleeps = 0;
    const counted = {
      now: () => clock.now(),
      wallNow: () => clock.wallNow(),
      sleep: (ms: number) => {
        sleeps++;
        return clock.sleep(ms);
      },
    };
    /** Records when each event was handed over and when it was sent. */
    class LingeringSink extends MemorySink {
      readonly batching = { lingerMs: 5, maxBatch: 500 };
      readonly handedAt: number[] = [];
      readonly sentAt: number[] = [];
      private queued = 0;
      override offer(event: PlayerEvent, partition: number): boolean {
        this.handedAt.push(clock.now());
        this.queued++;
        return super.offer(event, partition);
      }
      sendQueued(): void {
        for (; this.queued > 0; this.queued--) this.sentAt.push(clock.now());
      }
    }
    const sink = new LingeringSink(true);
    const stats = await runArrivals({
      plan: constant(1000, '2s'),
      generator,
      population,
      shard: { index: 0, count: 1 },
      sink,
      clock: counted,
      dropAfterMs: 100,
    });
    expect(stats.sent).toBe(2000);
    expect(sink.sentAt).toEqual(sink.handedAt);
    // An event due every 1 ms, a group every 5-6 ms: one wake-up per group, not per event.
    expect(sleeps).toBeLessThan(2000 / 5);
    expect(sleeps).toBeGreaterThan(2000 / 7);
    sink.events.forEach(({ event }, i) => {
      const due = event.intendedAt - 1_800_000_000_000;
      expect(sink.handedAt[i]).toBeGreaterThanOrEqual(due);
      expect(sink.handedAt[i]).toBeLessThanOrEqual(due + 5);
    });
    // On time against the plan: each group handed over when its first event's linger ran out.
    expect(stats.lag.maxMs).toBeLessThanOrEqual(0.001);
  });

  it("measures lag from the planned hand-over, not from each event's due time", async () => {
    const clock = new FakeClock();
    // Each offer takes 0.5 ms, an event is due every 1 ms: a group of about six is handed over
    // when its first event's 5 ms linger runs out. Against their due times each group's first
    // event would be 5 ms late; against the plan the groups are on time.
    class SlowLingeringSink extends SlowSink {
      readonly batching = { lingerMs: 5, maxBatch: 500 };
      sendQueued(): void {
        // SlowSink keeps nothing to send
      }
    }
    const stats = await runArrivals({
      plan: constant(1000, '2s'),
      generator,
      population,
      shard: { index: 0, count: 1 },
      sink: new SlowLingeringSink(clock, 0.5),
      clock,
      dropAfterMs: 100,
    });
    expect(stats.dropped).toBe(0);
    expect(stats.sent).toBe(2000);
    // Events that fell due while a slow group was being handed over are late by that (2 ms).
    expect(stats.lag.p50Ms).toBeLessThan(1);
    expect(stats.lag.maxMs).toBeLessThan(5);
  });

  it('a group is handed over as soon as it would fill a batch, not after the whole linger', async () => {
    const clock = new FakeClock();
    const handedLate: number[] = [];
    class SmallBatchSink extends MemorySink {
      readonly batching = { lingerMs: 50, maxBatch: 4 };
      override offer(event: PlayerEvent, partition: number): boolean {
        handedLate.push(clock.now() - (event.intendedAt - 1_800_000_000_000));
        return super.offer(event, partition);
      }
      sendQueued(): void {
        // nothing queued: MemorySink keeps what it is offered
      }
    }
    await runArrivals({
      plan: constant(1000, '1s'),
      generator,
      population,
      shard: { index: 0, count: 1 },
      sink: new SmallBatchSink(),
      clock,
      dropAfterMs: 100,
    });
    // Four events fill a batch in 3 ms at 1,000 a second: none waits the 50 ms linger.
    expect(handedLate).toHaveLength(1000);
    expect(Math.max(...handedLate)).toBeLessThanOrEqual(3);
  });

  it("a plan of several scenarios: each sent event is in its scenario's lag once", async () => {
    const clock = new FakeClock();
    const plan = combinePlans([
      { name: 'warmup', plan: constant(500, '1s'), startMs: 0 },
      { name: 'steady', plan: constant(1000, '2s'), startMs: 1000 },
    ]);
    const stats = await runArrivals({
      plan,
      generator,
      population,
      shard: { index: 0, count: 1 },
      sink: new SlowSink(clock, 0.8),
      clock,
      dropAfterMs: 1000,
    });
    const counts = stats.scenarios.map(
      (sc) => hdr.decodeFromCompressedBase64(sc.lagHdr).totalCount,
    );
    expect(counts).toEqual(stats.scenarios.map((sc) => sc.sent));
    expect((counts[0] ?? 0) + (counts[1] ?? 0)).toBe(stats.sent);
    expect(stats.scenarios.map((sc) => sc.sent)).toEqual([500, 2000]);
  });

  it('follows a ramping plan', async () => {
    const clock = new FakeClock();
    const plan = planRampingArrivalRate({
      executor: 'ramping-arrival-rate',
      startRate: 100,
      stages: [{ duration: '5s', target: 500 }],
    });
    const stats = await runArrivals({
      plan,
      generator,
      population,
      shard: { index: 0, count: 1 },
      sink: new MemorySink(),
      clock,
      dropAfterMs: 100,
    });
    expect(stats.sent).toBe(1500);
    expect(stats.dropped).toBe(0);
  });
});

describe('event stream', () => {
  it("is the same for the same seed, and N shards together produce exactly one process's events", async () => {
    const one = new MemorySink(true);
    await runArrivals({
      plan: constant(2000, '3s'),
      generator,
      population,
      shard: { index: 0, count: 1 },
      sink: one,
      clock: new FakeClock(),
      dropAfterMs: 100,
    });
    const shards = await Promise.all(
      [0, 1, 2].map(async (index) => {
        const sink = new MemorySink(true);
        const stats = await runArrivals({
          plan: constant(2000, '3s'),
          generator,
          population,
          shard: { index, count: 3 },
          sink,
          clock: new FakeClock(),
          dropAfterMs: 100,
        });
        return { sink, stats };
      }),
    );
    const key = (e: { event: PlayerEvent; partition: number }) =>
      JSON.stringify([e.event, e.partition]);
    expect(shards.flatMap((s) => s.sink.events.map(key)).sort()).toEqual(
      one.events.map(key).sort(),
    );
    // Each shard owns a third of the players, and about a third of the rate.
    for (const { sink, stats } of shards) {
      expect(
        new Set(sink.events.map((e) => population.ids.indexOf(e.event.playerId) % 3)).size,
      ).toBe(1);
      expect(stats.sent / 6000).toBeGreaterThan(0.28);
      expect(stats.sent / 6000).toBeLessThan(0.39);
    }
  });

  it('mixes 20 % logins and 80 % stat updates across the five stat codes by default', async () => {
    const sink = new MemorySink(true);
    await runArrivals({
      plan: constant(10_000, '2s'),
      generator,
      population,
      shard: { index: 0, count: 1 },
      sink,
      clock: new FakeClock(),
      dropAfterMs: 100,
    });
    const logins = sink.events.filter((e) => e.event.type === 'login').length / sink.events.length;
    expect(logins).toBeGreaterThan(0.19);
    expect(logins).toBeLessThan(0.21);
    expect(new Set(sink.events.map((e) => e.event.statCode).filter(Boolean))).toEqual(
      new Set(['login_count', 'enemy_kills', 'games_played', 'headshots', 'wins']),
    );
  });

  it('a Zipf exponent makes a few players produce far more events', async () => {
    const skewed = new Population(1000, 42, 8, 1.2);
    const gen = new EventGenerator(skewed, buildMix(DEFAULT_MIX_WEIGHTS), 42, 'harness');
    const sink = new MemorySink(true);
    await runArrivals({
      plan: constant(10_000, '2s'),
      generator: gen,
      population: skewed,
      shard: { index: 0, count: 1 },
      sink,
      clock: new FakeClock(),
      dropAfterMs: 100,
    });
    const top = new Set(skewed.ids.slice(0, 10));
    const share = sink.events.filter((e) => top.has(e.event.playerId)).length / sink.events.length;
    expect(share).toBeGreaterThan(0.3); // 1 % of the players, over 30 % of the events
  });

  it("uses the seeder's player ids and partitions by FNV-1a of the id", async () => {
    const { generatePlayerIds } = await import('../sut/db/player-ids.ts');
    const { partitionOf } = await import('../sut/partitioning/fnv1a.ts');
    expect(population.ids).toEqual(generatePlayerIds(500, 42));
    const sink = new MemorySink(true);
    await runArrivals({
      plan: constant(100, '1s'),
      generator,
      population,
      shard: { index: 0, count: 1 },
      sink,
      clock: new FakeClock(),
      dropAfterMs: 100,
    });
    for (const { event, partition } of sink.events)
      expect(partition).toBe(partitionOf(event.playerId, 8));
  });
});
