import type {
  StatementMode,
  SweepMetrics,
  SweepResult,
} from '../../results/schema/result-schema.ts';
import { machineLoadLine } from '../engine/machine-load.ts';
import { formatInteger } from '../../lib/format.ts';
import { createTable } from '../../lib/table.ts';
import { DEGRADATION_RATIO, SEED_CORRELATED_MS } from './seed-figures.ts';

const ms = (v: number | null) => (v === null ? '-' : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`);
const pct = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} %`;
const rows = (n: number) => `${formatInteger(n)} row${n === 1 ? '' : 's'}`;
const ratio = (v: number) => `${v.toFixed(2)}x`;

function modesOf(metrics: SweepMetrics): StatementMode[] {
  return [...new Set(metrics.cells.map((c) => c.statement))];
}

/** One table per variant and statement mode, in the analysis's shape plus the spread and EXPLAIN's split. */
export function variantTables(metrics: SweepMetrics): string {
  const out: string[] = [];
  for (const statement of modesOf(metrics)) {
    for (const variant of [...new Set(metrics.cells.map((c) => c.variant))]) {
      const cells = metrics.cells
        .filter((c) => c.variant === variant && c.statement === statement)
        .sort((a, b) => a.size - b.size);
      const withSeed = variant === 'correlated';
      const table = createTable([
        'Batch Size',
        'Execution Time',
        'ms/row',
        'Throughput',
        'p95',
        'IQR',
        'n',
        'Planning',
        'Execution',
        'Plan share',
        ...(withSeed ? ['Analysis'] : []),
      ]);
      for (const c of cells) {
        const seed = SEED_CORRELATED_MS.get(c.size);
        table.push([
          rows(c.size),
          ms(c.wallMs.median),
          c.msPerRow.toFixed(3),
          `${formatInteger(c.rowsPerSecond)} rows/s`,
          ms(c.wallMs.p95),
          ms(c.wallMs.q3 - c.wallMs.q1),
          String(c.wallMs.n),
          ms(c.planningMs),
          ms(c.executionMs),
          c.planningShare === null ? '-' : pct(c.planningShare * 100),
          ...(withSeed ? [seed === undefined ? '-' : ms(seed)] : []),
        ]);
      }
      out.push(`${variant} (${statement})\n${table.toString()}`);
    }
  }
  return out.join('\n\n');
}

/** Median wall time of every variant side by side, with each relative to the first (correlated when present). */
export function ratioTable(metrics: SweepMetrics): string {
  const variants = [...new Set(metrics.cells.map((c) => c.variant))];
  const base = variants.includes('correlated') ? 'correlated' : (variants[0] as string);
  const others = variants.filter((v) => v !== base);
  const out: string[] = [];
  for (const statement of modesOf(metrics)) {
    const table = createTable(['Batch Size', ...variants, ...others.map((v) => `${v}/${base}`)]);
    const sizes = [...new Set(metrics.cells.map((c) => c.size))].sort((a, b) => a - b);
    for (const size of sizes) {
      const median = (v: string) =>
        metrics.cells.find((c) => c.variant === v && c.size === size && c.statement === statement)
          ?.wallMs.median;
      const b = median(base);
      table.push([
        rows(size),
        ...variants.map((v) => {
          const m = median(v);
          return m === undefined ? '-' : ms(m);
        }),
        ...others.map((v) => {
          const m = median(v);
          return m === undefined || b === undefined ? '-' : ratio(m / b);
        }),
      ]);
    }
    out.push(`side by side (${statement}; ratio < 1 = faster than ${base})\n${table.toString()}`);
  }
  return out.join('\n\n');
}

export function preparedTable(metrics: SweepMetrics): string {
  if (metrics.preparedDelta.length === 0) return '';
  const table = createTable(['Variant', 'Batch Size', 'Unprepared', 'Prepared', 'Difference']);
  for (const d of metrics.preparedDelta)
    table.push([
      d.variant,
      rows(d.size),
      ms(d.unpreparedMs),
      ms(d.preparedMs),
      `${d.deltaPercent >= 0 ? '+' : ''}${d.deltaPercent.toFixed(1)} %`,
    ]);
  return `prepared vs unprepared (median wall time)\n${table.toString()}`;
}

export function statementsTable(metrics: SweepMetrics): string {
  const p = metrics.pgStatStatements;
  if (!p.available) return `pg_stat_statements: not available (${p.reason})`;
  const table = createTable(['Variant', 'Calls', 'Mean exec', 'Mean plan', 'Rows']);
  for (const s of p.statements)
    table.push([
      s.variant,
      formatInteger(s.calls),
      ms(s.meanExecMs),
      s.meanPlanMs === null ? 'not tracked' : ms(s.meanPlanMs),
      formatInteger(s.rows),
    ]);
  return `pg_stat_statements (all timed batches, both statement modes)\n${table.toString()}`;
}

const fixed = (v: number | null, digits: number) => (v === null ? '-' : v.toFixed(digits));
const share = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(0)} %`);

/**
 * What each cell cost the server per row (its cost pass), unprepared where both modes ran,
 * with the ceiling at each size: the same increments applied by a loop on the server.
 */
export function costTable(metrics: SweepMetrics): string {
  const modes = modesOf(metrics);
  const statement: StatementMode = modes.includes('unprepared') ? 'unprepared' : 'prepared';
  const cells = metrics.cells
    .filter((c) => c.statement === statement && c.cost !== undefined)
    .sort((a, b) => a.size - b.size || a.variant.localeCompare(b.variant));
  if (cells.length === 0) return '';
  const source = cells[0]?.cost?.cpuSource;
  const cpuHead = source === 'pg_stat_statements' ? 'Server us/row' : 'CPU us/row';
  const table = createTable([
    'Batch Size',
    'Variant',
    'Rows/s',
    cpuHead,
    'WAL B/row',
    'FPI share',
    'HOT',
    'Buffers hit/row',
    'read/row',
    'Checkpoints',
    'Autovacuums',
  ]);
  const ceiling = new Map((metrics.ceiling ?? []).map((c) => [c.size, c]));
  let lastSize = -1;
  const pushCeiling = (size: number) => {
    const c = ceiling.get(size);
    if (c === undefined) return;
    table.push([
      rows(size),
      'ceiling',
      formatInteger(c.cost.rowsPerSecond),
      fixed(c.cost.cpuUsPerRow, 1),
      fixed(c.cost.walBytesPerRow, 0),
      share(c.cost.fpiShare),
      share(c.cost.hotShare),
      fixed(c.cost.buffersHitPerRow, 1),
      fixed(c.cost.buffersReadPerRow, 2),
      String(c.cost.checkpoints ?? '-'),
      String(c.cost.autovacuums),
    ]);
  };
  for (const c of cells) {
    const k = c.cost;
    if (k === undefined) continue;
    if (lastSize !== -1 && c.size !== lastSize) pushCeiling(lastSize);
    lastSize = c.size;
    table.push([
      rows(c.size),
      c.variant,
      formatInteger(k.rowsPerSecond),
      fixed(k.cpuUsPerRow, 1),
      fixed(k.walBytesPerRow, 0),
      share(k.fpiShare),
      share(k.hotShare),
      fixed(k.buffersHitPerRow, 1),
      fixed(k.buffersReadPerRow, 2),
      String(k.checkpoints ?? '-'),
      String(k.autovacuums),
    ]);
  }
  if (lastSize !== -1) pushCeiling(lastSize);
  const note = metrics.costNote === undefined ? '' : `\n${metrics.costNote}`;
  return `cost per row in the server (${statement}; each cell's batches alone; CPU: ${source === 'backends' ? "the backends' own, from /proc" : source === 'pg_stat_statements' ? "pg_stat_statements' planning + execution time" : 'not measured'}; ceiling: the same increments by a loop on the server, no client)\n${table.toString()}${note}`;
}

