import type { RunResult } from '../schema/result-schema.ts';
import type { ScenarioSpan } from './scenario-spans.ts';

/** The per-second series a threshold can be drawn on. */
export type PlottedField = 'flushP95Ms' | 'eventToCommitP99Ms' | 'eventsPerSecond';

/** A threshold's limit as a horizontal line on the series it limits. */
export interface ThresholdLine {
  readonly field: PlottedField;
  readonly label: string;
  readonly value: number;
  readonly ok: boolean;
  /** The seconds its scenario ran, when the threshold names one; null: the whole run. */
  readonly from: number | null;
  readonly to: number | null;
}

/**
 * Which series shows which metric under which aggregation. A threshold on another
 * aggregation (an event-to-commit p(95) beside a plotted p99) is left off: its line would
 * read as a limit of the curve it is drawn on, which it is not.
 */
const PLOTTED: readonly { metric: string; aggregation: string; field: PlottedField }[] = [
  { metric: 'flush_duration', aggregation: 'p(95)', field: 'flushP95Ms' },
  { metric: 'event_to_commit', aggregation: 'p(99)', field: 'eventToCommitP99Ms' },
  { metric: 'events_per_second', aggregation: 'value', field: 'eventsPerSecond' },
];

/** `p(95)<50`: the aggregation and the limit; null for what is not a comparison with a number. */
function parseExpression(expression: string): { aggregation: string; value: number } | null {
  const m = /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)\s*(?:<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(
    expression,
  );
  return m === null ? null : { aggregation: m[1] as string, value: Number(m[2]) };
}

/** `flush_duration{scenario:steady}`: the metric and the scenario it is filtered to, if any. */
function parseMetric(key: string): { metric: string; scenario: string | null } {
  const m = /^([a-z_]+)(?:\{(.*)\})?$/.exec(key);
  if (m === null) return { metric: key, scenario: null };
  const tags = (m[2] ?? '').split(',').map((t) => t.split(':', 2));
  const scenario = tags.find(([k]) => k?.trim() === 'scenario')?.[1]?.trim() ?? null;
  return { metric: m[1] as string, scenario };
}

/** The run's thresholds that limit a plotted series, each over the seconds it judges. */
export function thresholdLines(r: RunResult, spans: readonly ScenarioSpan[]): ThresholdLine[] {
  return r.thresholds.flatMap((t) => {
    const expression = parseExpression(t.expression);
    if (expression === null) return [];
    const { metric, scenario } = parseMetric(t.metric);
    const plotted = PLOTTED.find(
      (p) => p.metric === metric && p.aggregation === expression.aggregation,
    );
    if (plotted === undefined) return [];
    const span = scenario === null ? undefined : spans.find((s) => s.name === scenario);
    return [
      {
        field: plotted.field,
        label: `${t.metric} ${t.expression}`,
        value: expression.value,
        ok: t.ok,
        from: span?.start ?? null,
        to: span?.end ?? null,
      },
    ];
  });
}
