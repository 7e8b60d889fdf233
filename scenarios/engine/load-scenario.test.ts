import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isUsageError } from '../../lib/errors.ts';
import {
  loadScenario,
  MAX_SCENARIO_BYTES,
  resolveScenarioPath,
  shippedScenarios,
} from './load-scenario.ts';

// Scenario files live in the user's own repository: a folder with no package.json, so no
// `"type": "module"` to tell Node how to read them.
const root = mkdtempSync(join(tmpdir(), 'harness-user-scenarios-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
function scenarioFile(extension: string, text: string): string {
  const dir = join(root, `case-${n++}`);
  mkdirSync(dir);
  const path = join(dir, `my-scenario${extension}`);
  writeFileSync(path, text);
  return path;
}

const OPTIONS = `{
  scenarios: { steady: { executor: 'constant-arrival-rate', rate: 25, duration: '2s' } },
  thresholds: { dropped_events: ['count==0'] },
}`;

async function loadError(path: string): Promise<string> {
  const error = await loadScenario(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isUsageError(error), String(error)).toBe(true);
  return (error as Error).message;
}

describe('loading a scenario file from outside this repository', () => {
  it.each([
    [
      '.ts',
      `import type { ScenarioOptions } from 'flush-harness';\nexport const options: ScenarioOptions = ${OPTIONS};\n`,
    ],
    ['.ts', `export const options = ${OPTIONS};\n`],
    ['.mts', `export const options = ${OPTIONS} as const;\n`],
    ['.js', `export const options = ${OPTIONS};\n`],
    ['.mjs', `export const options = ${OPTIONS};\n`],
    ['.js', `module.exports = { options: ${OPTIONS} };\n`],
  ])('%s: %s', async (extension, text) => {
    const path = scenarioFile(extension, text);
    const loaded = await loadScenario(path);
    expect(loaded.path).toBe(path);
    expect(loaded.options.scenarios.steady).toMatchObject({ rate: 25, duration: '2s' });
  });

  it('names a bare file with a script extension as a path, and lists the shipped scenarios from the folder', () => {
    expect(() => resolveScenarioPath('my-own.mjs')).toThrow(/my-own\.mjs" not found/);
    const shipped = shippedScenarios();
    for (const name of ['smoke', 'production', 'breakpoint', 'kafka-6x'])
      expect(shipped).toContain(name);
    expect(() => resolveScenarioPath('nope')).toThrow(new RegExp(shipped.join(', ')));
  });
});

describe('a scenario file that misbehaves gets a clear UsageError naming it', () => {
  it.each([
    ['throw null;\nexport const options = {};\n', /cannot be loaded: it threw null/],
    ["throw 'boom';\nexport const options = {};\n", /cannot be loaded: it threw boom/],
    ["throw new Error('my bug');\n", /cannot be loaded: my bug/],
    [
      "throw { toString() { throw new Error('worse'); } };\n",
      /cannot be loaded: it threw an object/,
    ],
    [
      "export const options = { get scenarios() { throw new Error('getter'); } };\n",
      /its options cannot be read: getter/,
    ],
    [
      "export const options = new Proxy({}, { get() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); } });\n",
      /its options cannot be read: trap|is not valid/,
    ],
    ['export default 42;\n', /must export `options`/],
    ['export const options = ;\n', /cannot be loaded/],
  ])('%s', async (text, message) => {
    const path = scenarioFile('.ts', text);
    const got = await loadError(path);
    expect(got).toContain(path);
    expect(got).toMatch(message);
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'a threshold on "%s" is refused as an unknown metric',
    async (metric) => {
      const path = scenarioFile(
        '.ts',
        `export const options = { scenarios: { s: { executor: 'constant-arrival-rate', rate: 1, duration: '1s' } }, thresholds: { ['${metric}']: ['p(95)<1'] } };\n`,
      );
      expect(await loadError(path)).toMatch(/threshold metrics are flush_size/);
    },
  );
});

describe('a scenario path that is not a small regular file is refused before it is read', () => {
  it.each([
    ['/dev/zero', /scenario \/dev\/zero is a character device, not a regular file/],
    ['a directory', /scenario .*case-\d+ is a directory, not a regular file/],
    ['a FIFO', /scenario .*fifo\.ts is a FIFO \(named pipe\), not a regular file/],
  ])('%s', async (kind, message) => {
    let path = kind;
    if (kind === 'a directory') {
      path = join(root, `case-${n++}`);
      mkdirSync(path);
    } else if (kind === 'a FIFO') {
      const dir = join(root, `case-${n++}`);
      mkdirSync(dir);
      path = join(dir, 'fifo.ts');
      // No writer ever opens it: reading it would block for ever.
      execFileSync('mkfifo', [path]);
    }
    expect(await loadError(path)).toMatch(message);
  });

  it('a file larger than 1 MiB', async () => {
    const path = scenarioFile(
      '.ts',
      `export const options = ${OPTIONS};\n//${'x'.repeat(MAX_SCENARIO_BYTES)}\n`,
    );
    expect(await loadError(path)).toMatch(
      /is 1,048,\d{3} bytes; a scenario file may be at most 1,048,576 bytes \(1 MiB\)/,
    );
  });
});
