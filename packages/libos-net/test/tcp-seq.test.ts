import {
  seqAdd,
  seqDiff,
  seqGe,
  seqGt,
  seqInWindow,
  seqLe,
  seqLt,
  seqMax,
  seqMin,
} from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const TWO_32 = 1n << 32n;
const TWO_31 = 1n << 31n;

/** BigInt model: `x` mod 2^32 in `0..2^32-1`. */
function mod32(x: bigint): bigint {
  return ((x % TWO_32) + TWO_32) % TWO_32;
}

/** BigInt model of the signed distance a − b (RFC 1982 §3.2 serial arithmetic). */
function modelDiff(a: number, b: number): number {
  const d = mod32(BigInt(a) - BigInt(b));
  return Number(d >= TWO_31 ? d - TWO_32 : d);
}

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
/** Distances for which serial-number order is defined: 1..2^31-1. */
const orderedDistance = fc.integer({ min: 1, max: 0x7fff_ffff });

describe('TCP sequence arithmetic (RFC 9293 §3.4)', () => {
  it('adds and subtracts across the 2^32 wrap', () => {
    expect(seqAdd(0xffff_fff0, 0x20)).toBe(0x10);
    expect(seqAdd(0x10, -0x20)).toBe(0xffff_fff0);
    expect(seqAdd(0xffff_ffff, 1)).toBe(0);
    expect(seqDiff(0x10, 0xffff_fff0)).toBe(32);
    expect(seqDiff(0xffff_fff0, 0x10)).toBe(-32);
    expect(seqDiff(0x8000_0000, 0)).toBe(-0x8000_0000);
  });

  it('orders across the wrap', () => {
    expect(seqLt(0xffff_ffff, 0)).toBe(true);
    expect(seqGt(0, 0xffff_ffff)).toBe(true);
    expect(seqLt(0, 0xffff_ffff)).toBe(false);
    expect(seqLe(5, 5)).toBe(true);
    expect(seqLt(5, 5)).toBe(false);
    expect(seqGe(5, 5)).toBe(true);
    expect(seqGt(5, 5)).toBe(false);
    expect(seqMax(0xffff_fff0, 0x10)).toBe(0x10);
    expect(seqMin(0xffff_fff0, 0x10)).toBe(0xffff_fff0);
  });

  it('tests window membership across the wrap', () => {
    expect(seqInWindow(0xffff_fff0, 0xffff_fff0, 0x20)).toBe(true);
    expect(seqInWindow(0x05, 0xffff_fff0, 0x20)).toBe(true);
    expect(seqInWindow(0x0f, 0xffff_fff0, 0x20)).toBe(true);
    expect(seqInWindow(0x10, 0xffff_fff0, 0x20)).toBe(false);
    expect(seqInWindow(0xffff_ffef, 0xffff_fff0, 0x20)).toBe(false);
    expect(seqInWindow(7, 7, 0)).toBe(false);
    expect(seqInWindow(7, 7, 1)).toBe(true);
    expect(seqInWindow(6, 7, 0xffff_ffff)).toBe(false);
    expect(seqInWindow(5, 7, 0xffff_ffff)).toBe(true);
  });

  it('seqAdd and seqDiff agree with a BigInt model', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: -0xffff_ffff, max: 0xffff_ffff }), (a, n) => {
        expect(seqAdd(a, n)).toBe(Number(mod32(BigInt(a) + BigInt(n))));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(u32, u32, (a, b) => {
        expect(seqDiff(a, b)).toBe(modelDiff(a, b));
        expect(seqAdd(b, seqDiff(a, b))).toBe(a);
      }),
      { numRuns: 2000 },
    );
  });

  it('comparisons are antisymmetric for distances below 2^31, also across the wrap', () => {
    fc.assert(
      fc.property(u32, orderedDistance, (a, d) => {
        const b = seqAdd(a, d);
        expect(seqLt(a, b)).toBe(true);
        expect(seqLt(b, a)).toBe(false);
        expect(seqGt(b, a)).toBe(true);
        expect(seqGt(a, b)).toBe(false);
        expect(seqLe(a, b) && !seqLe(b, a)).toBe(true);
        expect(seqGe(b, a) && !seqGe(a, b)).toBe(true);
        expect(seqMax(a, b)).toBe(b);
        expect(seqMax(b, a)).toBe(b);
        expect(seqMin(a, b)).toBe(a);
        expect(seqMin(b, a)).toBe(a);
      }),
      { numRuns: 2000 },
    );
    // Pin the wrap itself: a just below 2^32, b just above 0.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 1000 }), (x, y) => {
        const a = 0x1_0000_0000 - x;
        expect(seqLt(a, y)).toBe(true);
        expect(seqLt(y, a)).toBe(false);
        expect(seqDiff(y, a)).toBe(x + y);
      }),
    );
  });

  it('comparisons match the BigInt model for any pair', () => {
    fc.assert(
      fc.property(u32, u32, (a, b) => {
        const d = modelDiff(a, b);
        expect(seqLt(a, b)).toBe(d < 0);
        expect(seqLe(a, b)).toBe(d <= 0);
        expect(seqGt(a, b)).toBe(d > 0);
        expect(seqGe(a, b)).toBe(d >= 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('seqInWindow matches a BigInt model', () => {
    const model = (seq: number, start: number, length: number): boolean =>
      mod32(BigInt(seq) - BigInt(start)) < BigInt(length);
    fc.assert(
      fc.property(u32, u32, u32, (seq, start, length) => {
        expect(seqInWindow(seq, start, length)).toBe(model(seq, start, length));
      }),
      { numRuns: 2000 },
    );
    // Near the window edges, where an off-by-one would show.
    fc.assert(
      fc.property(
        u32,
        fc.integer({ min: 0, max: 0x10000 }),
        fc.integer({ min: -2, max: 2 }),
        (start, length, nudge) => {
          const seq = seqAdd(start, length + nudge);
          expect(seqInWindow(seq, start, length)).toBe(model(seq, start, length));
          expect(seqInWindow(seqAdd(start, nudge), start, length)).toBe(
            model(seqAdd(start, nudge), start, length),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});
