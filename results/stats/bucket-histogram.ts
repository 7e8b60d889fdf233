import type { PromSample } from './prometheus-text.ts';

/**
 * A Prometheus histogram kept whole in a results file: its upper bounds and, per partition,
 * the count in each bucket (not cumulative; the last count is the +Inf bucket), for the
 * report's flush-size distributions. What a run reports is read from the service's exact
 * histograms instead (`metrics.latency`); these stay as Prometheus saw them.
 */
export interface BucketHistogram {
  readonly unit: string;
  /** Finite upper bounds, ascending, in `unit`. */
  readonly bounds: readonly number[];
  readonly partitions: readonly {
    readonly partition: number;
    readonly counts: readonly number[];
  }[];
}

/** Reads histogram `name` from scraped samples, one row per `partition` label, scaled to `unit`. */
export function bucketHistogram(
  samples: readonly PromSample[],
  name: string,
  unit: string,
  scale: number,
): BucketHistogram {
  const cumulative = new Map<number, Map<number, number>>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket`) continue;
    const partition = Number(s.labels.partition ?? 0);
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    const row = cumulative.get(partition) ?? new Map<number, number>();
    row.set(le, (row.get(le) ?? 0) + s.value);
    cumulative.set(partition, row);
  }
  const finite = [
    ...new Set([...cumulative.values()].flatMap((row) => [...row.keys()]).filter(Number.isFinite)),
  ].sort((a, b) => a - b);
  const partitions = [...cumulative.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([partition, row]) => {
      const counts: number[] = [];
      let previous = 0;
      for (const le of [...finite, Infinity]) {
        const c = row.get(le) ?? previous;
        counts.push(Math.max(0, c - previous));
        previous = c;
      }
      return { partition, counts };
    });
  return { unit, bounds: finite.map((b) => roundScaled(b * scale)), partitions };
}

function roundScaled(value: number): number {
  return Number(value.toPrecision(12));
}

/** Bucket counts summed over partitions. */
export function totalCounts(histogram: BucketHistogram): number[] {
  const totals = new Array<number>(histogram.bounds.length + 1).fill(0);
  for (const p of histogram.partitions)
    p.counts.forEach((c, i) => (totals[i] = (totals[i] ?? 0) + c));
  return totals;
}
