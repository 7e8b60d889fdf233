import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SIMULATION, simulate } from '../../simulator/simulation.ts';
import { FakeClock } from '../../simulator/sim-clock.ts';
import { MemorySink } from '../../simulator/sinks/memory-sink.ts';
import {
  SCHEMA_VERSION,
  simulateResultSchema,
  type SimulateResult,
} from '../schema/result-schema.ts';
import { mergeShards, type ShardFile } from './merge-shards.ts';

const executor = { executor: 'constant-arrival-rate' as const, rate: 3000, duration: '4s' };

/** One generator's run, as `harness simulate --shard index/count --sink memory` saves it. */
async function shard(index: number, count: number, seed = 42) {
  const config = { ...DEFAULT_SIMULATION, players: 2000, seed, shard: { index, count }, executor };
  const sink = new MemorySink(true);
  const stats = await simulate(config, sink, { clock: new FakeClock() });
  const result: SimulateResult = simulateResultSchema.parse({
    schemaVersion: SCHEMA_VERSION,
    kind: 'simulate',
    name: 'simulate',
    createdAt: new Date(0).toISOString(),
    git: { commit: 'abc', branch: 'main', dirty: false },
    env: null,
    config: { ...config, sink: 'memory' },
    metrics: { ...stats, sink: { name: sink.name, ...sink.stats(), errors: [] } },
    thresholds: [],
    verdict: null,
  });
  return { file: { path: `shard-${index}-of-${count}.json`, result } as ShardFile, sink };
}

const perPlayer = (sinks: readonly MemorySink[]) => {
  const counts = new Map<string, number>();
  for (const s of sinks)
    for (const e of s.events) counts.set(e.event.playerId, (counts.get(e.event.playerId) ?? 0) + 1);
  return counts;
};

describe('results merge: the shards of one plan as one result', () => {
  it.each([1, 2, 4])(
    '%i generators give exactly the events of one process, per partition and per player',
    async (n) => {
      const one = await shard(0, 1);
      const parts = await Promise.all(Array.from({ length: n }, (_, i) => shard(i, n)));
      const merged = mergeShards(
        parts.map((p) => p.file),
        new Date(),
      );
      expect(merged.metrics.scheduled).toBe(one.file.result.metrics.scheduled);
      expect(merged.metrics.sent).toBe(one.file.result.metrics.sent);
      expect(merged.metrics.partitions.map((p) => [p.partition, p.sent])).toEqual(
        one.file.result.metrics.partitions.map((p) => [p.partition, p.sent]),
      );
      expect(perPlayer(parts.map((p) => p.sink))).toEqual(perPlayer([one.sink]));
      expect(merged.metrics.sink.delivered).toBe(one.file.result.metrics.sink.delivered);
      expect(merged.config.shard).toEqual({ index: 0, count: 1 });
      expect(merged.config.mergedFrom).toHaveLength(n);
      // The merged file is a valid simulate result that later commands read.
      expect(() => simulateResultSchema.parse(merged)).not.toThrow();
    },
  );

  it('gives the percentiles a single recorder of every value gives', async () => {
    const [a, b, c] = await Promise.all([shard(0, 3), shard(1, 3), shard(2, 3)]);
    // Known lag values, split unevenly over the shards.
    const values = Array.from({ length: 3000 }, (_, i) => 50 + ((i * 7919) % 40_000));
    const options = {
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3 as const,
    };
    const single = hdr.build(options);
    const own = [0, 1, 2].map(() => hdr.build(options));
    values.forEach((v, i) => {
      single.recordValue(v);
      own[i % 7 === 0 ? 0 : i % 2 === 0 ? 1 : 2]?.recordValue(v);
    });
    const files = [a, b, c].map((s, i) => ({
      ...s.file,
      result: {
        ...s.file.result,
        metrics: {
          ...s.file.result.metrics,
          lagHdr: hdr.encodeIntoCompressedBase64(own[i] as hdr.Histogram),
        },
      },
    }));
    const merged = mergeShards(files, new Date());
    for (const [p, key] of [
      [50, 'p50Ms'],
      [90, 'p90Ms'],
      [99, 'p99Ms'],
    ] as const)
      expect(merged.metrics.lag[key]).toBe(single.getValueAtPercentile(p) / 1000);
    // The largest value comes back as its bucket's top: within HdrHistogram's 3 digits.
    expect(Math.abs(merged.metrics.lag.maxMs * 1000 - single.maxValue)).toBeLessThanOrEqual(
      single.maxValue / 1000,
    );
  });

  it('refuses a missing shard, a shard given twice and a shard of another plan, naming it', async () => {
    const [a, b, c] = await Promise.all([shard(0, 3), shard(1, 3), shard(2, 3)]);
    const other = await shard(2, 3, 7);
    const half = await shard(1, 2);
    expect(() => mergeShards([a.file, c.file], new Date())).toThrow(
      /shard 1\/3 is missing: results merge needs all 3 shards/,
    );
    expect(() => mergeShards([a.file, b.file, b.file, c.file], new Date())).toThrow(
      'shard 1/3 is given twice: shard-1-of-3.json and shard-1-of-3.json',
    );
    expect(() =>
      mergeShards([a.file, b.file, { ...other.file, path: 'seven.json' }], new Date()),
    ).toThrow(
      'seven.json is a shard of another plan: its seed is 7, not 42 as in shard-0-of-3.json',
    );
    expect(() => mergeShards([a.file, half.file], new Date())).toThrow(
      /shard-1-of-2.json is shard 1\/2, of a plan split 2 ways, not 3/,
    );
    expect(() => mergeShards([], new Date())).toThrow(/needs the shards/);
    const beyond = {
      ...c.file,
      path: 'beyond.json',
      result: {
        ...c.file.result,
        config: { ...c.file.result.config, shard: { index: 3, count: 3 } },
      },
    };
    expect(() => mergeShards([a.file, b.file, c.file, beyond], new Date())).toThrow(
      'beyond.json claims shard 3/3: a shard index runs from 0 to 2',
    );
    // The same mix written in another key order is the same plan.
    const mix = c.file.result.config.mix as Record<string, number>;
    const reordered = Object.fromEntries(Object.entries(mix).reverse());
    const sameMix = {
      ...c.file,
      result: { ...c.file.result, config: { ...c.file.result.config, mix: reordered } },
    };
    expect(mergeShards([a.file, b.file, sameMix], new Date()).metrics.sent).toBe(
      a.file.result.metrics.sent + b.file.result.metrics.sent + c.file.result.metrics.sent,
    );
  });
});
