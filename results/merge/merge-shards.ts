import * as hdr from 'hdr-histogram-js';
import { UsageError } from '../../lib/errors.ts';
import type { SimulateResult } from '../schema/result-schema.ts';

/** A simulate result and where it was read from: the name every refusal uses. */
export interface ShardFile {
  readonly path: string;
  readonly result: SimulateResult;
}

/**
 * What every shard of one plan shares: the same seed, population, partitions, arrival
 * executor, mix and lateness rule, and the same count N. A shard differs only in its index.
 */
export const PLAN_FIELDS = [
  'seed',
  'players',
  'partitions',
  'executor',
  'skew',
  'mix',
  'namespace',
  'dropAfterMs',
  'sink',
] as const;

interface Shard {
  readonly index: number;
  readonly count: number;
}

function shardOf(file: ShardFile): Shard {
  const shard = file.result.config.shard as Partial<Shard> | undefined;
  if (
    shard === undefined ||
    !Number.isInteger(shard.index) ||
    !Number.isInteger(shard.count) ||
    (shard.count as number) < 1
  )
    throw new UsageError(`${file.path}: its config names no shard (harness simulate --shard i/N)`);
  return { index: shard.index as number, count: shard.count as number };
}

/** JSON with object keys sorted: the same mix written in another key order is the same plan. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return value === undefined ? 'undefined' : JSON.stringify(value);
}
const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/**
 * Checks that the files are the N shards of one plan, each once, and nothing else: the
 * refusal names the file and the field, or the shard missing or given twice.
 */
export function checkShards(files: readonly ShardFile[]): number {
  const first = files[0];
  if (first === undefined) throw new UsageError("results merge needs the shards' result files");
  const count = shardOf(first).count;
  const seen = new Map<number, string>();
  for (const f of files) {
    const shard = shardOf(f);
    if (shard.index < 0 || shard.index >= shard.count)
      throw new UsageError(
        `${f.path} claims shard ${shard.index}/${shard.count}: a shard index runs from 0 to ${shard.count - 1}`,
      );
    if (shard.count !== count)
      throw new UsageError(
        `${f.path} is shard ${shard.index}/${shard.count}, of a plan split ${shard.count} ways, not ${count} as ${first.path}`,
      );
    for (const field of PLAN_FIELDS)
      if (!same(f.result.config[field], first.result.config[field]))
        throw new UsageError(
          `${f.path} is a shard of another plan: its ${field} is ${JSON.stringify(f.result.config[field])}, not ${JSON.stringify(first.result.config[field])} as in ${first.path}`,
        );
    const earlier = seen.get(shard.index);
    if (earlier !== undefined)
      throw new UsageError(
        `shard ${shard.index}/${count} is given twice: ${earlier} and ${f.path}`,
      );
    seen.set(shard.index, f.path);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0)
    throw new UsageError(
      `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing: results merge needs all ${count} shards of the plan`,
    );
  return count;
}

/** Adds compressed HdrHistograms: exact, bucket by bucket, as one recorder fed every value. */
export function mergeHistograms(encoded: readonly string[]): hdr.Histogram {
  const out = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  for (const e of encoded) {
    const h = hdr.decodeFromCompressedBase64(e);
    out.add(h);
    h.destroy();
  }
  return out;
}

const ms = (h: hdr.Histogram, percentile: number) =>
  h.totalCount === 0 ? 0 : h.getValueAtPercentile(percentile) / 1000;

/**
 * One result from the shards of one plan: counts summed, schedule-lag histograms added (so
 * every percentile is the one a single recorder of all events would give), per partition and
 * per scenario likewise. The rate achieved is all events sent over the longest shard's time.
 */
