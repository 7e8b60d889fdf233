import type { SweepResult } from '../../results/schema/result-schema.ts';
import { formatFixed, formatInteger } from '../../lib/format.ts';
import type { RunCost } from './run-cost.ts';

const pct = (share: number | null) => (share === null ? '-' : `${formatFixed(share * 100, 0)} %`);

/**
 * A sweep's median wall time per batch for `variant` at `size` rows: interpolated on log
 * scales between the sizes it measured, scaled by rows past the largest; undefined when the
 * sweep has no cell of that variant.
 */
export function predictFlushMs(
  sweep: SweepResult,
  variant: string,
  size: number,
  statement: 'unprepared' | 'prepared' = 'unprepared',
): number | undefined {
  const cells = sweep.metrics.cells
    .filter((c) => c.variant === variant && c.statement === statement)
    .sort((a, b) => a.size - b.size);
  const first = cells[0];
  const last = cells[cells.length - 1];
  if (first === undefined || last === undefined) return undefined;
  if (size <= first.size) return first.wallMs.median;
  if (size >= last.size) return (last.wallMs.median * size) / last.size;
  for (let i = 1; i < cells.length; i++) {
    const lo = cells[i - 1];
    const hi = cells[i];
    if (lo === undefined || hi === undefined || size > hi.size) continue;
    const t = Math.log(size / lo.size) / Math.log(hi.size / lo.size);
    return Math.exp(
      Math.log(lo.wallMs.median) + t * (Math.log(hi.wallMs.median) - Math.log(lo.wallMs.median)),
    );
  }
  return undefined;
}

/**
 * Where a run's database time went and what another form would cost: the lines under the
 * verdict. From the run's own cost (per row, the sessions' waits, the ceiling) and the sweep
 * of this commit, when there is one.
 */
export function explainVerdict(input: {
  readonly cost: RunCost | null;
  readonly flushRows: number;
  readonly sweep: SweepResult | undefined;
  readonly variant: string;
}): string[] {
  const { cost, flushRows, sweep, variant } = input;
  const lines: string[] = [];
  if (cost?.note !== undefined) {
    lines.push(`database: ${cost.note}`);
  } else if (cost !== null && cost.window.rows > 0) {
    const w = cost.window;
    const c = cost.ceiling;
    lines.push(
      `database: ${formatInteger(w.rowsPerSecond)} rows/s updated over the load` +
        (c === null || cost.ceilingShare === null
          ? cost.ceilingNote === undefined
            ? ''
            : ` (no ceiling: ${cost.ceilingNote})`
          : `, ${formatFixed(cost.ceilingShare * 100, 1)} % of this machine's ceiling (${formatInteger(c.cost.rowsPerSecond)} rows/s at ${formatInteger(c.size)} rows per batch: UPDATE ... FROM unnest in ${c.sessions === 1 ? 'a loop' : `${c.sessions} loops at once`} on the server, a commit per batch)`),
    );
    lines.push(
      `per row: ${w.cpuUsPerRow === null ? 'CPU not measured' : `${formatFixed(w.cpuUsPerRow, 1)} us of CPU (${w.cpuSource === 'server' ? 'every server process' : (w.cpuSource ?? '')})`}; WAL ${formatFixed(w.walBytesPerRow, 0)} bytes, full-page images ${pct(w.fpiShare)} of WAL records; HOT ${pct(w.hotShare)} of updates (the rest write every index); buffers ${formatFixed(w.buffersHitPerRow, 1)} hit, ${formatFixed(w.buffersReadPerRow, 2)} read; ${w.checkpoints ?? '?'} checkpoint${w.checkpoints === 1 ? '' : 's'} and ${w.autovacuums} autovacuum run${w.autovacuums === 1 ? '' : 's'} during the load`,
    );
    if (c !== null && c.cost.cpuUsPerRow !== null && w.cpuUsPerRow !== null)
      lines.push(
        `the ceiling's backends spend ${formatFixed(c.cost.cpuUsPerRow, 1)} us of CPU and ${formatFixed(c.cost.walBytesPerRow, 0)} bytes of WAL per row: the run's ${formatFixed(w.cpuUsPerRow / c.cost.cpuUsPerRow, 1)}x that CPU is round trips, parsing and planning, and the server's other processes`,
      );
  } else if (cost !== null) {
    lines.push(
      "database: the table's update count did not move over the load (no flush, or the server's statistics were reset by an immediate restart): no per-row figures",
    );
  }
  if (cost !== null && cost.waits.activeSeen > 0) {
    const s = cost.waits.shares;
    lines.push(
      `database sessions at work, sampled every 250 ms (${formatInteger(cost.waits.activeSeen)} seen active): on CPU ${pct(s.cpu)}, waiting for WAL writes and flushes ${pct(s.walWrite)}, lock waits ${pct(s.lock)}, other I/O ${pct(s.io)}, other waits ${pct(s.other)}`,
    );
  }
  if (sweep !== undefined && Number.isFinite(flushRows) && flushRows >= 1) {
    const variants = [...new Set(sweep.metrics.cells.map((c) => c.variant))];
    const predicted = variants
      .map((v) => ({ v, ms: predictFlushMs(sweep, v, flushRows) }))
      .filter((p): p is { v: string; ms: number } => p.ms !== undefined)
      .sort((a, b) => a.ms - b.ms);
    if (predicted.length > 0)
      lines.push(
        `the sweep of this commit (${sweep.createdAt}) predicts, per flush of ${formatFixed(flushRows)} rows (unprepared): ${predicted.map((p) => `${p.v}${p.v === variant ? ' (this run)' : ''} ${formatFixed(p.ms, p.ms < 10 ? 2 : 1)} ms`).join(', ')}`,
      );
    const planning = sweep.metrics.cells
      .filter(
        (c) => c.variant === variant && c.statement === 'unprepared' && c.planningShare !== null,
      )
      .sort(
        (a, b) => Math.abs(Math.log(a.size / flushRows)) - Math.abs(Math.log(b.size / flushRows)),
      )[0];
    if (planning?.planningShare != null)
      lines.push(
        `planning: ${pct(planning.planningShare)} of ${variant}'s time per batch at ${formatInteger(planning.size)} rows in that sweep (EXPLAIN ANALYZE); a prepared statement plans once`,
      );
  }
  return lines;
}
