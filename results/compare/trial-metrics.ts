import { median } from '../stats/descriptive.ts';
import { resultFigures } from '../key-figures.ts';
import { exactHistogram, judgedPart, type ExactMetric } from '../run-latency.ts';
import type { ResultFile, RunResult, SweepResult } from '../schema/result-schema.ts';

/** Which way is good: lower latencies, higher throughput; `none` for figures that only describe. */
export type Direction = 'lower' | 'higher' | 'none';

/**
 * One figure of one trial (one result file): what a comparison across trials tests. A trial
 * gives one value per metric, however many batches or flushes stand behind it, because the
 * batches inside one run share that run's machine, table and moment and are not independent.
 */
export interface TrialMetric {
  /** Rows of one section share a heading and a unit, like a benchstat table. */
  readonly section: string;
  readonly label: string;
  readonly direction: Direction;
  readonly value: number;
}

/** `section` and `label` together: how a metric is found again in another trial or a calibration. */
export const metricKey = (m: Pick<TrialMetric, 'section' | 'label'>): string =>
  `${m.section} / ${m.label}`;

function sweepMetrics(r: SweepResult): TrialMetric[] {
  const cells = [...r.metrics.cells].sort(
    (a, b) =>
      a.statement.localeCompare(b.statement) ||
      a.variant.localeCompare(b.variant) ||
      a.size - b.size,
  );
  const wall = cells.map((c) => ({
    section: `wall time per batch, ${c.statement} (ms, median of the trial's batches)`,
    label: `${c.variant} ${c.size} rows`,
    direction: 'lower' as const,
    value: c.samplesMs.length > 0 ? median(c.samplesMs) : c.wallMs.median,
  }));
  // What each cell cost the server per row (its cost pass), where the sweep measured it.
  const cost = (
    [
      ['cpuUsPerRow', 'CPU per row in the server (us)'],
      ['walBytesPerRow', 'WAL per row (bytes)'],
    ] as const
  ).flatMap(([figure, title]) =>
    cells.flatMap((c) => {
      const value = c.cost?.[figure];
      return value === undefined || value === null
        ? []
        : [
            {
              section: `${title}, ${c.statement}`,
              label: `${c.variant} ${c.size} rows`,
              direction: 'lower' as const,
              value,
            },
          ];
    }),
  );
  return [...wall, ...cost];
}

const EXACT_ROWS: readonly [ExactMetric, string, string, Direction][] = [
  ['flushDurationUs', 'flush_duration', 'ms', 'lower'],
  ['eventToCommitUs', 'event_to_commit', 'ms', 'lower'],
  ['flushRows', 'flush_size', 'rows', 'none'],
];
const PERCENTILES: readonly [string, number][] = [
  ['med', 50],
  ['p(95)', 95],
  ['p(99)', 99],
];

function runMetrics(r: RunResult): TrialMetric[] {
  const out: TrialMetric[] = [];
  const part = judgedPart(r);
  for (const [exact, metric, unit, direction] of EXACT_ROWS) {
    // The part judged (a steady scenario, or the whole run) is said once in a note: trials
    // from before warm-ups still line up with later ones.
    const section = `${metric} (${unit})`;
    const h = exactHistogram(r, exact, part.scenario);
    for (const [label, percentile] of PERCENTILES) {
      // Results from before exact histograms: the summary's (bucketed) figure.
      const key = part.scenario === undefined ? metric : `${metric}{scenario:${part.scenario}}`;
      const value =
        h === undefined
          ? (r.metrics.values[key]?.[label] ?? r.metrics.values[metric]?.[label] ?? null)
          : h.totalCount === 0
            ? null
            : h.getValueAtPercentile(percentile) / (unit === 'ms' ? 1000 : 1);
      if (value !== null) out.push({ section, label: `${metric} ${label}`, direction, value });
    }
    h?.destroy();
  }
  const figure = (metric: string, aggregation: string) =>
    r.metrics.values[metric]?.[aggregation] ?? null;
  const totals: [string, number | null, Direction][] = [
    // The whole run's average: events_per_second is a gauge whose value is the load's last seconds.
    [
      'events/s achieved',
      figure('events_sent', 'rate') ?? figure('events_per_second', 'value'),
      'higher',
    ],
    ['schedule_lag p(99) (ms)', figure('schedule_lag', 'p(99)'), 'lower'],
    ['db_cpu (% of all cores)', figure('db_cpu', 'value'), 'lower'],
    ['dropped_events', figure('dropped_events', 'count'), 'lower'],
    ['rejected_events', figure('rejected_events', 'count'), 'lower'],
    ['flush_errors', figure('flush_errors', 'count'), 'lower'],
  ];
  for (const [label, value, direction] of totals)
    if (value !== null) out.push({ section: 'whole run', label, direction, value });
  return out;
}

function figureDirection(name: string): Direction {
  return /per_second|ratio|efficiency/.test(name)
    ? 'higher'
    : /_ms$|dropped|failed|lag/.test(name)
      ? 'lower'
      : 'none';
}

/** Every figure of one trial that a comparison across trials looks at. */
export function trialMetrics(r: ResultFile): TrialMetric[] {
  switch (r.kind) {
    case 'sweep':
      return sweepMetrics(r);
    case 'run':
      return runMetrics(r);
    default:
      return Object.entries(resultFigures(r))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => ({
          section: 'figures',
          label: name,
          direction: figureDirection(name),
          value,
        }));
  }
}
