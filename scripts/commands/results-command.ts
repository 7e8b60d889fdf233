import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import { keyFigures } from '../../results/key-figures.ts';
import { parseResultText } from '../../results/result-file.ts';
import {
  BASELINES_DIR,
  displayPath,
  indexResults,
  resolveResult,
  type IndexedResult,
} from '../../results/run-index.ts';
import { RUNS_DIR } from '../../results/run-store.ts';
import { migrateResult } from '../../results/schema/migrate-result.ts';
import { SCHEMA_VERSION } from '../../results/schema/result-schema.ts';
import { positiveInt } from '../lib/option-parsers.ts';
import { createTable } from '../../lib/table.ts';
import { UsageError } from '../../lib/errors.ts';
import { mergeCommand } from './results-merge.ts';
import { storeCommands } from './results-store-command.ts';

function shortSha(r: IndexedResult): string {
  const g = r.result.git;
  return g.commit === 'unknown' ? 'no git' : `${g.commit.slice(0, 7)}${g.dirty ? '-dirty' : ''}`;
}

function listCommand(): Command {
  return new Command('list')
    .description('list saved results, newest last: commit, kind, name, verdict and key figures')
    .option('--kind <kind>', 'only sweep, run, simulate or bench results')
    .option('--name <name>', 'only results with this name (sweep-quick, production, ...)')
    .option('--last <n>', 'the newest n', positiveInt('--last'), 20)
    .option('--baselines', `list ${displayPath(BASELINES_DIR)} instead of ${displayPath(RUNS_DIR)}`)
    .action((options: { kind?: string; name?: string; last: number; baselines?: boolean }) => {
      const kinds = ['sweep', 'run', 'simulate', 'bench'];
      if (options.kind !== undefined && !kinds.includes(options.kind))
        throw new UsageError(`--kind "${options.kind}" is not one of ${kinds.join(', ')}`);
      const dir = options.baselines === true ? BASELINES_DIR : RUNS_DIR;
      const index = indexResults(dir);
      const shown = index.results
        .filter(
          (r) =>
            (options.kind === undefined || r.result.kind === options.kind) &&
            (options.name === undefined || r.result.name === options.name),
        )
        .slice(-options.last);
      if (shown.length === 0) {
        process.stdout.write(
          `no saved results in ${displayPath(dir)}${options.kind === undefined && options.name === undefined ? '' : ' matching the filter'}: \`harness sweep\`, \`harness run\` and \`harness check\` save theirs there\n`,
        );
      } else {
        const table = createTable(
          ['When (UTC)', 'Commit', 'Kind', 'Name', 'Verdict', 'Key figures', 'File'],
          ['left', 'left', 'left', 'left', 'left', 'left', 'left'],
        );
        for (const r of shown)
          table.push([
            r.result.createdAt.slice(0, 16).replace('T', ' '),
            shortSha(r),
            r.result.kind,
            r.result.name,
            r.result.verdict?.result ?? '-',
            keyFigures(r.result),
            basename(r.path),
          ]);
        process.stdout.write(`${table.toString()}\n`);
      }
      for (const u of index.unreadable)
        process.stdout.write(`unreadable: ${basename(u.path)}: ${u.problem}\n`);
    });
}

function migrateCommand(): Command {
  return new Command('migrate')
    .description(
      `rewrite results files of an older schema version as version ${SCHEMA_VERSION}, keeping each original as <file>.v<N>.bak`,
    )
    .argument('<files...>', 'results files')
    .action(async (files: string[]) => {
      // Check every file before rewriting any, so a bad one leaves all untouched.
      const plans: { path: string; from: number; text: string }[] = [];
      const problems: string[] = [];
      for (const path of files) {
        let doc: Record<string, unknown>;
        try {
          doc = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
        } catch (error) {
          problems.push(`${path}: ${(error as Error).message}`);
          continue;
        }
        const from = doc.schemaVersion;
        if (from === SCHEMA_VERSION) {
          process.stdout.write(`${path}: already schema version ${SCHEMA_VERSION}\n`);
          continue;
        }
        try {
          const migrated = migrateResult(doc);
          const text = `${JSON.stringify(migrated, null, 2)}\n`;
          parseResultText(text, path);
          plans.push({ path, from: from as number, text });
        } catch (error) {
          problems.push(`${path}: ${(error as Error).message}`);
        }
      }
      if (problems.length > 0)
        throw new UsageError('nothing migrated; these files cannot be:', problems);
      for (const plan of plans) {
        await copyFile(plan.path, `${plan.path}.v${plan.from}.bak`);
        await writeFile(`${plan.path}.tmp`, plan.text);
        await rename(`${plan.path}.tmp`, plan.path);
        process.stdout.write(
          `${plan.path}: schema version ${plan.from} -> ${SCHEMA_VERSION} (original kept as ${plan.path}.v${plan.from}.bak)\n`,
        );
      }
    });
}

function baselineCommand(): Command {
  return new Command('baseline')
    .description(
      `copy a saved result into ${displayPath(BASELINES_DIR)}/<name>.json, the file \`baseline\` refers to (commit it)`,
    )
    .argument('[ref]', 'a results file, a git ref or latest', 'latest')
    .option('--name <name>', 'which result of a commit to take (sweep-quick, production, ...)')
    .action(async (ref: string, options: { name?: string }) => {
      const chosen = resolveResult(ref, options.name === undefined ? {} : { name: options.name });
      await mkdir(BASELINES_DIR, { recursive: true });
      const target = join(BASELINES_DIR, `${chosen.result.name}.json`);
      await copyFile(chosen.path, target);
      process.stdout.write(
        `baseline for ${chosen.result.kind} "${chosen.result.name}": ${displayPath(target)} (from ${basename(chosen.path)}, ${shortSha(chosen)})\n`,
      );
    });
}

/** `harness results`: the store of saved results (list, migrate, baseline). */
export function resultsCommand(): Command {
  const command = new Command('results')
    .description(
      'saved results: list them, migrate old ones, promote one to a baseline, merge shards, push to and pull from the store on a git branch',
    )
    .addCommand(listCommand().exitOverride(), { isDefault: true })
    .addCommand(migrateCommand().exitOverride())
    .addCommand(baselineCommand().exitOverride())
    .addCommand(mergeCommand().exitOverride());
  for (const store of storeCommands()) command.addCommand(store.exitOverride());
  return command;
}
