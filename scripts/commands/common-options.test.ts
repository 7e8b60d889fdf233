import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/logger.ts';
import {
  addDatabaseOptions,
  databaseArgs,
  databaseFrom,
  type DatabaseOptions,
} from './common-options.ts';

function parse(args: readonly string[]): DatabaseOptions {
  const command = addDatabaseOptions(new Command('x')).exitOverride();
  command.parse([...args], { from: 'user' });
  return command.opts<DatabaseOptions>();
}

describe('database options', () => {
  it('survive the round trip to another harness process (what harness check does)', () => {
    const given = [
      '--db',
      'embedded',
      '--create-postgres-user',
      '--pg-setting',
      'search_path=a, b',
      '--pg-setting',
      'my.opt=x=y',
      '--pg-setting',
      'WORK_MEM=8MB',
      '--pg-setting',
      'work_mem=16MB',
      '--schema',
      'load_tests',
      '--table',
      'staging.progress_copy',
      '--replace-rows',
      '--allow-triggers',
    ];
    const flags = parse(given);
    expect(flags.pgSetting).toEqual({ search_path: 'a, b', 'my.opt': 'x=y', work_mem: '16MB' });
    expect(flags.table).toEqual({ schema: 'staging', name: 'progress_copy' });
    expect(parse(databaseArgs(flags))).toEqual(flags);
  });

  it('give withDatabase the settings, and leave createPostgresUser to the environment unless the flag is given', () => {
    const plain = databaseFrom(parse([]), silentLogger);
    expect(plain).toEqual({
      source: 'auto',
      logger: silentLogger,
      schema: 'flush_harness',
      replaceRows: false,
    });
    expect(databaseArgs(parse([]))).toEqual(['--db', 'auto', '--schema', 'flush_harness']);
    expect(
      databaseFrom(parse(['--create-postgres-user', '--pg-setting', 'jit=off']), silentLogger),
    ).toEqual({
      source: 'auto',
      logger: silentLogger,
      createPostgresUser: true,
      settings: { jit: 'off' },
      schema: 'flush_harness',
      replaceRows: false,
    });
    expect(() => databaseFrom(parse(['--replace-rows']), silentLogger)).toThrow(
      /--replace-rows goes with --table/,
    );
    expect(() => databaseFrom(parse(['--allow-triggers']), silentLogger)).toThrow(
      /--allow-triggers goes with --table/,
    );
  });

  it("name the flag when refusing --schema's value, not the default", () => {
    expect(() => parse(['--schema', 'pg_catalog'])).toThrow(
      /^--schema "pg_catalog": the harness needs a schema of its own/,
    );
    expect(() => parse(['--schema', 'Foo'])).toThrow(/^--schema "Foo" is not a plain schema name/);
  });
});
