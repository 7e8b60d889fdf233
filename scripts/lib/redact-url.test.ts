import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact-url.ts';

describe('redactUrl', () => {
  it.each([
    ['postgres://u:secretpw@127.0.0.1:1/x', 'postgres://u:***@127.0.0.1:1/x'],
    ['postgres://127.0.0.1:1/x?password=secretpw', 'postgres://127.0.0.1:1/x?password=***'],
    [
      'postgres://127.0.0.1:1/x?sslmode=disable&password=secretpw&a=b',
      'postgres://127.0.0.1:1/x?sslmode=disable&password=***&a=b',
    ],
    ['u:secretpw@127.0.0.1:1/x', 'u:***@127.0.0.1:1/x'],
    ['postgres://u:se/cret@127.0.0.1:1/x', 'postgres://u:***@127.0.0.1:1/x'],
    ['postgres://u:p@ss@127.0.0.1:1/x', 'postgres://u:***@127.0.0.1:1/x'],
    ['postgresql://u:a:b@h/x', 'postgresql://u:***@h/x'],
    ['postgres://u@127.0.0.1/x', 'postgres://u@127.0.0.1/x'],
    ['postgres://127.0.0.1/x', 'postgres://127.0.0.1/x'],
    ['not a url at all', 'not a url at all'],
  ])('%s -> %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
    expect(redactUrl(input)).not.toMatch(/secretpw|se\/cret|p@ss|a:b/);
  });
});
