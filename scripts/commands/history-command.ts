import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import { formatChange, formatFigure } from '../../results/compare/compare-format.ts';
import { metricHistory, parseHistoryMetric } from '../../results/history.ts';
import { historyChart } from '../../results/report/chart-options.ts';
import { renderSvg } from '../../results/report/svg-chart.ts';
import { REPORTS_DIR } from '../../results/report/write-report.ts';
import { displayPath, indexResults } from '../../results/run-index.ts';
import { resultIdentity } from '../../results/result-identity.ts';
import type { StatementMode } from '../../results/schema/result-schema.ts';
import { positiveInt } from '../lib/option-parsers.ts';
import { createTable } from '../../lib/table.ts';
import { UsageError } from '../../lib/errors.ts';

interface HistoryOptions {
  name?: string;
  variant?: string;
  last: number;
  statement: StatementMode;
  chart?: string;
}

export function historyCommand(): Command {
  return new Command('history')
    .description(
      'one metric across the last commits that have saved results (every result of a commit a trial), its change points, a table and an SVG chart',
    )
    .argument(
      '<metric>',
      'a run metric with an optional aggregation (flush_duration.p95, event_to_commit.p99, events_per_second; k6\'s spelling "flush_duration:p(95)" works quoted), a sweep cell (join@1000), or a benchmark figure with --name',
    )
    .option(
      '--name <name>',
      'the scenario, sweep or benchmark name (default: production for run metrics)',
    )
    .option(
      '--variant <name>',
      'follow the runs of this SQL variant, when a commit has runs of several (a sweep cell names its own: join@1000)',
    )
    .option('--last <n>', 'how many commits', positiveInt('--last'), 10)
    .addOption(
      new Option('--statement <mode>', 'for sweep cells')
        .choices(['unprepared', 'prepared'])
        .default('unprepared'),
    )
    .option(
      '--chart <path>',
      'where to write the SVG chart (default: results/reports/history-<metric>.svg)',
    )
    .action(async (spec: string, options: HistoryOptions) => {
      const index = indexResults();
      const isBench =
        options.name !== undefined &&
        index.results.some((r) => r.result.kind === 'bench' && r.result.name === options.name);
      const metric = parseHistoryMetric(spec, options.statement, isBench);
      if (options.variant !== undefined && metric.kind !== 'run')
        throw new UsageError(
          `--variant picks runs; ${metric.kind === 'sweep' ? `a sweep cell names its variant itself (${options.variant}@1000)` : 'a benchmark has no variant'}`,
        );
      const name = options.name ?? (metric.kind === 'run' ? 'production' : undefined);
      const results = index.results.filter(
        (r) =>
          r.result.kind === metric.kind &&
          (name === undefined || r.result.name === name) &&
          (options.variant === undefined || resultIdentity(r.result).variant === options.variant),
      );
      const history = metricHistory(results, metric, options.last);
      if (history.length === 0)
        throw new UsageError(
          `no saved ${metric.kind} result${name === undefined ? '' : ` named "${name}"`}${options.variant === undefined ? '' : ` of variant ${options.variant}`} has ${metric.label}: run \`harness ${metric.kind === 'sweep' ? 'sweep' : metric.kind === 'run' ? `run ${name ?? 'production'}` : 'check'}\` on the commits to follow`,
        );
      const table = createTable(
        ['Commit', 'When (UTC)', 'Trials', metric.label, 'vs previous commit', 'Change point'],
        ['left', 'left', 'right', 'right', 'left', 'left'],
      );
      for (const h of history) {
        const newest = h.entries[h.entries.length - 1] as (typeof h.entries)[number];
        const g = newest.result.git;
        table.push([
          `${g.commit.slice(0, 7)}${g.dirty ? '-dirty' : ''}`,
          newest.result.createdAt.slice(0, 16).replace('T', ' '),
          String(h.values.length),
          formatFigure(h.value),
          h.change === null ? '' : formatChange(h.change),
          h.changePoint === null ? '' : `<- here (p=${h.changePoint.p.toFixed(3)})`,
        ]);
      }
      process.stdout.write(`${table.toString()}\n`);
      const setupChanges = history.filter(
        (h) => h.change?.untestedBecause?.startsWith('what ran differs') === true,
      ).length;
      if (setupChanges > 0)
        process.stdout.write(
          `note: what ran changed between commits ${setupChanges} time${setupChanges === 1 ? '' : 's'} (variant, options, partitions, PostgreSQL...): those changes are shown, not tested, and belong to the setup as much as to the commit\n`,
        );
      const path =
        options.chart ??
        join(REPORTS_DIR, `history-${spec.replace(/[^A-Za-z0-9@._-]+/g, '_')}.svg`);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(
        path,
        await renderSvg(
          historyChart(
            `${metric.label}${name === undefined ? '' : ` (${name})`}`,
            metric.unit,
            history.map((h) => {
              const git = (h.entries[h.entries.length - 1] as (typeof h.entries)[number]).result
                .git;
              return {
                label: `${git.commit.slice(0, 7)}${git.dirty ? '*' : ''}`,
                value: h.value,
                changePoint: h.changePoint !== null,
              };
            }),
          ),
        ),
      );
      process.stdout.write(`chart: ${displayPath(path)}\n`);
    });
}
