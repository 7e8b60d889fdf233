import type { ResultFile } from './schema/result-schema.ts';
import { machineFigure } from './run-latency.ts';

function ms(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** One line of the figures that matter most in a result, for listings. */
export function keyFigures(r: ResultFile): string {
  switch (r.kind) {
    case 'sweep': {
      const largest = Math.max(...r.metrics.cells.map((c) => c.size));
      const cells = r.metrics.cells.filter(
        (c) => c.size === largest && c.statement === 'unprepared',
      );
      const machine = machineFigure(r.metrics.machine);
      return `${largest} rows: ${cells.map((c) => `${c.variant} ${ms(c.wallMs.median)}`).join(' / ')} ms${machine === undefined ? '' : `; ${machine}`}`;
    }
    case 'run': {
      const v = r.metrics.values;
      // The judged part's figures: a warm-up before it is not what the run is about.
      const steady = r.metrics.steadyScenario;
      const trend = (metric: string) =>
        (steady === undefined ? undefined : v[`${metric}{scenario:${steady}}`]) ?? v[metric];
      const parts = [
        // The judged part's own rate: events_per_second is a gauge of the load's last seconds.
        `${Math.round(trend('events_sent')?.rate ?? v.events_per_second?.value ?? 0).toLocaleString('en-US')} ev/s`,
        `flush p95 ${ms(trend('flush_duration')?.['p(95)'] ?? Number.NaN)} ms`,
        `e2c p99 ${ms(trend('event_to_commit')?.['p(99)'] ?? Number.NaN)} ms`,
      ];
      const failed = r.thresholds.filter((t) => !t.ok).length;
      if (failed > 0) parts.push(`${failed} threshold${failed === 1 ? '' : 's'} failed`);
      const machine = machineFigure(r.metrics.machine);
      if (machine !== undefined) parts.push(machine);
      return parts.join(', ');
    }
    case 'simulate':
      return `${Math.round(r.metrics.achievedRate).toLocaleString('en-US')} ev/s, ${r.metrics.dropped} dropped`;
    case 'bench':
      return Object.entries(r.metrics.figures)
        .slice(0, 3)
        .map(([k, v]) => `${k} ${Number(v.toPrecision(4))}`)
        .join(', ');
  }
}

/** A result's named figures when it has no samples: a benchmark's, or a simulation's headline. */
export function resultFigures(r: ResultFile): Record<string, number> {
  if (r.kind === 'bench') return r.metrics.figures;
  if (r.kind === 'simulate')
    return {
      achieved_events_per_second: r.metrics.achievedRate,
      dropped: r.metrics.dropped,
      lag_p99_ms: r.metrics.lag.p99Ms,
    };
  return {};
}
