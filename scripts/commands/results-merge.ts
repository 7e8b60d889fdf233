import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import * as hdr from 'hdr-histogram-js';
import { mergeShards, type ShardFile } from '../../results/merge/merge-shards.ts';
import { parseResultText } from '../../results/result-file.ts';
import { displayPath } from '../../results/run-index.ts';
import { RUNS_DIR, runFileName, saveResult } from '../../results/run-store.ts';
import { readGitInfo } from '../../results/git-info.ts';
import { simulateResultSchema, type SimulateResult } from '../../results/schema/result-schema.ts';
import {
  compare,
  parseThreshold,
  type MetricType,
  type Threshold,
} from '../../scenarios/thresholds/threshold-parser.ts';
import { ThresholdsFailedError, UsageError } from '../../lib/errors.ts';
import { formatFixed } from '../../lib/format.ts';
import { createTable } from '../../lib/table.ts';
import { outputFile } from '../lib/option-parsers.ts';
import { join } from 'node:path';

/** What a merged simulate result can be held to, as k6 names such metrics. */
const MERGE_METRICS: Record<string, MetricType> = {
  schedule_lag: 'trend',
  dropped_events: 'counter',
  events_sent: 'counter',
  events_per_second: 'gauge',
};

interface MergeThreshold extends Threshold {
  readonly metric: string;
}

/** `metric:expression`, e.g. `schedule_lag:p(99)<50`; the error names the input. */
export function parseMergeThreshold(
  text: string,
  previous: MergeThreshold[] = [],
): MergeThreshold[] {
  const at = text.indexOf(':');
  const metric = at < 0 ? '' : text.slice(0, at).trim();
  const type = MERGE_METRICS[metric];
  if (type === undefined || !Object.hasOwn(MERGE_METRICS, metric))
    throw new UsageError(
      `--threshold "${text}": expected metric:expression with a metric of ${Object.keys(MERGE_METRICS).join(', ')}, like schedule_lag:p(99)<50`,
    );
  return [...previous, { metric, ...parseThreshold(metric, type, text.slice(at + 1)) }];
}

/** The value a threshold's aggregation takes on the merged result. */
function valueOf(t: MergeThreshold, r: SimulateResult): number {
  const m = r.metrics;
  const seconds = m.elapsedMs / 1000;
  const a = t.aggregation;
  if (t.metric === 'schedule_lag') {
    const h = hdr.decodeFromCompressedBase64(m.lagHdr);
    try {
      // No event sent, no lag to judge: the threshold fails rather than pass on nothing.
      if (h.totalCount === 0) return Number.NaN;
      if (a.kind === 'p') return h.getValueAtPercentile(a.percentile) / 1000;
      if (a.kind === 'med') return h.getValueAtPercentile(50) / 1000;
      if (a.kind === 'avg') return h.mean / 1000;
      if (a.kind === 'min') return h.minNonZeroValue / 1000;
      return h.maxValue / 1000;
    } finally {
      h.destroy();
    }
  }
  if (t.metric === 'events_per_second') return m.achievedRate;
  const count = t.metric === 'dropped_events' ? m.dropped : m.sent;
  return a.kind === 'rate' ? (seconds > 0 ? count / seconds : 0) : count;
}

function generatorLine(name: string, r: SimulateResult): (string | number)[] {
  const m = r.metrics;
  return [
    name,
    formatFixed(m.scheduled),
    formatFixed(m.sent),
    formatFixed(m.dropped),
    `${formatFixed(m.achievedRate, 1)} ev/s`,
    `${formatFixed(m.lag.p50Ms, 2)} ms`,
    `${formatFixed(m.lag.p99Ms, 2)} ms`,
    `${formatFixed(m.lag.maxMs, 2)} ms`,
  ];
}

/** `harness results merge`: the shards of one plan, run on several machines, as one result. */
export function mergeCommand(): Command {
  return new Command('merge')
    .description(
      'merge the results of `harness simulate --shard i/N` (one per generator, on any machines) into one result, thresholds judged on the merge',
    )
    .argument('<files...>', "the shards' results files, each shard once")
    .option(
      '--threshold <metric:expression>',
      'a threshold on the merged figures, repeatable: schedule_lag (trend, ms), dropped_events, events_sent (counters), events_per_second (gauge); e.g. schedule_lag:p(99)<50',
      (v: string, previous: MergeThreshold[]) => parseMergeThreshold(v, previous),
      [],
    )
    .option('--output <file>', 'merged results JSON path', outputFile('--output'))
    .action(async (paths: string[], options: { threshold: MergeThreshold[]; output?: string }) => {
      const files: ShardFile[] = [];
      for (const path of paths) {
        let text: string;
        try {
          text = await readFile(path, 'utf8');
        } catch (error) {
          throw new UsageError(`${path}: cannot be read (${(error as Error).message})`);
        }
        const result = parseResultText(text, path);
        if (result.kind !== 'simulate')
          throw new UsageError(
            `${path} is a ${result.kind} result; results merge takes the results of harness simulate --shard i/N`,
          );
        files.push({ path: displayPath(path), result });
      }
      const createdAt = new Date();
      const merged = simulateResultSchema.parse({
        ...mergeShards(files, createdAt),
        thresholds: [],
      });
      const outcomes = options.threshold.map((t) => {
        const value = valueOf(t, merged);
        const measured = Number.isFinite(value);
        return {
          metric: t.metric,
          expression: t.expression,
          value: measured ? value : null,
          ok: measured && compare(value, t.operator, t.value),
        };
      });
      const result = simulateResultSchema.parse({ ...merged, thresholds: outcomes });
      const table = createTable([
        '',
        'Scheduled',
        'Sent',
        'Dropped',
        'Achieved',
        'Lag p50',
        'Lag p99',
        'Lag max',
      ]);
      table.push(generatorLine(`merged (${files.length} generators)`, result));
      for (const f of [...files].sort(
        (a, b) =>
          (a.result.config.shard as { index: number }).index -
          (b.result.config.shard as { index: number }).index,
      )) {
        const s = f.result.config.shard as { index: number; count: number };
        table.push(generatorLine(`shard ${s.index}/${s.count} (${f.path})`, f.result));
      }
      const out = process.stdout;
      out.write(`${table.toString()}\n`);
      const commits = new Set(files.map((f) => f.result.git.commit));
      if (commits.size > 1)
        out.write(
          `note: the shards come from ${commits.size} commits (${[...commits].map((c) => c.slice(0, 7)).join(', ')}): their event generators may differ\n`,
        );
      for (const o of outcomes)
        out.write(
          `${o.ok ? 'ok  ' : 'FAIL'} ${o.metric} ${o.expression}: ${o.value === null ? 'no value (nothing measured)' : formatFixed(o.value, 2)}\n`,
        );
      const path = await saveResult(
        result,
        options.output ?? join(RUNS_DIR, runFileName(createdAt, readGitInfo(), 'simulate-merged')),
      );
      out.write(`results: ${path}\n`);
      const failed = outcomes.filter((o) => !o.ok);
      if (failed.length > 0)
        throw new ThresholdsFailedError(
          `thresholds failed on the merged result: ${failed.map((o) => `${o.metric} ${o.expression}`).join(', ')}`,
        );
    });
}
