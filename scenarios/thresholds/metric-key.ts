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

/**
 * The tags a scenario file sets (k6's `options.tags` and each scenario's `tags`): a threshold
 * that names one selects the samples of the scenarios that carry it.
 */
export interface CustomTags {
  readonly global: Readonly<Record<string, string>>;
  readonly scenarios: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

const KEY = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\{([^{}]*)\})?\s*$/;

/**
 * `metric` or `metric{tag:value, ...}`; a UsageError names the key and what is wrong. With
 * the file's own tags, a tag of theirs selects the one scenario that carries it (or every
 * sample, when all do).
 */
export function parseMetricKey(text: string, custom?: CustomTags): MetricKey {
  const m = KEY.exec(text);
  if (m === null)
    throw new UsageError(
      `threshold metric "${text}" does not parse; expected a metric, or a metric with tags like flush_duration{scenario:steady}`,
    );
  const metric = m[1] as string;
  const filter: { scenario?: string; partition?: number; variant?: string } = {};
  const own: [string, string][] = [];
  for (const part of (m[2] ?? '').split(',').filter((p) => p.trim() !== '')) {
    const colon = part.indexOf(':');
    const tag = part.slice(0, colon).trim();
    const value = part.slice(colon + 1).trim();
    if (
      custom !== undefined &&
      colon > 0 &&
      value !== '' &&
      !(METRIC_TAGS as readonly string[]).includes(tag)
    ) {
      if (own.some(([t]) => t === tag))
        throw new UsageError(`threshold metric "${text}": tag ${tag} is given twice`);
      own.push([tag, value]);
      continue;
    }
    if (colon < 0 || value === '' || !(METRIC_TAGS as readonly string[]).includes(tag))
      throw new UsageError(
        `threshold metric "${text}": "${part.trim()}" is not tag:value with a tag of ${METRIC_TAGS.join(', ')}${custom === undefined ? '' : ", or one of the file's tags"}`,
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
  const written = formatFilter(filter);
  if (own.length === 0 || custom === undefined)
    return { metric, filter, key: `${metric}${written}` };
  const ownText = own.map(([t, v]) => `${t}:${v}`).join(',');
  const key = `${metric}{${written === '' ? ownText : `${written.slice(1, -1)},${ownText}`}}`;
  const names = Object.keys(custom.scenarios);
  const carrying = names.filter((name) =>
    own.every(([t, v]) => (custom.scenarios[name]?.[t] ?? custom.global[t]) === v),
  );
  if (carrying.length === 0)
    throw new UsageError(
      `threshold metric "${text}": no scenario carries ${ownText} (options.tags and each scenario's tags)`,
    );
  if (carrying.length === names.length) return { metric, filter, key };
  if (carrying.length > 1)
    throw new UsageError(
      `threshold metric "${text}": ${ownText} is on scenarios ${carrying.join(', ')}; a threshold judges one scenario's samples or the whole run's`,
    );
  const scenario = carrying[0] as string;
  if (filter.scenario !== undefined && filter.scenario !== scenario)
    throw new UsageError(
      `threshold metric "${text}": ${ownText} is on scenario ${scenario}, not ${filter.scenario}`,
    );
  return { metric, filter: { ...filter, scenario }, key };
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
