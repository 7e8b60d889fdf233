import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { machineKindKey, sameKind } from '../machine-kind.ts';
import { localPathOf, prunePlan, timeOfName } from './store-layout.ts';

const sha = (d: string) => d.repeat(40);

describe('the results store layout', () => {
  it('puts each store path where the local harness reads it, and nothing else', () => {
    expect(localPathOf(`runs/${sha('a')}/20261201T100000Z_aaaaaaa_sweep-quick.json`, '/r')).toBe(
      join('/r', 'runs', '20261201T100000Z_aaaaaaa_sweep-quick.json'),
    );
    expect(localPathOf('kinds/k/calibration/20261201T100000Z_sweep-x.json', '/r')).toBe(
      join('/r', 'calibration', '20261201T100000Z_sweep-x.json'),
    );
    expect(
      localPathOf('kinds/k/sessions/20261201T100000Z_a_b_paired/paired/trial-01.json', '/r'),
    ).toBe(join('/r', 'ab', '20261201T100000Z_a_b_paired', 'paired', 'trial-01.json'));
    expect(localPathOf('store.json', '/r')).toBeUndefined();
    expect(localPathOf('kinds/k/sessions/../paired/x.json', '/r')).toBeUndefined();
    expect(localPathOf('runs/notasha/x.json', '/r')).toBeUndefined();
    expect(localPathOf(`runs/${sha('a')}/../../etc/passwd`, '/r')).toBeUndefined();
  });

  it('prunes per category: runs by commit, and each kind of machine by its own sessions and calibrations', () => {
    const paths = [
      `runs/${sha('1')}/20261201T100000Z_1111111_sweep-quick.json`,
      `runs/${sha('1')}/20261201T100100Z_1111111_production.json`,
      `runs/${sha('2')}/20261202T100000Z_2222222_sweep-quick.json`,
      `runs/${sha('3')}/20261203T100000Z_3333333_sweep-quick.json`,
      'kinds/a/sessions/20261201T000000Z_x_y_paired/paired/trial-01.json',
      'kinds/a/sessions/20261201T000000Z_x_y_paired/variants/join.sql',
      'kinds/a/sessions/20261205T000000Z_x_y_paired/paired/trial-01.json',
      'kinds/b/sessions/20261101T000000Z_x_y_paired/paired/trial-01.json',
      'kinds/a/calibration/20261101T000000Z_sweep-sweep-quick-paired.json',
      'kinds/a/calibration/20261201T000000Z_sweep-sweep-quick-paired.json',
    ];
    expect(prunePlan(paths, { keep: 1 })).toEqual([
      'kinds/a/calibration/20261101T000000Z_sweep-sweep-quick-paired.json',
      'kinds/a/sessions/20261201T000000Z_x_y_paired/paired/trial-01.json',
      'kinds/a/sessions/20261201T000000Z_x_y_paired/variants/join.sql',
      `runs/${sha('1')}/20261201T100000Z_1111111_sweep-quick.json`,
      `runs/${sha('1')}/20261201T100100Z_1111111_production.json`,
      `runs/${sha('2')}/20261202T100000Z_2222222_sweep-quick.json`,
    ]);
    const now = Date.UTC(2026, 11, 7);
    expect(prunePlan(paths, { olderThanDays: 30 }, now)).toEqual([
      'kinds/a/calibration/20261101T000000Z_sweep-sweep-quick-paired.json',
      'kinds/b/sessions/20261101T000000Z_x_y_paired/paired/trial-01.json',
    ]);
    expect(prunePlan(paths, { keep: 10 })).toEqual([]);
  });

  it('reads the time a name starts with', () => {
    expect(timeOfName('20261207T195100Z_abc')).toBe(Date.UTC(2026, 11, 7, 19, 51, 0));
    expect(timeOfName('trial-01.json')).toBeUndefined();
  });

  it('keys machines by kind, not host: cores, CPU model and memory to the GiB', () => {
    const kind = {
      cpuModel: 'Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz',
      cores: 2,
      memoryGiB: 7.6,
    };
    expect(machineKindKey(kind)).toBe('2-cores_8-GiB_intel-xeon-platinum-8375c-2.90ghz');
    expect(sameKind(kind, { ...kind, memoryGiB: 7.8 })).toBe(true);
    expect(sameKind(kind, { ...kind, cores: 4 })).toBe(false);
    expect(sameKind(kind, { ...kind, cpuModel: 'AMD EPYC' })).toBe(false);
  });
});
