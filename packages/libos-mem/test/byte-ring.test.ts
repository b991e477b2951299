import { ByteRing, ByteRingError } from '@libos/mem';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'no error';
  } catch (e) {
    return e instanceof ByteRingError ? e.code : 'other error';
  }
}

const concat = (a: Uint8Array, b: Uint8Array): number[] => [...a, ...b];

describe('ByteRing', () => {
  it('wraps around and exposes two segments', () => {
    const ring = new ByteRing(new Uint8Array(5));
    expect(ring.write(new Uint8Array([1, 2, 3, 4]))).toBe(4);
    expect(ring.discard(3)).toBe(3);
    expect(ring.write(new Uint8Array([5, 6, 7, 8, 9]))).toBe(4); // one free byte was already used by 4
    expect(ring.isFull).toBe(true);
    const [a, b] = ring.readableSegments();
    expect(Array.from(a)).toEqual([4, 5]);
    expect(Array.from(b)).toEqual([6, 7, 8]);
    expect(Array.from(ring.storage)).toEqual([6, 7, 8, 4, 5]);
    const out = new Uint8Array(5);
    expect(ring.read(out)).toBe(5);
    expect(Array.from(out)).toEqual([4, 5, 6, 7, 8]);
    expect(ring.isEmpty).toBe(true);
  });

  it('zero-copy writes: fill writable segments, then commit', () => {
    const ring = new ByteRing(new Uint8Array(4));
    ring.write(new Uint8Array([1, 2, 3]));
    ring.consume(2);
    const [a, b] = ring.writableSegments();
    expect(a.length + b.length).toBe(3);
    a.fill(9);
    b.fill(8);
    ring.commit(3);
    expect(concat(...ring.readableSegments())).toEqual([3, 9, 8, 8]);
    expect(codeOf(() => ring.commit(1))).toBe('BAD_COUNT');
    expect(codeOf(() => ring.consume(5))).toBe('BAD_COUNT');
    expect(codeOf(() => ring.discard(-1))).toBe('BAD_COUNT');
    expect(codeOf(() => ring.readableSegments(5))).toBe('BAD_COUNT');
  });

  it('writeAt fills ahead of the write position; commit exposes it', () => {
    const ring = new ByteRing(new Uint8Array(6));
    expect(ring.writeAt(2, new Uint8Array([3, 4, 5, 6, 7]))).toBe(4);
    expect(ring.readable).toBe(0);
    ring.write(new Uint8Array([1, 2]));
    ring.commit(4);
    expect(concat(...ring.readableSegments())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ring.writeAt(0, new Uint8Array([1]))).toBe(0);
  });

  it('works with a zero-capacity storage', () => {
    const ring = new ByteRing(new Uint8Array(0));
    expect(ring.write(new Uint8Array([1]))).toBe(0);
    expect(ring.read(new Uint8Array(1))).toBe(0);
    expect(ring.isEmpty && ring.isFull).toBe(true);
  });

  type Op =
    | { kind: 'write'; data: Uint8Array }
    | { kind: 'writeSegments'; n: number; seed: number }
    | { kind: 'read'; n: number }
    | { kind: 'peek'; n: number; offset: number }
    | { kind: 'discard'; n: number }
    | { kind: 'segments'; offset: number; max: number }
    | { kind: 'consume'; n: number };

  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('write' as const), data: fc.uint8Array({ maxLength: 40 }) }),
    fc.record({
      kind: fc.constant('writeSegments' as const),
      n: fc.nat({ max: 40 }),
      seed: fc.integer({ min: 0, max: 255 }),
    }),
    fc.record({ kind: fc.constant('read' as const), n: fc.nat({ max: 40 }) }),
    fc.record({
      kind: fc.constant('peek' as const),
      n: fc.nat({ max: 40 }),
      offset: fc.nat({ max: 40 }),
    }),
    fc.record({ kind: fc.constant('discard' as const), n: fc.nat({ max: 40 }) }),
    fc.record({
      kind: fc.constant('segments' as const),
      offset: fc.nat({ max: 40 }),
      max: fc.nat({ max: 40 }),
    }),
    fc.record({ kind: fc.constant('consume' as const), n: fc.nat({ max: 40 }) }),
  );

  it('behaves like an array model under random operations with wrap-around (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 33 }),
        fc.array(opArb, { maxLength: 200 }),
        (cap, ops) => {
          const ring = new ByteRing(new Uint8Array(cap));
          let model: number[] = [];
          for (const op of ops) {
            switch (op.kind) {
              case 'write': {
                const n = ring.write(op.data);
                expect(n).toBe(Math.min(op.data.length, cap - model.length));
                model.push(...op.data.subarray(0, n));
                break;
              }
              case 'writeSegments': {
                const [a, b] = ring.writableSegments();
                expect(a.length + b.length).toBe(cap - model.length);
                const n = Math.min(op.n, a.length + b.length);
                const bytes = Array.from({ length: n }, (_, i) => (op.seed + i) & 0xff);
                a.set(bytes.slice(0, a.length));
                b.set(bytes.slice(a.length));
                ring.commit(n);
                model.push(...bytes);
                break;
              }
              case 'read': {
                const dst = new Uint8Array(op.n);
                const n = ring.read(dst);
                expect(n).toBe(Math.min(op.n, model.length));
                expect(Array.from(dst.subarray(0, n))).toEqual(model.slice(0, n));
                model = model.slice(n);
                break;
              }
              case 'peek': {
                const dst = new Uint8Array(op.n);
                const n = ring.peek(dst, op.offset);
                const expected = model.slice(op.offset, op.offset + op.n);
                expect(n).toBe(expected.length);
                expect(Array.from(dst.subarray(0, n))).toEqual(expected);
                break;
              }
              case 'discard': {
                expect(ring.discard(op.n)).toBe(Math.min(op.n, model.length));
                model = model.slice(op.n);
                break;
              }
              case 'segments': {
                if (op.offset > model.length) {
                  expect(codeOf(() => ring.readableSegments(op.offset, op.max))).toBe('BAD_COUNT');
                  break;
                }
                const [a, b] = ring.readableSegments(op.offset, op.max);
                expect(concat(a, b)).toEqual(model.slice(op.offset, op.offset + op.max));
                break;
              }
              case 'consume': {
                if (op.n > model.length) {
                  expect(codeOf(() => ring.consume(op.n))).toBe('BAD_COUNT');
                  break;
                }
                ring.consume(op.n);
                model = model.slice(op.n);
                break;
              }
            }
            expect(ring.readable).toBe(model.length);
            expect(ring.writable).toBe(cap - model.length);
            expect(concat(...ring.readableSegments())).toEqual(model);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