export function pgbenchTable(metrics: SweepMetrics): string {
  const p = metrics.pgbench;
  if (p === null) return '';
  if ('skipped' in p) return `pgbench cross-check skipped: ${p.skipped}`;
  const table = createTable([
    'Variant',
    'Batch Size',
    'Transactions',
    'pgbench',
    'harness',
    'Difference',
  ]);
  for (const c of p)
    table.push([
      c.variant,
      rows(c.size),
      formatInteger(c.transactions),
      ms(c.pgbenchMeanMs),
      ms(c.harnessMeanMs),
      `${c.differencePercent >= 0 ? '+' : ''}${c.differencePercent.toFixed(1)} %`,
    ]);
  return `pgbench cross-check (same statement, same batch, mean latency per transaction)\n${table.toString()}`;
}

/** What the numbers say, in sentences a reviewer can paste into a pull request. */
export function findings(metrics: SweepMetrics): string[] {
  const out: string[] = [];
  const modes = modesOf(metrics);
  const mainMode: StatementMode = modes.includes('unprepared')
    ? 'unprepared'
    : (modes[0] as StatementMode);
  const suffix = (s: StatementMode) => (modes.length > 1 ? ` (${s})` : '');
  for (const c of metrics.crossovers.filter((x) => x.statement === mainMode)) {
    const noise = c.overlapAtCrossover
      ? `; at ${rows(c.fromSize ?? 0)} the interquartile ranges overlap, so the win there is within noise`
      : '';
    out.push(
      c.everySize
        ? `${c.faster} is faster than ${c.slower} at every size measured${suffix(c.statement)}${noise}.`
        : `${c.faster} is faster than ${c.slower} at every size from ${rows(c.fromSize ?? 0)}${suffix(c.statement)}, slower or level below${noise}.`,
    );
  }
  for (const l of metrics.linearity.filter((x) => x.statement === mainMode)) {
    const at = l.ratios.find((r) => r.size === 1000) ?? l.ratios[l.ratios.length - 1];
    if (at === undefined) continue;
    const verdict = at.ratio > DEGRADATION_RATIO ? 'degrades' : 'stays about linear';
    out.push(
      `${l.variant}'s ms/row at ${rows(at.size)} is ${ratio(at.ratio)} its ms/row at ${rows(l.baseSize)} (${at.msPerRow.toFixed(3)} vs ${l.baseMsPerRow.toFixed(3)}): it ${verdict}${suffix(l.statement)}.`,
    );
  }
  const planned = metrics.cells.filter((c) => c.planningShare !== null && c.statement === mainMode);
  for (const variant of [...new Set(planned.map((c) => c.variant))]) {
    const cs = planned.filter((c) => c.variant === variant).sort((a, b) => a.size - b.size);
    const first = cs[0];
    const last = cs[cs.length - 1];
    if (
      first === undefined ||
      last === undefined ||
      first.planningMs === null ||
      last.planningMs === null
    )
      continue;
    out.push(
      `planning is ${pct((first.planningShare ?? 0) * 100)} of ${variant}'s time at ${rows(first.size)} (${ms(first.planningMs)}) and ${pct((last.planningShare ?? 0) * 100)} at ${rows(last.size)} (${ms(last.planningMs)}).`,
    );
  }
  for (const variant of [...new Set(metrics.preparedDelta.map((d) => d.variant))]) {
    const ds = metrics.preparedDelta.filter((d) => d.variant === variant);
    const best = ds.reduce((a, b) => (b.deltaPercent < a.deltaPercent ? b : a));
    out.push(
      best.deltaPercent < 0
        ? `a prepared statement saves ${pct(-best.deltaPercent)} for ${variant} at ${rows(best.size)} (${ms(best.unpreparedMs)} -> ${ms(best.preparedMs)}).`
        : `a prepared statement does not help ${variant} at any size (best: ${best.deltaPercent.toFixed(1)} % at ${rows(best.size)}).`,
    );
  }
  const seedCells = metrics.cells.filter(
    (c) => c.variant === 'correlated' && c.statement === mainMode && SEED_CORRELATED_MS.has(c.size),
  );
  if (seedCells.length > 0) {
    const parts = seedCells.map(
      (c) =>
        `${rows(c.size)} ${ms(c.wallMs.median)} (analysis ${ms(SEED_CORRELATED_MS.get(c.size) ?? 0)})`,
    );
    out.push(`correlated here vs the analysis's measurement: ${parts.join(', ')}.`);
  }
  if (metrics.network !== undefined) out.push(...networkFindings(metrics, mainMode));
  if (metrics.overhead !== null) {
    out.push(
      `harness overhead at ${rows(metrics.overhead.size)}: ${ms(metrics.overhead.clientOverheadMs)} of ${ms(metrics.overhead.medianWallMs)} (${pct(metrics.overhead.percent)}) spent building and serialising the batch; round trip floor ${ms(metrics.roundTripMs)}.`,
    );
  }
  out.push(
    `dead tuples in ${metrics.table.name ?? 'user_goal_progress'}: ${formatInteger(metrics.table.deadTuplesBefore)} before, ${formatInteger(metrics.table.deadTuplesAfter)} after${metrics.table.vacuumBetweenSizes ? ' (VACUUM between sizes)' : ' (no VACUUM between sizes; autovacuum as configured)'}.`,
  );
  return out;
}

