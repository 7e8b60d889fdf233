import { createWriteStream, type WriteStream } from 'node:fs';
import type * as hdr from 'hdr-histogram-js';
import { HARNESS_METRICS, type HarnessMetric } from '../../results/metric-registry.ts';
import type { IntervalMetric } from '../../sut/metrics/interval-recorder.ts';
import type { CustomTags } from '../thresholds/metric-key.ts';
import type { SecondOfValues } from './latency-store.ts';
import type { ParsedThreshold } from './run-metrics.ts';

/** The service's exact per-second values, as the run's metrics, in k6's units (ms for times). */
const FROM_INTERVAL: Record<IntervalMetric, { metric: HarnessMetric; scale: number }> = {
  flushDurationUs: { metric: 'flush_duration', scale: 1 / 1000 },
  eventToCommitUs: { metric: 'event_to_commit', scale: 1 / 1000 },
  flushRows: { metric: 'flush_size', scale: 1 },
  rowsUpdated: { metric: 'rows_updated', scale: 1 },
};
const CONTAINS: Partial<Record<HarnessMetric, 'time'>> = {
  flush_duration: 'time',
  event_to_commit: 'time',
  schedule_lag: 'time',
};

/** What a histogram's recorded values are read through (hdr-histogram-js's JS histograms). */
interface RecordedValues {
  readonly recordedValuesIterator: {
    reset(): void;
    hasNext(): boolean;
    next(): { valueIteratedTo: number; countAddedInThisIterationStep: number };
  };
}

/**
 * k6's `--out json=<file>`: JSON lines, a `Metric` record the first time a metric has a
 * sample, then a `Point` record per sample with its time, value and tags. The samples are the
 * service's own, one per flush (flush_size, rows_updated, flush_duration) and one per event
 * (event_to_commit), streamed as the run reads them each second: each carries the second it
 * fell in as its time, its value as the exact histograms hold it (3 significant digits), and
 * the tags scenario, partition, variant and the scenario file's own.
 */
export class K6JsonOutput {
  private readonly declared = new Set<HarnessMetric>();
  private failure: Error | undefined;

  private constructor(
    private readonly stream: WriteStream,
    private readonly variant: string,
    private readonly tags: CustomTags,
    private readonly thresholds: readonly ParsedThreshold[],
  ) {
    stream.on('error', (error) => {
      this.failure = error;
    });
  }

  static open(
    path: string,
    run: { variant: string; tags: CustomTags; thresholds: readonly ParsedThreshold[] },
  ): K6JsonOutput {
    return new K6JsonOutput(createWriteStream(path), run.variant, run.tags, run.thresholds);
  }

  /** One second of one partition's values: a Point per sample. */
  interval(at: SecondOfValues, values: hdr.Histogram): void {
    const { metric, scale } = FROM_INTERVAL[at.metric];
    this.declare(metric);
    const time = new Date(at.second * 1000).toISOString();
    const tags = JSON.stringify({
      ...this.tags.global,
      ...this.tags.scenarios[at.scenario],
      scenario: at.scenario,
      partition: String(at.partition),
      variant: this.variant,
    });
    const it = (values as unknown as RecordedValues).recordedValuesIterator;
    it.reset();
    let lines = '';
    while (it.hasNext()) {
      const step = it.next();
      const line = `{"type":"Point","data":{"time":"${time}","value":${step.valueIteratedTo * scale},"tags":${tags}},"metric":"${metric}"}\n`;
      lines += line.repeat(step.countAddedInThisIterationStep);
    }
    if (lines !== '') this.stream.write(lines);
  }

  /** Writes what is buffered and closes the file; a write that failed is thrown here. */
  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.stream.end(() => {
        if (this.failure === undefined) resolve();
        else reject(this.failure);
      });
    });
    if (this.failure !== undefined) throw this.failure;
  }

  private declare(metric: HarnessMetric): void {
    if (this.declared.has(metric)) return;
    this.declared.add(metric);
    const own = this.thresholds.filter((t) => t.metric === metric);
    const subs = [...new Set(own.filter((t) => t.key !== metric).map((t) => t.key))];
    const record = {
      type: 'Metric',
      data: {
        name: metric,
        type: HARNESS_METRICS[metric],
        contains: CONTAINS[metric] ?? 'default',
        tainted: null,
        thresholds: own.filter((t) => t.key === metric).map((t) => t.expression),
        submetrics:
          subs.length === 0
            ? null
            : subs.map((key) => ({
                name: key,
                suffix: key.slice(metric.length + 1, -1),
                tags: Object.fromEntries(
                  key
                    .slice(metric.length + 1, -1)
                    .split(',')
                    .map((part): [string, string] => {
                      const colon = part.indexOf(':');
                      return [part.slice(0, colon), part.slice(colon + 1)];
                    }),
                ),
              })),
      },
      metric,
    };
    this.stream.write(`${JSON.stringify(record)}\n`);
  }
}
