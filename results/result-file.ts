import { UsageError } from '../lib/errors.ts';
import { OLDEST_MIGRATABLE } from './schema/migrate-result.ts';
import { resultSchema, SCHEMA_VERSION, type ResultFile } from './schema/result-schema.ts';

/** How many schema problems a message lists before it says "and N more". */
const MAX_PROBLEMS = 12;

/**
 * Validates the text of one results file. Every way a file can be unusable ends in a
 * UsageError that names the file and says what is wrong with it and what to do: not JSON
 * (truncated, say), not a results file, another schema version (and how to migrate), or
 * fields that do not match the schema (hand-edited, say).
 */
export function parseResultText(text: string, path: string): ResultFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `results file ${path} is not valid JSON (${(error as Error).message})${text.trimEnd().endsWith('}') ? '' : '; it looks truncated: was the run interrupted while writing it?'}`,
    );
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !('schemaVersion' in doc))
    throw new UsageError(
      `${path} is not a harness results file: it has no "schemaVersion" (results files are what \`harness sweep\`, \`harness run\` and the benchmarks write)`,
    );
  const version = doc.schemaVersion;
  if (version !== SCHEMA_VERSION) {
    if (typeof version === 'number' && Number.isInteger(version) && version > SCHEMA_VERSION)
      throw new UsageError(
        `results file ${path} is schema version ${version}, newer than this harness reads (version ${SCHEMA_VERSION}): run a newer harness (check out the commit that wrote it)`,
      );
    if (typeof version === 'number' && version >= OLDEST_MIGRATABLE)
      throw new UsageError(
        `results file ${path} is schema version ${version}; this harness reads version ${SCHEMA_VERSION}. Migrate it with \`harness results migrate ${path}\` (rewrites it in place and keeps the original as ${path}.v${version}.bak)`,
      );
    throw new UsageError(
      `results file ${path} has schemaVersion ${JSON.stringify(version)}, which is no version this harness knows (it reads ${SCHEMA_VERSION} and migrates from ${OLDEST_MIGRATABLE})`,
    );
  }
  const parsed = resultSchema.safeParse(doc);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.length === 0 ? '(top level)' : i.path.join('.')}: ${i.message}`,
    );
    const shown = problems.slice(0, MAX_PROBLEMS);
    if (problems.length > MAX_PROBLEMS) shown.push(`and ${problems.length - MAX_PROBLEMS} more`);
    throw new UsageError(
      `results file ${path} does not match results schema version ${SCHEMA_VERSION} (was it edited by hand?):`,
      shown,
    );
  }
  return parsed.data;
}