/**
 * With --db-latency: how much of each batch was the network (the link's measured round trip
 * times the round trips the proxy counted per batch), and each variant's time without it,
 * which is the server's and the client's.
 */
function networkFindings(metrics: SweepMetrics, mode: StatementMode): string[] {
  const net = metrics.network;
  if (net === undefined) return [];
  const out = [
    `the network: the link held ${ms(net.addedMs)} per round trip (probes: ${ms(net.linkRoundTripMs)} through it) and each batch took ${net.roundTripsPerFlush.toFixed(2)} round trips, so ${ms(net.msPerFlush)} of every batch is the network and the rest the server's and the client's.`,
  ];
  if (net.shortfall !== undefined) out.push(`${net.shortfall}.`);
  const cells = metrics.cells.filter((c) => c.statement === mode);
  for (const variant of [...new Set(cells.map((c) => c.variant))]) {
    const parts = cells
      .filter((c) => c.variant === variant)
      .sort((a, b) => a.size - b.size)
      .map(
        (c) =>
          `${rows(c.size)} ${ms(c.wallMs.median)} = ${ms(net.msPerFlush)} + ${ms(Math.max(0, c.wallMs.median - net.msPerFlush))}`,
      );
    out.push(`${variant}, network + the rest: ${parts.join(', ')}.`);
  }
  return out;
}

/**
 * What `harness sweep` prints, from its result alone: the same text for a sweep just run and
 * for one read back from its file (the golden test holds it to a saved result).
 */
export function renderSweepReport(result: SweepResult): string {
  const { env, config, metrics } = result;
  const sections = [
    `PostgreSQL ${env.postgres.version} (${env.postgres.source}); ${formatInteger(config.players)} players x ${config.goals} goals = ${formatInteger(metrics.seed.rows)} rows, seeded at ${formatInteger(metrics.seed.rowsPerSecond)} rows/s; concurrency ${config.concurrency}`,
    variantTables(metrics),
    ratioTable(metrics),
    preparedTable(metrics),
    statementsTable(metrics),
    costTable(metrics),
    pgbenchTable(metrics),
    `findings:\n${metrics.findings.map((f) => `- ${f}`).join('\n')}`,
  ].filter((section) => section !== '');
  const tail = [
    ...(metrics.machine === undefined ? [] : [machineLoadLine(metrics.machine)]),
    `sweep took ${(metrics.durationMs / 1000).toFixed(1)} s`,
  ];
  return `${sections.join('\n\n')}\n\n${tail.join('\n')}\n`;
}