export function mergeShards(files: readonly ShardFile[], createdAt: Date): SimulateResult {
  checkShards(files);
  const results = files.map((f) => f.result);
  const first = results[0] as SimulateResult;
  const sum = (pick: (r: SimulateResult) => number) => results.reduce((n, r) => n + pick(r), 0);
  const lag = mergeHistograms(results.map((r) => r.metrics.lagHdr));
  const elapsedMs = Math.max(...results.map((r) => r.metrics.elapsedMs));
  const sent = sum((r) => r.metrics.sent);
  const partitionIds = [
    ...new Set(results.flatMap((r) => r.metrics.partitions.map((p) => p.partition))),
  ].sort((a, b) => a - b);
  const partitions = partitionIds.map((partition) => {
    const parts = results.flatMap((r) =>
      r.metrics.partitions.filter((p) => p.partition === partition),
    );
    const hdrs = parts.map((p) => p.lagHdr);
    const all = hdrs.every((h): h is string => h !== undefined);
    const merged = all ? mergeHistograms(hdrs) : undefined;
    const out = {
      partition,
      sent: parts.reduce((n, p) => n + p.sent, 0),
      dropped: parts.reduce((n, p) => n + p.dropped, 0),
      lagP50Ms: merged === undefined ? Math.max(...parts.map((p) => p.lagP50Ms)) : ms(merged, 50),
      lagP99Ms: merged === undefined ? Math.max(...parts.map((p) => p.lagP99Ms)) : ms(merged, 99),
      lagMaxMs: Math.max(...parts.map((p) => p.lagMaxMs)),
      ...(merged === undefined ? {} : { lagHdr: hdr.encodeIntoCompressedBase64(merged) }),
    };
    merged?.destroy();
    return out;
  });
  const scenarioNames = [
    ...new Set(results.flatMap((r) => (r.metrics.scenarios ?? []).map((s) => s.name))),
  ];
  const scenarios = scenarioNames.map((name) => {
    const parts = results.flatMap((r) =>
      (r.metrics.scenarios ?? []).filter((s) => s.name === name),
    );
    const merged = mergeHistograms(parts.map((s) => s.lagHdr));
    const out = {
      name,
      scheduled: parts.reduce((n, s) => n + s.scheduled, 0),
      sent: parts.reduce((n, s) => n + s.sent, 0),
      dropped: parts.reduce((n, s) => n + s.dropped, 0),
      lagHdr: hdr.encodeIntoCompressedBase64(merged),
    };
    merged.destroy();
    return out;
  });
  const kafkaPartitions = results.map((r) => r.metrics.sink.partitions);
  const sinkPartitions = kafkaPartitions.every((p): p is number[] => p !== undefined)
    ? Array.from({ length: Math.max(...kafkaPartitions.map((p) => p.length)) }, (_, i) =>
        kafkaPartitions.reduce((n, p) => n + (p[i] ?? 0), 0),
      )
    : undefined;
  const merged: SimulateResult = {
    ...first,
    createdAt: createdAt.toISOString(),
    name: 'simulate-merged',
    config: {
      ...first.config,
      shard: { index: 0, count: 1 },
      mergedFrom: files.map((f, i) => ({
        path: f.path,
        shard: results[i]?.config.shard,
        commit: results[i]?.git.commit,
      })),
    },
    metrics: {
      scheduled: sum((r) => r.metrics.scheduled),
      sent,
      dropped: sum((r) => r.metrics.dropped),
      elapsedMs,
      targetRate: sum((r) => r.metrics.targetRate),
      achievedRate: elapsedMs > 0 ? sent / (elapsedMs / 1000) : 0,
      lag: {
        p50Ms: ms(lag, 50),
        p90Ms: ms(lag, 90),
        p99Ms: ms(lag, 99),
        maxMs: lag.maxValue / 1000,
      },
      lagHdr: hdr.encodeIntoCompressedBase64(lag),
      partitions,
      ...(scenarios.length > 0 ? { scenarios } : {}),
      sink: {
        name: first.metrics.sink.name,
        delivered: sum((r) => r.metrics.sink.delivered),
        rejected: sum((r) => r.metrics.sink.rejected),
        failed: sum((r) => r.metrics.sink.failed),
        requests: sum((r) => r.metrics.sink.requests),
        errors: [...new Set(results.flatMap((r) => r.metrics.sink.errors))].slice(0, 20),
        ...(sinkPartitions === undefined ? {} : { partitions: sinkPartitions }),
      },
    },
  };
  lag.destroy();
  return merged;
}
