import { UsageError } from '../../lib/errors.ts';

/**
 * Threshold expressions, in k6's grammar and meaning:
 *
 *   threshold   = aggregation operator number
 *   aggregation = "avg" | "min" | "max" | "med" | "count" | "rate" | "value" | "p(" number ")"
 *   operator    = "<" | "<=" | ">" | ">=" | "==" | "===" | "!="
 *   number      = ["-"] digits ["." digits]
 *
 * Blanks between the parts are allowed (`p(95) < 50`). Which aggregations a metric offers
 * depends on its type, as in k6: trends avg, min, max, med and p(N) (0 <= N <= 100);
 * rates `rate`; counters `count` and `rate` (per second); gauges `value`. A threshold passes
 * when the comparison holds.
 */
export type Aggregation =
  | { readonly kind: 'avg' | 'min' | 'max' | 'med' | 'count' | 'rate' | 'value' }
  | { readonly kind: 'p'; readonly percentile: number };

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Threshold {
  readonly expression: string;
  readonly aggregation: Aggregation;
  readonly operator: Operator;
  readonly value: number;
}

export type MetricType = 'trend' | 'rate' | 'counter' | 'gauge';

export const AGGREGATIONS_BY_TYPE: Record<MetricType, readonly Aggregation['kind'][]> = {
  trend: ['avg', 'min', 'max', 'med', 'p'],
  rate: ['rate'],
  counter: ['count', 'rate'],
  gauge: ['value'],
};

const EXPRESSION =
  /^\s*(avg|min|max|med|count|rate|value|p\(\s*(\d+(?:\.\d+)?)\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** Parses one expression for a metric of the given type; the error names both. */
export function parseThreshold(metric: string, type: MetricType, expression: string): Threshold {
  const m = EXPRESSION.exec(expression);
  if (m === null) {
    throw new UsageError(
      `threshold "${expression}" on ${metric} does not parse; expected aggregation operator number, like p(95)<50 or rate<0.01`,
    );
  }
  const aggregation: Aggregation =
    m[2] !== undefined
      ? { kind: 'p', percentile: Number(m[2]) }
      : { kind: m[1] as Exclude<Aggregation['kind'], 'p'> };
  if (aggregation.kind === 'p' && aggregation.percentile > 100) {
    throw new UsageError(
      `threshold "${expression}" on ${metric}: a percentile must be between 0 and 100`,
    );
  }
  if (!AGGREGATIONS_BY_TYPE[type].includes(aggregation.kind)) {
    const offered = AGGREGATIONS_BY_TYPE[type].map((k) => (k === 'p' ? 'p(N)' : k)).join(', ');
    throw new UsageError(
      `threshold "${expression}" on ${metric}: a ${type} metric offers ${offered}`,
    );
  }
  const operator = (m[3] === '===' ? '==' : m[3]) as Operator;
  return { expression: expression.trim(), aggregation, operator, value: Number(m[4]) };
}

export function compare(actual: number, operator: Operator, limit: number): boolean {
  switch (operator) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
    case '!=':
      return actual !== limit;
  }
}
