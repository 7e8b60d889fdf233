import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { PRODUCTION } from '../sut/production-defaults.ts';
import type { ResultFile } from './schema/result-schema.ts';

/**
 * What a result measured, as far as two results must agree on it to be trials of one thing:
 * the SQL form, the statement mode, the scenario and its effective options, partitions,
 * flush interval, and the PostgreSQL it ran against. Read from fields every saved result
 * already holds, so results written before this existed take part too.
 */
export interface ResultIdentity {
  readonly kind: ResultFile['kind'];
  readonly name: string;
  /** The run's SQL variant; null for a sweep, whose rows are per variant already. */
  readonly variant: string | null;
  /** The statement modes a sweep measured; null for a run. */
  readonly statements: string | null;
  /**
   * The scenario file's name. Not its path: `ab` runs each side's copy from a checkout of
   * its own, and what the file does is held by the options' hash.
   */
  readonly scenarioFile: string | null;
  readonly partitions: number | null;
  readonly flushIntervalMs: number | null;
  /** The options not listed apart above, canonical (keys sorted), with their hash. */
  readonly options: Canonical | null;
  readonly optionsHash: string | null;
  readonly postgresVersion: string | null;
  readonly postgresSettings: Readonly<Record<string, string>>;
}

type Canonical = string | number | boolean | null | readonly Canonical[] | CanonicalObject;
interface CanonicalObject {
  readonly [key: string]: Canonical;
}

/** One field in which two results differ, each side's value in words. */
export interface IdentityDifference {
  readonly field: string;
  readonly a: string;
  readonly b: string;
  /** What lies behind a difference of hashes: the option paths that differ. */
  readonly detail?: string;
}

/**
 * Keys of a run's `harness` block left out of the options' hash: listed apart, or (the audit
 * checks a scenario allows to fail) judging a run rather than changing what it ran.
 */
const LISTED_APART = new Set([
  'variant',
  'variants',
  'partitions',
  'flushIntervalMs',
  'allowWrongResults',
]);

/** The sweep config fields that change what a cell measures (the rest change how long). */
const SWEEP_SETUP = ['players', 'goals', 'concurrency', 'vacuumBetweenSizes', 'freshTable'];

export function resultIdentity(result: ResultFile): ResultIdentity {
  const pg = result.env?.postgres;
  const common = {
    kind: result.kind,
    name: result.name,
    postgresVersion: pg?.version ?? null,
    postgresSettings: pg?.settings ?? {},
  };
  const none = {
    variant: null,
    statements: null,
    scenarioFile: null,
    partitions: null,
    flushIntervalMs: null,
  };
  switch (result.kind) {
    case 'run':
      return { ...common, ...runFields(result.name, result.config) };
    case 'sweep': {
      const setup = Object.fromEntries(
        SWEEP_SETUP.flatMap((k) => {
          const value = (result.config as Record<string, unknown>)[k];
          return value === undefined ? [] : [[k, value]];
        }),
      );
      return {
        ...common,
        ...none,
        statements: [...result.config.statements].sort().join(', '),
        ...hashed(setup),
      };
    }
    case 'simulate':
    case 'bench':
      return { ...common, ...none, options: null, optionsHash: null };
  }
}

function runFields(
  name: string,
  config: Record<string, unknown>,
): Omit<ResultIdentity, 'kind' | 'name' | 'postgresVersion' | 'postgresSettings'> {
  const options = isObject(config.options) ? config.options : {};
  const harness = isObject(options.harness) ? options.harness : {};
  const variants = Array.isArray(harness.variants) ? harness.variants.map(String) : [];
  // A run of several variants saves one result per variant, named <scenario>-<variant>.
  const variant =
    typeof harness.variant === 'string'
      ? harness.variant
      : (variants.find((v) => variants.length === 1 || name.endsWith(`-${v}`)) ??
        PRODUCTION.variant);
  const rest = Object.fromEntries(Object.entries(harness).filter(([k]) => !LISTED_APART.has(k)));
  return {
    variant,
    statements: null,
    scenarioFile: typeof config.scenarioFile === 'string' ? basename(config.scenarioFile) : null,
    partitions: typeof harness.partitions === 'number' ? harness.partitions : PRODUCTION.partitions,
    flushIntervalMs:
      typeof harness.flushIntervalMs === 'number'
        ? harness.flushIntervalMs
        : PRODUCTION.flushIntervalMs,
    // Thresholds judge a run and change nothing it measures: tightening one is no new setup.
    ...(isObject(config.options)
      ? hashed({ ...withoutKey(options, 'thresholds'), harness: rest })
      : noOptions),
  };
}

const noOptions = { options: null, optionsHash: null };

function withoutKey(value: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== key));
}

