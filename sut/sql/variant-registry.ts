import { readdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../lib/errors.ts';
import { sqlForTable, type TargetTable } from '../db/target-table.ts';

/** One SQL form of BatchIncrementProgress: a file in `sut/sql/variants/` (docs/contracts.md). */
export interface SqlVariant {
  readonly name: string;
  /** The statement, taking the seven arrays of docs/production-system.md as $1..$7. */
  readonly sql: string;
  /** The file's leading comment: what the variant is and where it comes from. */
  readonly description: string;
}

/**
 * The suffix a paired A/B sweep gives the base side's copy of a variant (`join_base` beside the
 * head's `join`): the sweep runs such twins back to back and the comparison pairs them.
 */
export const BASE_SUFFIX = '_base';

/**
 * The suffix of a second copy of the base side's file (`join_aa` beside `join_base`): an A/A
 * twin timed in the same rounds, from which a paired session with no calibration at hand
 * measures its own noise floor.
 */
export const AA_SUFFIX = '_aa';

export const VARIANTS_DIR = fileURLToPath(new URL('./variants/', import.meta.url));
const PARAMETER_COUNT = 7;

/** A folder of variant files named by the user, as the registry reads it; exit 2 when it is not one. */
export function variantsDirectory(dir: string): string {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (error) {
    throw new UsageError(
      `--variants-dir "${dir}" cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): expected a folder of .sql variant files`,
    );
  }
  if (!entries.some((f) => f.endsWith('.sql')))
    throw new UsageError(
      `--variants-dir "${dir}" holds no .sql file: expected a folder of variant files`,
    );
  return dir.endsWith('/') ? dir : `${dir}/`;
}

export async function listVariantNames(dir = VARIANTS_DIR): Promise<string[]> {
  return (await readdir(dir))
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.slice(0, -'.sql'.length))
    .sort();
}

function leadingComment(sql: string): string {
  const lines: string[] = [];
  for (const line of sql.split('\n')) {
    if (!line.startsWith('--')) break;
    lines.push(line.replace(/^--\s?/, ''));
  }
  return lines.join('\n').trim();
}

/** Checks the file against the contract, so a broken new variant fails at load, not mid-sweep. */
function contractProblems(name: string, sql: string): string[] {
  const problems: string[] = [];
  if (leadingComment(sql) === '')
    problems.push(`${name}.sql must start with a comment saying what it is`);
  const used = new Set([...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
  for (let i = 1; i <= PARAMETER_COUNT; i++) {
    if (!used.has(i))
      problems.push(`${name}.sql never uses $${i}; every variant must accept all seven parameters`);
  }
  for (const n of used) {
    if (n > PARAMETER_COUNT)
      problems.push(`${name}.sql uses $${n}; only $1..$${PARAMETER_COUNT} exist`);
  }
  if (/;\s*\S/.test(sql.replace(/--.*$/gm, '')))
    problems.push(`${name}.sql must hold a single statement`);
  return problems;
}

export async function loadVariant(name: string, dir = VARIANTS_DIR): Promise<SqlVariant> {
  const names = await listVariantNames(dir);
  if (!names.includes(name)) {
    throw new UsageError(`unknown SQL variant "${name}"; the variants are: ${names.join(', ')}`);
  }
  const sql = (await readFile(`${dir}${name}.sql`, 'utf8')).trim();
  const problems = contractProblems(name, sql);
  if (problems.length > 0)
    throw new UsageError(`SQL variant "${name}" breaks the variant contract:`, problems);
  return { name, sql: sql.replace(/;\s*$/, ''), description: leadingComment(sql) };
}

/** The variant aimed at `table` (the harness's own, or the user's `--table`), schema-qualified. */
export function variantFor(variant: SqlVariant, table: TargetTable): SqlVariant {
  return { ...variant, sql: sqlForTable(variant.sql, table) };
}

/** Loads the named variants, or all of them; reports every unknown name at once. */
export async function loadVariants(
  names?: readonly string[],
  dir = VARIANTS_DIR,
): Promise<SqlVariant[]> {
  const available = await listVariantNames(dir);
  const wanted = names === undefined || names.length === 0 ? available : [...new Set(names)];
  const unknown = wanted.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown SQL variant${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}; the variants are: ${available.join(', ')}`,
    );
  }
  return Promise.all(wanted.map((n) => loadVariant(n, dir)));
}
