import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { outputFile } from './option-parsers.ts';

const dir = mkdtempSync(join(tmpdir(), 'harness-output-file-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('outputFile: where a JSON output may be written', () => {
  const parse = outputFile('--output');

  it('takes a new file in an existing folder, and an existing JSON file to replace', () => {
    expect(parse(join(dir, 'new.json'))).toBe(join(dir, 'new.json'));
    writeFileSync(join(dir, 'old.json'), '{"schemaVersion":2}\n');
    expect(parse(join(dir, 'old.json'))).toBe(join(dir, 'old.json'));
  });

  it('refuses to replace a file that is not JSON, and leaves it as it was', () => {
    const path = join(dir, 'passwd');
    writeFileSync(path, 'root:x:0:0:root:/root:/bin/bash\n');
    expect(() => parse(path)).toThrow(
      /--output ".*passwd": exists and is not a JSON file; the harness replaces only JSON files/,
    );
    expect(readFileSync(path, 'utf8')).toBe('root:x:0:0:root:/root:/bin/bash\n');
  });

  it('refuses a folder, a missing folder and an empty path', () => {
    mkdirSync(join(dir, 'sub'));
    expect(() => parse(join(dir, 'sub'))).toThrow(/exists and is not a file/);
    expect(() => parse(join(dir, 'missing', 'x.json'))).toThrow(/the folder .* does not exist/);
    expect(() => parse(' ')).toThrow(/--output needs a file path/);
    expect(() => parse('a\u0000b.json')).toThrow(/cannot hold a NUL character/);
  });
});
