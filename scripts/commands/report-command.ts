import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { Command } from 'commander';
import { compareResults } from '../../results/compare/compare-results.ts';
import { resolveResult, type IndexedResult } from '../../results/run-index.ts';
import { resultIdentity } from '../../results/result-identity.ts';
import { REPORTS_DIR, writeReport } from '../../results/report/write-report.ts';
import { UsageError } from '../../lib/errors.ts';

export function reportCommand(): Command {
  return new Command('report')
    .description(
      'write a self-contained HTML report (charts, thresholds, verdict, audit), a Markdown summary for a pull request and JUnit XML of the thresholds and the audit checks',
    )
    .argument('<results...>', 'results files, git refs (newest run of the commit), or latest')
    .option(
      '--compare <ref>',
      'also compare each result with this one (a file, a git ref, latest or baseline); a ref or keyword picks a result of the same kind, name and variant, and where the two still differ in what they ran the comparison says so',
    )
    .option('--out <dir>', 'where to write the three files', REPORTS_DIR)
    .option('--name <name>', 'base name of the files (default: the first result file name)')
    .action(async (refs: string[], options: { compare?: string; out: string; name?: string }) => {
      const results: IndexedResult[] = refs.map((ref) => resolveResult(ref));
      const comparisons = [];
      const comparisonNotes: string[] = [];
      if (options.compare !== undefined) {
        const ref = options.compare;
        if (existsSync(ref)) {
          // One file: compare it with the result(s) of its own kind and name.
          const base = resolveResult(ref);
          const peers = results.filter(
            (r) => r.result.kind === base.result.kind && r.result.name === base.result.name,
          );
          if (peers.length === 0)
            throw new UsageError(
              `--compare ${ref} is a ${base.result.kind} "${base.result.name}", and no result of the report is: compare like with like`,
            );
          for (const r of peers) comparisons.push(compareResults(base, r));
        } else {
          for (const r of results) {
            // A run is compared with a run of its own variant: another variant is another query.
            const variant = resultIdentity(r.result).variant;
            const filter = {
              kind: r.result.kind,
              name: r.result.name,
              exclude: r.path,
              ...(variant === null ? {} : { variant }),
            };
            comparisons.push(compareResults(resolveResult(ref, filter), r));
          }
        }
      }
      const name = options.name ?? basename(results[0]?.path ?? 'report', '.json');
      if (!/^[A-Za-z0-9._-]+$/.test(name))
        throw new UsageError(`--name "${name}" is not a plain file name (letters, digits, . _ -)`);
      const written = await writeReport(
        {
          title: `flush-harness report: ${results.map((r) => r.result.name).join(' + ')}`,
          results,
          comparisons,
          comparisonNotes,
        },
        name,
        options.out,
      );
      process.stdout.write(
        `markdown: ${written.markdown}\njunit: ${written.junit}\nreport: ${written.html}\n`,
      );
    });
}
