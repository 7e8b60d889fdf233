import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../lib/errors.ts';
import { parseResultText } from './result-file.ts';

const v1 = readFileSync('results/compare/fixtures/sweep-v1.json', 'utf8');
const v2 = readFileSync('results/compare/fixtures/run-base.json', 'utf8');

function problem(text: string): string {
  try {
    parseResultText(text, 'x.json');
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected the file to be refused');
}

describe('parseResultText', () => {
  it('reads a current file', () => {
    expect(parseResultText(v2, 'run-base.json').kind).toBe('run');
  });

  it('names an older schema version and the command that migrates it', () => {
    expect(problem(v1)).toBe(
      'results file x.json is schema version 1; this harness reads version 2. Migrate it with `harness results migrate x.json` (rewrites it in place and keeps the original as x.json.v1.bak)',
    );
  });

  it('says a newer file needs a newer harness', () => {
    expect(problem(v2.replace('"schemaVersion": 2', '"schemaVersion": 7'))).toMatch(
      /schema version 7, newer than this harness reads \(version 2\)/,
    );
  });

  it('says a truncated file looks truncated', () => {
    expect(problem(v2.slice(0, 5000))).toMatch(/is not valid JSON .*looks truncated/);
  });

  it('names every field a hand edit broke', () => {
    const doc = JSON.parse(v2) as {
      metrics: { durationMs: unknown; partitions: { flushes: unknown }[] };
      surprise?: boolean;
    };
    doc.metrics.durationMs = 'fast';
    (doc.metrics.partitions[0] as { flushes: unknown }).flushes = -1;
    doc.surprise = true;
    const message = problem(JSON.stringify(doc));
    expect(message).toMatch(/does not match results schema version 2 \(was it edited by hand\?\)/);
    expect(message).toMatch(/metrics\.durationMs: /);
    expect(message).toMatch(/metrics\.partitions\.0\.flushes: /);
    expect(message).toMatch(/surprise/);
  });

  it('refuses JSON that is no results file', () => {
    expect(problem('{"scenarios": {}}')).toMatch(
      /not a harness results file: it has no "schemaVersion"/,
    );
    expect(problem('[1, 2]')).toMatch(/not a harness results file/);
  });
});
