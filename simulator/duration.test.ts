import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.ts';

describe('durations (k6 grammar)', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1.5s', 1500],
    [' 10s ', 10_000],
  ])('%j = %d ms', (text, ms) => {
    expect(parseDuration(text, 'duration')).toBe(ms);
  });

  it.each(['10x', '', '10', 's', '1m 30s', '-5s'])('rejects %j, naming the input', (text) => {
    expect(() => parseDuration(text, '--duration')).toThrow(
      new RegExp(`--duration "${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" is not a duration`),
    );
  });
});
