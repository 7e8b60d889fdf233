/** One sample line of the Prometheus text format. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text exposition format (what prom-client serves on /metrics). */
export function parsePrometheusText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL))
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, '$1');
    samples.push({
      name: m[1] as string,
      labels,
      value: m[3] === '+Inf' ? Infinity : Number(m[3]),
    });
  }
  return samples;
}

/** Sum of a metric's samples whose labels include `match`. */
export function sumOf(
  samples: readonly PromSample[],
  name: string,
  match: Readonly<Record<string, string>> = {},
): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/**
 * A quantile of a Prometheus histogram, its series summed (over partitions, say), estimated
 * as PromQL's histogram_quantile does: linear interpolation inside the bucket that holds it.
 * NaN when the histogram is empty; the highest finite bound when the quantile lies in +Inf.
 */
export function histogramQuantile(
  samples: readonly PromSample[],
  name: string,
  q: number,
  match: Readonly<Record<string, string>> = {},
): number {
  const buckets = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || !Object.entries(match).every(([k, v]) => s.labels[k] === v))
      continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted[sorted.length - 1]?.[1] ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let previousBound = 0;
  let previousCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Infinity) return previousBound;
      const inBucket = count - previousCount;
      return inBucket === 0
        ? bound
        : previousBound + ((bound - previousBound) * (rank - previousCount)) / inBucket;
    }
    previousBound = bound;
    previousCount = count;
  }
  return previousBound;
}

/** One series: its name and labels, whatever the labels' order. */
/**
 * A series' identity across scrapes. The `scenario` label a run puts on the service's series
 * moves with the run (warm-up, then steady) while the series goes on counting: it is no part
 * of which series a sample belongs to.
 */
const sampleKey = (s: PromSample) =>
  `${s.name}${JSON.stringify(
    Object.entries(s.labels)
      .filter(([label]) => label !== 'scenario')
      .sort(),
  )}`;

/**
 * The samples of `after` minus those of `before` (same name and labels): what counters and
 * histograms gathered between two scrapes, e.g. a measurement window after a warm-up.
 */
export function sampleDelta(
  after: readonly PromSample[],
  before: readonly PromSample[],
): PromSample[] {
  const earlier = new Map(before.map((s) => [sampleKey(s), s.value]));
  return after.map((s) => ({ ...s, value: s.value - (earlier.get(sampleKey(s)) ?? 0) }));
}

const CUMULATIVE = /(_total|_count|_sum|_bucket)$/;

/**
 * One service's figures over several lives (a restarted process starts its counters at 0):
 * counters and histograms of every life added up, `_max` gauges the largest, other gauges
 * as the current life has them.
 */
export function accumulateSamples(
  earlier: readonly PromSample[],
  current: readonly PromSample[],
): PromSample[] {
  const out = new Map<string, PromSample>();
  for (const s of earlier)
    if (CUMULATIVE.test(s.name) || s.name.endsWith('_max')) out.set(sampleKey(s), s);
  for (const s of current) {
    const k = sampleKey(s);
    const before = out.get(k);
    if (before === undefined) out.set(k, s);
    else if (CUMULATIVE.test(s.name)) out.set(k, { ...s, value: before.value + s.value });
    else if (s.name.endsWith('_max')) out.set(k, { ...s, value: Math.max(before.value, s.value) });
    else out.set(k, s);
  }
  return [...out.values()];
}

/** Gauges that add up over instances: what each one holds of its own partitions. */
const ADDITIVE_GAUGES = new Set(['harness_buffer_depth', 'harness_unwritten_increments']);

/**
 * Several services' figures at one moment as one service's (`run --services N`): counters,
 * histograms and the gauges of what each holds (buffer depth, unwritten increments) added
 * up; every other gauge (a `_max`, a quantile, build info, process figures) the largest.
 */
export function mergeInstanceSamples(instances: readonly (readonly PromSample[])[]): PromSample[] {
  const out = new Map<string, PromSample>();
  for (const samples of instances)
    for (const s of samples) {
      const k = sampleKey(s);
      const before = out.get(k);
      if (before === undefined) out.set(k, s);
      else if (CUMULATIVE.test(s.name) || ADDITIVE_GAUGES.has(s.name))
        out.set(k, { ...s, value: before.value + s.value });
      else out.set(k, { ...s, value: Math.max(before.value, s.value) });
    }
  return [...out.values()];
}
