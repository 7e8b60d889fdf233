import type { Comparison, ComparisonRow } from './compare-results.ts';

/** Four significant digits, no exponent for the magnitudes the harness measures. */
export function formatFigure(value: number | null): string {
  if (value === null) return '-';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 2 : abs >= 1 ? 3 : 4;
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function formatN(r: ComparisonRow): string {
  return r.nBase === r.nHead ? `n=${r.nBase}` : `n=${r.nBase}+${r.nHead}`;
}

const pct = (ratio: number) => signed((ratio - 1) * 100);

/**
 * The last column: the change as a percentage with its 95 % interval and the trials behind
 * it, then worse/better when the interval excludes no change and the estimate is beyond the
 * noise floor, `~` otherwise; untested rows say why.
 */
export function formatChange(r: ComparisonRow): string {
  if (r.base === null || r.head === null) return r.base === null ? '(head only)' : '(base only)';
  const i = r.interval;
  if (r.verdict === 'untested') {
    const change = r.deltaPercent === null ? '' : `${signed(r.deltaPercent)} `;
    const range =
      i === null
        ? ''
        : `[${pct(i.lower)}, ${pct(i.upper)}] at ${Math.floor(i.confidence * 100)} % `;
    return `${change}${range}(${r.untestedBecause ?? 'not tested'})`;
  }
  if (i === null) return '(not tested)';
  const range = `[${pct(i.lower)}, ${pct(i.upper)}]`;
  const floor = r.floorPercent > 0 ? `, floor ${r.floorPercent.toFixed(1)}%` : '';
  if (r.verdict === 'same') return `~ ${range} (${formatN(r)}${floor})`;
  return `${signed(r.deltaPercent ?? 0)} ${range} (${formatN(r)}${floor}) ${r.verdict}`;
}

function signed(percent: number): string {
  return `${percent >= 0 ? '+' : ''}${percent.toFixed(2)}%`;
}

function geomean(values: readonly number[]): number | null {
  const positive = values.filter((v) => v > 0);
  if (positive.length === 0 || positive.length !== values.length) return null;
  return Math.exp(positive.reduce((s, v) => s + Math.log(v), 0) / positive.length);
}

function sideLine(label: string, s: Comparison['base']): string {
  const sha =
    s.commit === 'unknown' ? 'no git' : `${s.commit.slice(0, 7)}${s.dirty ? '-dirty' : ''}`;
  return `${label}: ${s.path} (${sha}, ${s.trials === 1 ? s.createdAt : `${s.trials} trials, newest ${s.createdAt}`})`;
}

/**
 * Said ahead of every table: a change between sides that ran different things is no
 * measure of the commit.
 */
export function sidesDifferLine(sidesDiffer: string): string {
  return `warning: the sides differ: ${sidesDiffer}. The changes below compare different setups, not only different commits.`;
}

/**
 * The comparison as benchstat prints it: one block per section, label, base and head (the
 * median of each side's trials) and the change with its interval, `~` within the noise.
 * Sweep sections end with the geometric mean, benchstat's summary of a whole table.
 */
export function formatComparison(c: Comparison): string {
  const lines = [`${c.kind} ${c.name}`, sideLine('base', c.base), sideLine('head', c.head)];
  if (c.sidesDiffer !== null) lines.push('', sidesDifferLine(c.sidesDiffer));
  const sections = [...new Set(c.rows.map((r) => r.section))];
  for (const section of sections) {
    const rows = c.rows.filter((r) => r.section === section);
    const table: string[][] = rows.map((r) => [
      r.label,
      formatFigure(r.base),
      formatFigure(r.head),
      formatChange(r),
    ]);
    if (c.kind === 'sweep') {
      const paired = rows.filter((r) => r.base !== null && r.head !== null);
      const gb = geomean(paired.map((r) => r.base as number));
      const gh = geomean(paired.map((r) => r.head as number));
      if (gb !== null && gh !== null)
        table.push(['geomean', formatFigure(gb), formatFigure(gh), signed(((gh - gb) / gb) * 100)]);
    }
    const widths = [0, 1, 2].map((i) =>
      Math.max(['', 'base', 'head'][i]?.length ?? 0, ...table.map((t) => (t[i] ?? '').length)),
    );
    lines.push('', section);
    lines.push(
      `${''.padEnd(widths[0] ?? 0)}  ${'base'.padStart(widths[1] ?? 0)}  ${'head'.padStart(widths[2] ?? 0)}  vs base`,
    );
    for (const t of table)
      lines.push(
        `${(t[0] ?? '').padEnd(widths[0] ?? 0)}  ${(t[1] ?? '').padStart(widths[1] ?? 0)}  ${(t[2] ?? '').padStart(widths[2] ?? 0)}  ${t[3] ?? ''}`.trimEnd(),
      );
  }
  for (const note of c.notes) lines.push('', `note: ${note}`);
  return `${lines.join('\n')}\n`;
}
