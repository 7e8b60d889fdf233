import { describe, expect, it } from 'vitest';
import { InFlightBytes } from './in-flight-bytes.ts';

describe('InFlightBytes', () => {
  it('takes bytes while they fit and refuses, taking nothing, past the bound', () => {
    const bytes = new InFlightBytes(100);
    expect(bytes.hold(60)).toBe(true);
    expect(bytes.hold(41)).toBe(false);
    expect(bytes.held).toBe(60);
    expect(bytes.hold(40)).toBe(true);
    expect(bytes.held).toBe(100);
    bytes.release(60);
    expect(bytes.held).toBe(40);
  });

  it('gives back exactly what one request held, once, however many chunks it took', () => {
    const bytes = new InFlightBytes(100);
    const a = bytes.forRequest();
    const b = bytes.forRequest();
    expect(a.hold(10)).toBe(true);
    expect(a.hold(20)).toBe(true);
    expect(b.hold(50)).toBe(true);
    // A chunk that does not fit is not counted as held by its request.
    expect(a.hold(30)).toBe(false);
    expect(bytes.held).toBe(80);
    a.release();
    expect(bytes.held).toBe(50);
    a.release();
    expect(bytes.held).toBe(50);
    b.release();
    expect(bytes.held).toBe(0);
  });
});
