import { describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/errors.ts';
import {
  collectPgSetting,
  HARNESS_SERVER_SETTINGS,
  parsePgSetting,
  rejectedSetting,
  serverSettings,
  settingFlags,
} from './server-settings.ts';

describe('--pg-setting', () => {
  it('parses name=value, keeping "=" inside the value', () => {
    expect(parsePgSetting('shared_buffers=1GB')).toEqual(['shared_buffers', '1GB']);
    expect(parsePgSetting('auto_explain.log_min_duration=0')).toEqual([
      'auto_explain.log_min_duration',
      '0',
    ]);
    expect(parsePgSetting('search_path=a=b')).toEqual(['search_path', 'a=b']);
    // PostgreSQL takes an empty value too (shared_preload_libraries= preloads nothing).
    expect(parsePgSetting('shared_preload_libraries=')).toEqual(['shared_preload_libraries', '']);
    expect(parsePgSetting('my.custom.name=1')).toEqual(['my.custom.name', '1']);
  });

  it.each(['shared_buffers', '=1GB', '1abc=2', 'a b=1', 'a..b=1', '.a=1'])(
    'refuses %j naming the flag and the expected form',
    (text) => {
      expect(() => parsePgSetting(text)).toThrow(UsageError);
      expect(() => parsePgSetting(text)).toThrow(`--pg-setting "${text}" is not name=value`);
    },
  );

  it.each(['port=6543', 'LISTEN_ADDRESSES=*', 'data_directory=/tmp/x', 'config_file=/etc/pg.conf'])(
    'refuses %j: the harness chooses where its server listens and keeps its files',
    (text) => {
      expect(() => parsePgSetting(text)).toThrow(/the harness sets where its server listens/);
    },
  );

  it('collects repeated flags, the later of one name (in any case) winning', () => {
    expect(collectPgSetting('WORK_MEM=8MB', collectPgSetting('work_mem=4MB'))).toEqual({
      WORK_MEM: '8MB',
    });
    const once = collectPgSetting('work_mem=4MB');
    expect(collectPgSetting('work_mem=8MB', collectPgSetting('max_wal_size=4GB', once))).toEqual({
      work_mem: '8MB',
      max_wal_size: '4GB',
    });
  });
});

describe('server settings', () => {
  it("lays the user's settings over the harness's, names compared case-insensitively", () => {
    const merged = serverSettings({ SHARED_BUFFERS: '128MB', work_mem: '8MB' });
    expect(merged).toEqual({
      shared_preload_libraries: 'pg_stat_statements',
      TimeZone: 'UTC',
      SHARED_BUFFERS: '128MB',
      work_mem: '8MB',
    });
    expect(serverSettings()).toEqual(HARNESS_SERVER_SETTINGS);
  });

  it('turns settings into postgres -c arguments', () => {
    expect(settingFlags({ a: '1', b: 'x y' })).toEqual(['-c', 'a=1', '-c', 'b=x y']);
  });

  it("finds PostgreSQL's complaint about a setting the user gave, and only such", () => {
    const log = [
      'waiting for server to start\n2026-11-28 17:00:03.615 GMT [8158] FATAL:  invalid value for parameter "shared_buffers": "plenty"\nmore',
    ];
    const refused = rejectedSetting(log, { Shared_Buffers: 'plenty' });
    expect(refused?.message).toBe(
      '--pg-setting Shared_Buffers: PostgreSQL refused it: invalid value for parameter "shared_buffers": "plenty". Expected a setting PostgreSQL accepts, with a value in its units (e.g. shared_buffers=1GB)',
    );
    expect(rejectedSetting(log, { work_mem: '1MB' })).toBeUndefined();
    expect(
      rejectedSetting(['FATAL:  could not map anonymous shared memory'], { shared_buffers: '1TB' }),
    ).toBeUndefined();
  });
});