function hashed(value: unknown): { options: Canonical; optionsHash: string } {
  const options = canonical(value);
  return {
    options,
    optionsHash: createHash('sha256').update(JSON.stringify(options)).digest('hex').slice(0, 8),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys sorted at every level, so that equal options hash alike whatever order a file wrote. */
function canonical(value: unknown): Canonical {
  if (Array.isArray(value)) return value.map(canonical);
  if (isObject(value))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => value[k] !== undefined)
        .map((k) => [k, canonical(value[k])]),
    );
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return value;
  return null;
}

/** Where two options differ, as dotted paths with both values (`scenarios.m2.rate 494 vs 900`). */
function optionPaths(a: Canonical, b: Canonical, path: string, out: string[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
      optionPaths(a[k] ?? null, b[k] ?? null, path === '' ? k : `${path}.${k}`, out);
    return;
  }
  const word = (v: Canonical) => (v === null ? 'unset' : JSON.stringify(v));
  out.push(`${path === '' ? 'options' : path} ${word(a)} vs ${word(b)}`);
}

/**
 * Every field in which two results' identities differ. A PostgreSQL setting recorded on one
 * side only is no known difference (a newer harness records more of them).
 */
export function identityDifferences(a: ResultIdentity, b: ResultIdentity): IdentityDifference[] {
  const out: IdentityDifference[] = [];
  const differ = (field: string, x: string | number | null, y: string | number | null) => {
    if (x !== null && y !== null && x !== y) out.push({ field, a: String(x), b: String(y) });
  };
  differ('kind', a.kind, b.kind);
  differ(a.kind === 'run' ? 'scenario' : a.kind, a.name, b.name);
  differ('variant', a.variant, b.variant);
  differ('statement modes', a.statements, b.statements);
  differ('scenario file', a.scenarioFile, b.scenarioFile);
  differ('partitions', a.partitions, b.partitions);
  differ('flush interval (ms)', a.flushIntervalMs, b.flushIntervalMs);
  if (a.optionsHash !== null && b.optionsHash !== null && a.optionsHash !== b.optionsHash) {
    const paths: string[] = [];
    optionPaths(a.options, b.options, '', paths);
    const shown = paths.slice(0, 3).join(', ') + (paths.length > 3 ? ', ...' : '');
    out.push({
      field: a.kind === 'sweep' ? 'table setup' : 'scenario options',
      a: a.optionsHash,
      b: b.optionsHash,
      detail: shown,
    });
  }
  differ('PostgreSQL', a.postgresVersion, b.postgresVersion);
  for (const [setting, value] of Object.entries(a.postgresSettings)) {
    const other = b.postgresSettings[setting];
    if (other !== undefined) differ(setting, value, other);
  }
  return out;
}

/** "variant join vs cte; partitions 8 vs 4": the differences in words, `a` first. */
export function describeDifferences(
  differences: readonly IdentityDifference[],
  labels: { readonly a?: string; readonly b?: string } = {},
): string {
  const tag = (label: string | undefined) => (label === undefined ? '' : ` (${label})`);
  return differences
    .map(
      (d) =>
        `${d.field} ${d.a}${tag(labels.a)} vs ${d.b}${tag(labels.b)}${d.detail === undefined ? '' : ` (${d.detail})`}`,
    )
    .join('; ');
}

/**
 * Why results cannot be one side's trials: each group after the first against the first,
 * with how many results each holds ("variant join (2 results) vs cte (1 result)").
 */
export function describeGroups(
  groups: readonly { identity: ResultIdentity; members: readonly unknown[] }[],
): string {
  const first = groups[0];
  if (first === undefined) return '';
  const count = (n: number) => `${n} result${n === 1 ? '' : 's'}`;
  return groups
    .slice(1)
    .map((g) =>
      describeDifferences(identityDifferences(first.identity, g.identity), {
        a: count(first.members.length),
        b: count(g.members.length),
      }),
    )
    .join('; ');
}

/** Results that run the same thing, oldest first within each group; groups in order of first appearance. */
export function groupByIdentity<T extends { readonly result: ResultFile }>(
  results: readonly T[],
): { identity: ResultIdentity; members: T[] }[] {
  const groups: { identity: ResultIdentity; members: T[] }[] = [];
  for (const r of results) {
    const identity = resultIdentity(r.result);
    const group = groups.find((g) => identityDifferences(g.identity, identity).length === 0);
    if (group === undefined) groups.push({ identity, members: [r] });
    else group.members.push(r);
  }
  return groups;
}

/** True when two results ran the same thing (no field of their identities differs). */
export function sameRun(a: ResultFile, b: ResultFile): boolean {
  return identityDifferences(resultIdentity(a), resultIdentity(b)).length === 0;
}
