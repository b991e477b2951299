import {
  HostClock,
  isMicros,
  MICROS_PER_SECOND,
  millis,
  SchedError,
  seconds,
  toMillis,
  toSeconds,
  VirtualClock,
} from '@libos/sched';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('Micros helpers', () => {
  it('convert between ms, s and µs', () => {
    expect(millis(1.5)).toBe(1500);
    expect(seconds(2)).toBe(2 * MICROS_PER_SECOND);
    expect(toMillis(2500)).toBe(2.5);
    expect(toSeconds(1_500_000)).toBe(1.5);
    expect(millis(0.0004)).toBe(0);
    expect(isMicros(3)).toBe(true);
    expect(isMicros(0.5)).toBe(false);
  });

  it('round-trip integer milliseconds exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), (ms) => toMillis(millis(ms)) === ms),
    );
  });
});

describe('VirtualClock', () => {
  it('advances only forward, by explicit steps', () => {
    const c = new VirtualClock(10);
    expect(c.now()).toBe(10);
    c.advanceBy(5);
    c.advanceTo(100);
    c.advanceTo(100);
    expect(c.now()).toBe(100);
    expect(() => c.advanceTo(99)).toThrowError(SchedError);
    try {
      c.advanceBy(-1);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SchedError);
      expect((e as SchedError).code).toBe('CLOCK_BACKWARDS');
    }
    expect(() => c.advanceTo(100.5)).toThrow(expect.objectContaining({ code: 'INVALID_TIME' }));
    expect(c.now()).toBe(100);
  });

  it('never decreases under random operations', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 })), (steps) => {
        const c = new VirtualClock();
        let last = c.now();
        for (const s of steps) {
          try {
            if (s % 2 === 0) c.advanceBy(s);
            else c.advanceTo(s);
          } catch (e) {
            expect((e as SchedError).code).toBe('CLOCK_BACKWARDS');
          }
          expect(c.now()).toBeGreaterThanOrEqual(last);
          last = c.now();
        }
      }),
    );
  });
});

describe('HostClock', () => {
  it('returns monotonic integer microseconds', () => {
    const c = new HostClock();
    let last = c.now();
    for (let i = 0; i < 10_000; i++) {
      const t = c.now();
      expect(Number.isSafeInteger(t)).toBe(true);
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
    }
  });
});
