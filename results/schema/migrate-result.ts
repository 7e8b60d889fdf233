import { SCHEMA_VERSION } from './result-schema.ts';

type Json = Record<string, unknown>;

/**
 * One step per schema version: `MIGRATIONS[n]` turns a version-n document into version n+1.
 * Each step only adds or reshapes what changed, so a file keeps every figure it had.
 */
const MIGRATIONS: Record<number, (doc: Json) => Json> = {
  // 2: runs keep the service's histograms (for compare and reports); older runs have none.
  1: (doc) =>
    doc.kind === 'run' && typeof doc.metrics === 'object' && doc.metrics !== null
      ? { ...doc, schemaVersion: 2, metrics: { ...(doc.metrics as Json), histograms: null } }
      : { ...doc, schemaVersion: 2 },
};

/** The oldest version this harness can migrate from. */
export const OLDEST_MIGRATABLE = Math.min(...Object.keys(MIGRATIONS).map(Number));

/** Brings a parsed results document of an older schema version up to the current one. */
export function migrateResult(doc: Json): Json {
  let current = doc;
  for (;;) {
    const version = current.schemaVersion;
    if (version === SCHEMA_VERSION) return current;
    const step = typeof version === 'number' ? MIGRATIONS[version] : undefined;
    if (step === undefined)
      throw new RangeError(`no migration from schema version ${String(version)}`);
    current = step(current);
  }
}
