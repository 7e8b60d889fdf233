import { describe, expect, it } from 'vitest';
import { rowCost } from './cost-per-row.ts';
import type { DbCounters } from './db-counters.ts';
import { waitKind } from './wait-sampler.ts';

const before: DbCounters = {
  walBytes: 1_000_000,
  walRecords: 5_000,
  walFpi: 100,
  tupUpd: 10_000,
  tupHotUpd: 9_000,
  blocksHit: 50_000,
  blocksRead: 200,
  checkpoints: 7,
  autovacuums: 3,
  autoanalyzes: 1,
  serverStartedAt: '2026-12-02 10:00:00+00',
};

describe('rowCost: the per-row arithmetic of a window', () => {
  it('divides what each counter moved by the rows the window updated', () => {
    // 400 rows, 48,000 WAL bytes, 440 records of which 44 carry full-page images, 300 HOT.
    const after: DbCounters = {
      walBytes: 1_048_000,
      walRecords: 5_440,
      walFpi: 144,
      tupUpd: 10_400,
      tupHotUpd: 9_300,
      blocksHit: 52_400,
      blocksRead: 240,
      checkpoints: 8,
      autovacuums: 3,
      autoanalyzes: 2,
      serverStartedAt: before.serverStartedAt,
    };
    const cost = rowCost(before, after, {
      rows: 400,
      seconds: 2,
      cpuUs: 8_000,
      cpuSource: 'backends',
    });
    expect(cost).toEqual({
      rows: 400,
      seconds: 2,
      rowsPerSecond: 200,
      cpuUsPerRow: 20,
      cpuSource: 'backends',
      walBytesPerRow: 120,
      fpiPerRow: 0.11,
      fpiShare: 0.1,
      hotShare: 0.75,
      buffersHitPerRow: 6,
      buffersReadPerRow: 0.1,
      checkpoints: 1,
      autovacuums: 0,
      autoanalyzes: 1,
    });
  });

  it('says unmeasured, not zero, for what the server or the machine could not give', () => {
    const old = { ...before, walRecords: null, walFpi: null, checkpoints: null };
    const cost = rowCost(old, { ...old, tupUpd: before.tupUpd }, { rows: 0, seconds: 0 });
    expect(cost.cpuUsPerRow).toBeNull();
    expect(cost.cpuSource).toBeNull();
    expect(cost.fpiPerRow).toBeNull();
    expect(cost.fpiShare).toBeNull();
    expect(cost.checkpoints).toBeNull();
    // No update in the window: no HOT share rather than 0 % of nothing.
    expect(cost.hotShare).toBeNull();
    expect(cost.rowsPerSecond).toBe(0);
    expect(cost.walBytesPerRow).toBe(0);
  });

  it('never reports a counter that went back (statistics reset by a crash) as negative', () => {
    const reset = { ...before, tupUpd: 10, tupHotUpd: 5, blocksHit: 0, autovacuums: 0 };
    const cost = rowCost(before, reset, { rows: 100, seconds: 1 });
    expect(cost.buffersHitPerRow).toBe(0);
    expect(cost.autovacuums).toBe(0);
    expect(cost.hotShare).toBeNull();
  });
});

describe('waitKind: what an active session was doing', () => {
  it.each([
    [null, null, 'cpu'],
    ['Lock', 'transactionid', 'lock'],
    ['IO', 'WALSync', 'walWrite'],
    ['IO', 'WALWrite', 'walWrite'],
    ['IO', 'WalSync', 'walWrite'],
    ['LWLock', 'WALInsert', 'walWrite'],
    ['LWLock', 'WALWriteLock', 'walWrite'],
    ['LWLock', 'WALInsertLock', 'walWrite'],
    ['IO', 'DataFileRead', 'io'],
    ['LWLock', 'BufferContent', 'other'],
    ['Client', 'ClientRead', 'other'],
  ] as const)('%s/%s is %s', (type, event, kind) => {
    expect(waitKind(type, event)).toBe(kind);
  });
});
