import { existsSync } from 'node:fs';
import { Command } from 'commander';
import {
  compareResults,
  regressionsBeyond,
  type Comparison,
} from '../../results/compare/compare-results.ts';
import { formatComparison } from '../../results/compare/compare-format.ts';
import { resolveResult, type IndexedResult } from '../../results/run-index.ts';
import { saveResult } from '../../results/run-store.ts';
import { UsageError } from '../lib/usage-error.ts';

/** A significant regression beyond --fail-on-regression: the CI gate, exit code 99 like a failed threshold. */
export class RegressionError extends Error {
  override readonly name = 'RegressionError';
}

export function percent(flag: string) {
  return (value: string): number => {
    const n = Number(value.replace(/%$/, ''));
    if (value.trim() === '' || !Number.isFinite(n) || n < 0)
      throw new UsageError(
        `${flag} "${value}" is not a percentage (a number >= 0, such as 5 or 5%)`,
      );
    return n;
  };
}

/**
 * Resolves both sides so that a keyword or git ref on one side is matched to the other's kind
 * and name: the concrete file first when there is one, else head, whose kind and name then
 * pick base.
 */
export function resolvePair(
  baseRef: string,
  headRef: string,
  name?: string,
): { base: IndexedResult; head: IndexedResult } {
  const baseFirst = existsSync(baseRef) && !existsSync(headRef);
  const first = resolveResult(baseFirst ? baseRef : headRef, name === undefined ? {} : { name });
  const second = resolveResult(baseFirst ? headRef : baseRef, {
    kind: first.result.kind,
    name: first.result.name,
    exclude: first.path,
  });
  return baseFirst ? { base: first, head: second } : { base: second, head: first };
}

/** Throws RegressionError when `comparison` has a significant regression beyond `pct`. */
export function gateRegressions(comparison: Comparison, pct: number): void {
  const worse = regressionsBeyond(comparison, pct);
  if (worse.length > 0)
    throw new RegressionError(
      `${worse.length} significant regression${worse.length === 1 ? '' : 's'} beyond ${pct}%: ${worse
        .map((r) => `${r.label} ${(r.deltaPercent ?? 0).toFixed(2)}%`)
        .join(', ')}`,
    );
}

export function compareCommand(): Command {
  return new Command('compare')
    .description(
      'compare two results metric by metric, benchstat-style: base, head, change, and ~ when within noise (Mann-Whitney U, p < 0.05)',
    )
    .argument('<base>', 'a results file, a git ref (its newest saved run), latest, or baseline')
    .argument('<head>', 'the same forms as <base>')
    .option('--name <name>', 'which result of a commit to take (sweep-quick, production, ...)')
    .option(
      '--fail-on-regression <pct>',
      'exit with code 99 when a significant change for the worse exceeds pct percent',
      percent('--fail-on-regression'),
    )
    .option('--json <path>', 'also write the comparison as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  harness compare baseline latest\n  harness compare HEAD~1 HEAD --name production --fail-on-regression 10\n  harness compare results/runs/a.json results/runs/b.json',
    )
    .action(
      async (
        baseRef: string,
        headRef: string,
        options: { name?: string; failOnRegression?: number; json?: string },
      ) => {
        const { base, head } = resolvePair(baseRef, headRef, options.name);
        const comparison = compareResults(base, head);
        process.stdout.write(formatComparison(comparison));
        if (options.json !== undefined) {
          const path = await saveResult(comparison, options.json);
          process.stdout.write(`comparison: ${path}\n`);
        }
        if (options.failOnRegression !== undefined)
          gateRegressions(comparison, options.failOnRegression);
      },
    );
}
