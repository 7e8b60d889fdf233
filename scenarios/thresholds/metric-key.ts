import { UsageError } from '../../lib/errors.ts';
import { METRIC_TAGS } from '../../results/metric-registry.ts';

/** Which samples a sub-metric keeps; no tag: all of them. */
export interface MetricFilter {
  readonly scenario?: string;
  readonly partition?: number;
  readonly variant?: string;
}

export interface MetricKey {
  readonly metric: string;
  readonly filter: MetricFilter;
  /** As k6 writes it: the metric, then `{tag:value,...}` in a fixed order (none: the metric alone). */
  readonly key: string;
}

const KEY = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\{([^{}]*)\})?\s*$/;

/** `metric` or `metric{tag:value, ...}`; a UsageError names the key and what is wrong. */
export function parseMetricKey(text: string): MetricKey {
  const m = KEY.exec(text);
  if (m === null)
    throw new UsageError(
      `threshold metric "${text}" does not parse; expected a metric, or a metric with tags like flush_duration{scenario:steady}`,
    );
  const metric = m[1] as string;
  const filter: { scenario?: string; partition?: number; variant?: string } = {};
  for (const part of (m[2] ?? '').split(',').filter((p) => p.trim() !== '')) {
    const colon = part.indexOf(':');
    const tag = part.slice(0, colon).trim();
    const value = part.slice(colon + 1).trim();
    if (colon < 0 || value === '' || !(METRIC_TAGS as readonly string[]).includes(tag))
      throw new UsageError(
        `threshold metric "${text}": "${part.trim()}" is not tag:value with a tag of ${METRIC_TAGS.join(', ')}`,
      );
    if (Object.hasOwn(filter, tag))
      throw new UsageError(`threshold metric "${text}": tag ${tag} is given twice`);
    if (tag === 'partition') {
      if (!/^\d+$/.test(value))
        throw new UsageError(
          `threshold metric "${text}": partition must be a number, got ${value}`,
        );
      filter.partition = Number(value);
    } else if (tag === 'scenario') filter.scenario = value;
    else filter.variant = value;
  }
  return { metric, filter, key: `${metric}${formatFilter(filter)}` };
}

/** `{scenario:steady,partition:3}`, or '' for no filter. */
export function formatFilter(filter: MetricFilter): string {
  const parts = METRIC_TAGS.flatMap((tag) =>
    filter[tag] === undefined ? [] : [`${tag}:${String(filter[tag])}`],
  );
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

export function isUnfiltered(filter: MetricFilter): boolean {
  return (
    filter.scenario === undefined && filter.partition === undefined && filter.variant === undefined
  );
}
