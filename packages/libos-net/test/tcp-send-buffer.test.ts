import { SendBuffer, TcpError } from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const bytes = (length: number, seed = 1): Uint8Array =>
  Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof TcpError ? e.code : 'not a TcpError';
  }
  return undefined;
};

describe('SendBuffer', () => {
  it('accepts what fits, copies out at any offset, frees on acknowledge', () => {
    const b = new SendBuffer(10);
    expect([b.capacity, b.length, b.free]).toEqual([10, 0, 10]);
    expect(b.write(bytes(6))).toBe(6);
    expect(b.write(bytes(6, 100))).toBe(4); // partial: full after 4
    expect([b.length, b.free]).toEqual([10, 0]);
    expect(b.write(bytes(1))).toBe(0);
    const out = new Uint8Array(5);
    b.copyOut(4, 5, out);
    expect([...out]).toEqual([...bytes(6).subarray(4), ...bytes(3, 100)]);
    b.acknowledge(7);
    expect([b.length, b.free]).toEqual([3, 7]);
    // The next write wraps around the end of the ring.
    expect(b.write(bytes(7, 50))).toBe(7);
    const all = new Uint8Array(10);
    b.copyOut(0, 10, all);
    expect([...all]).toEqual([...bytes(4, 100).subarray(1), ...bytes(7, 50)]);
  });

  it('copies into a larger destination from index 0 and leaves the rest alone', () => {
    const b = new SendBuffer(8);
    b.write(bytes(8));
    const dest = new Uint8Array(12).fill(0xee);
    b.copyOut(2, 3, dest);
    expect([...dest]).toEqual([...bytes(8).subarray(2, 5), ...new Array(9).fill(0xee)]);
  });

  it('uses caller-owned storage as the ring', () => {
    const storage = new Uint8Array(4);
    const b = new SendBuffer(storage);
    expect(b.capacity).toBe(4);
    b.write(Uint8Array.of(1, 2, 3));
    expect([...storage.subarray(0, 3)]).toEqual([1, 2, 3]);
  });

  it('rejects misuse with EINVAL', () => {
    expect(code(() => new SendBuffer(0))).toBe('EINVAL');
    expect(code(() => new SendBuffer(1.5))).toBe('EINVAL');
    expect(code(() => new SendBuffer(2 ** 30 + 1))).toBe('EINVAL');
    const b = new SendBuffer(8);
    b.write(bytes(4));
    expect(code(() => b.copyOut(2, 3, new Uint8Array(8)))).toBe('EINVAL');
    expect(code(() => b.copyOut(-1, 1, new Uint8Array(8)))).toBe('EINVAL');
    expect(code(() => b.copyOut(0, 4, new Uint8Array(3)))).toBe('EINVAL');
    expect(code(() => b.acknowledge(5))).toBe('EINVAL');
    expect(code(() => b.acknowledge(-1))).toBe('EINVAL');
    expect(b.length).toBe(4);
  });

  it('behaves like a plain array of unacknowledged bytes (model)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), length: fc.nat(40), seed: fc.nat(255) }),
      fc.record({ kind: fc.constant('copy' as const), a: fc.nat(100), b: fc.nat(100) }),
      fc.record({ kind: fc.constant('ack' as const), n: fc.nat(100) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(op, { maxLength: 80 }), (cap, ops) => {
        const b = new SendBuffer(cap);
        let model: number[] = [];
        for (const o of ops) {
          if (o.kind === 'write') {
            const data = bytes(o.length, o.seed);
            const n = b.write(data);
            expect(n).toBe(Math.min(o.length, cap - model.length));
            model.push(...data.subarray(0, n));
          } else if (o.kind === 'copy') {
            if (model.length === 0) continue;
            const offset = o.a % (model.length + 1);
            const length = o.b % (model.length - offset + 1);
            const dest = new Uint8Array(length);
            b.copyOut(offset, length, dest);
            expect([...dest]).toEqual(model.slice(offset, offset + length));
          } else {
            const n = o.n % (model.length + 1);
            b.acknowledge(n);
            model = model.slice(n);
          }
          expect(b.length).toBe(model.length);
          expect(b.free).toBe(cap - model.length);
        }
        const all = new Uint8Array(model.length);
        b.copyOut(0, model.length, all);
        expect([...all]).toEqual(model);
      }),
      { numRuns: 300 },
    );
  }, 60_000); // fast-check runs; generous for a loaded shared machine

  it('grows its storage from 4 KiB to the capacity as data waits, keeping every byte (model)', () => {
    const stream = (at: number): number => (at * 131 + (at >> 9)) & 0xff;
    const op = fc.oneof(
      fc.record({ write: fc.integer({ min: 0, max: 9000 }) }),
      fc.record({ ack: fc.integer({ min: 0, max: 12_000 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 5000, max: 40_000 }),
        fc.array(op, { maxLength: 40 }),
        (cap, ops) => {
          const b = new SendBuffer(cap);
          expect(b.allocated).toBe(4096);
          let una = 0; // absolute position of the oldest byte held
          let end = 0; // absolute position after the newest byte
          let highWater = 0;
          for (const o of ops) {
            if ('write' in o) {
              const data = Uint8Array.from({ length: o.write }, (_, i) => stream(end + i));
              end += b.write(data);
            } else {
              const n = Math.min(o.ack, end - una);
              b.acknowledge(n);
              una += n;
            }
            highWater = Math.max(highWater, end - una);
            expect(b.length).toBe(end - una);
            // Storage: a power of two from 4 KiB that holds the high-water mark, or the capacity.
            expect(b.allocated).toBeLessThanOrEqual(cap);
            expect(b.allocated >= highWater).toBe(true);
            if (b.allocated < cap)
              expect(b.allocated).toBeLessThanOrEqual(Math.max(4096, 2 * highWater));
            const all = new Uint8Array(end - una);
            b.copyOut(0, all.length, all);
            for (let i = 0; i < all.length; i++) {
              if (all[i] !== stream(una + i)) throw new Error(`byte ${una + i} differs`);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);
});
