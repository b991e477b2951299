import { ReceiveBuffer, TcpError, type TcpSackBlock } from '@libos/net';
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

describe('ReceiveBuffer', () => {
  it('reassembles out-of-order segments and reports the RCV.NXT advance', () => {
    const stream = bytes(30);
    const r = new ReceiveBuffer(64);
    expect(r.write(20, stream.subarray(20, 30))).toBe(0);
    expect(r.write(10, stream.subarray(10, 20))).toBe(0);
    expect([r.gaps, r.outOfOrderBytes, r.readable, r.window]).toEqual([1, 20, 0, 64]);
    expect(r.write(0, stream.subarray(0, 10))).toBe(30);
    expect([r.gaps, r.outOfOrderBytes, r.readable, r.window]).toEqual([0, 0, 30, 34]);
    expect([...r.read(12)]).toEqual([...stream.subarray(0, 12)]);
    expect([...r.read(100)]).toEqual([...stream.subarray(12)]);
    expect(r.readable).toBe(0);
    expect(r.read(5).length).toBe(0);
  });

  it('skips bytes before RCV.NXT and ignores bytes already held (the first copy wins)', () => {
    const r = new ReceiveBuffer(32);
    expect(r.write(0, Uint8Array.of(1, 2, 3))).toBe(3);
    expect(r.write(-3, Uint8Array.of(9, 9, 9))).toBe(0); // a pure duplicate
    expect(r.write(1, Uint8Array.of(5, 6))).toBe(0); // stream bytes 4, 5
    expect(r.write(0, Uint8Array.of(4, 7, 7, 8))).toBe(4); // 3..6: 4 and 5 are already held
    expect(r.write(-2, Uint8Array.of(9, 9, 10, 11))).toBe(2); // 5..8: straddles RCV.NXT = 7
    expect([...r.read(100)]).toEqual([1, 2, 3, 4, 5, 6, 8, 10, 11]);
  });

  it('cuts data beyond the window and never holds more than its capacity', () => {
    const r = new ReceiveBuffer(8);
    expect(r.write(0, bytes(5))).toBe(5);
    expect(r.window).toBe(3);
    expect(r.write(0, bytes(6, 9))).toBe(3); // only 3 bytes fit
    expect(r.window).toBe(0);
    expect(r.write(0, bytes(4))).toBe(0);
    expect(r.write(5, bytes(4))).toBe(0);
    expect([...r.read(8)]).toEqual([...bytes(5), ...bytes(3, 9)]);
    // Out of order data is cut at the window edge too.
    expect(r.write(6, bytes(10))).toBe(0);
    expect(r.outOfOrderBytes).toBe(2);
  });

  it('wraps around the end of the ring', () => {
    const r = new ReceiveBuffer(10);
    r.write(0, bytes(7));
    r.read(5); // the read head is at ring index 5, 2 bytes readable
    expect(r.window).toBe(8);
    const data = bytes(8, 40);
    expect(r.write(3, data.subarray(3))).toBe(0); // ring indices 10.. wrap to 0..
    expect(r.write(0, data.subarray(0, 3))).toBe(8);
    expect(r.window).toBe(0);
    expect([...r.read(10)]).toEqual([...bytes(7).subarray(5), ...data]);
  });

  it('refuses a segment that would open one hole too many, but always takes progress', () => {
    const r = new ReceiveBuffer(1000, { maxGaps: 2 });
    expect(r.write(100, bytes(10))).toBe(0);
    expect(r.write(200, bytes(10))).toBe(0);
    expect(r.gaps).toBe(2);
    expect(r.write(300, bytes(10))).toBe('too-many-gaps');
    expect(r.write(150, bytes(10))).toBe('too-many-gaps');
    expect([r.gaps, r.outOfOrderBytes]).toEqual([2, 20]);
    // Extending or filling an existing range, or in-order data, is always accepted.
    expect(r.write(110, bytes(10))).toBe(0);
    expect(r.write(190, bytes(10))).toBe(0);
    expect(r.write(205, bytes(10))).toBe(0);
    expect(r.write(120, bytes(70))).toBe(0); // joins the two ranges
    expect([r.gaps, r.outOfOrderBytes]).toEqual([1, 115]);
    expect(r.write(0, bytes(50))).toBe(50);
    expect(r.gaps).toBe(1);
    expect(r.write(0, bytes(50))).toBe(165);
    expect([r.gaps, r.outOfOrderBytes, r.readable]).toEqual([0, 0, 215]);
  });

  it('with maxGaps 0 takes only in-order data', () => {
    const r = new ReceiveBuffer(100, { maxGaps: 0 });
    expect(r.write(1, bytes(10))).toBe('too-many-gaps');
    expect(r.write(0, bytes(10))).toBe(10);
  });

  it('reports SACK blocks as in RFC 2018 §5, the newest first (also across the 2^32 wrap)', () => {
    // RFC 2018 §5 case 3: 8 segments of 500 bytes from 5000; the 2nd, 4th, 6th and 8th are
    // dropped. Each row: the segment received, then the SACK blocks of the ACK it triggers.
    for (const base of [0, 2 ** 32 - 5000 - 1500]) {
      const seq = (n: number): number => (base + n) >>> 0;
      const r = new ReceiveBuffer(8192);
      let rcvNxt = seq(5000);
      const receive = (start: number): TcpSackBlock[] => {
        const advance = r.write((start - 5000) | 0, bytes(500, start));
        expect(advance).toBe(start === 5000 ? 500 : 0);
        if (typeof advance === 'number') rcvNxt = (rcvNxt + advance) >>> 0;
        return r.sackBlocks(rcvNxt, 4);
      };
      const block = (start: number, end: number): TcpSackBlock => ({
        start: seq(start),
        end: seq(end),
      });
      expect(receive(5000)).toEqual([]);
      expect(rcvNxt).toBe(seq(5500));
      // The offset is now from 5500; the helper above subtracts 5000 so shift by 500.
      const later = (start: number): TcpSackBlock[] => {
        const advance = r.write(start - 5500, bytes(500, start));
        expect(advance).toBe(0);
        return r.sackBlocks(rcvNxt, 4);
      };
      expect(later(6000)).toEqual([block(6000, 6500)]);
      expect(later(7000)).toEqual([block(7000, 7500), block(6000, 6500)]);
      expect(later(8000)).toEqual([block(8000, 8500), block(7000, 7500), block(6000, 6500)]);
      // A segment filling the hole between two blocks: the merged block comes first.
      expect(later(7500)).toEqual([block(7000, 8500), block(6000, 6500)]);
      expect(r.sackBlocks(rcvNxt, 1)).toEqual([block(7000, 8500)]);
      expect(r.sackBlocks(rcvNxt, 0)).toEqual([]);
    }
  });

  it('uses caller-owned storage and rejects misuse with EINVAL', () => {
    const storage = new Uint8Array(16);
    const r = new ReceiveBuffer(storage);
    expect(r.capacity).toBe(16);
    expect(r.maxGaps).toBe(8);
    r.write(0, Uint8Array.of(7, 8));
    expect([...storage.subarray(0, 2)]).toEqual([7, 8]);
    expect(code(() => new ReceiveBuffer(0))).toBe('EINVAL');
    expect(code(() => new ReceiveBuffer(16, { maxGaps: -1 }))).toBe('EINVAL');
    expect(code(() => new ReceiveBuffer(16, { maxGaps: 1.5 }))).toBe('EINVAL');
    expect(code(() => r.write(0.5, Uint8Array.of(1)))).toBe('EINVAL');
    expect(code(() => r.read(-1))).toBe('EINVAL');
  });

  it('reassembles any arrival order exactly, within its bounds (model)', () => {
    // Segments start near RCV.NXT (`rel` − 10 bytes from it, so some are duplicates), half
    // of them on a 5-byte grid so that adjacent and exactly overlapping segments are common.
    const segment = fc.oneof(
      fc.record({ rel: fc.nat(99), length: fc.nat(40) }),
      fc.record({ rel: fc.nat(20).map((x) => 5 * x), length: fc.nat(8).map((x) => 5 * x) }),
    );
    const step = fc.oneof(
      { weight: 4, arbitrary: segment.map((s) => ({ kind: 'segment' as const, ...s })) },
      { weight: 1, arbitrary: fc.nat(60).map((n) => ({ kind: 'read' as const, n })) },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 2 ** 32 - 150, max: 2 ** 32 - 1 }),
        fc.array(step, { maxLength: 80 }),
        (capacity, maxGaps, isn, steps) => {
          const length = 200;
          const stream = bytes(length, 7);
          const r = new ReceiveBuffer(capacity, { maxGaps });
          const held = new Array<boolean>(length).fill(false); // out of order, by stream offset
          const touched: Array<{ s: number; e: number; t: number }> = [];
          let rcvNxt = 0;
          let readPos = 0;
          let t = 0;
          const out: number[] = [];
          const runs = (): Array<[number, number]> => {
            const rs: Array<[number, number]> = [];
            for (let i = rcvNxt; i < length; i++) {
              if (!held[i]) continue;
              const s = i;
              while (i < length && held[i]) i++;
              rs.push([s, i]);
            }
            return rs;
          };
          const check = (): void => {
            const rs = runs();
            expect(r.gaps).toBe(rs.length);
            expect(r.gaps).toBeLessThanOrEqual(maxGaps);
            expect(r.outOfOrderBytes).toBe(rs.reduce((a, [s, e]) => a + e - s, 0));
            expect(r.readable).toBe(rcvNxt - readPos);
            const furthest = rs.length > 0 ? rs[rs.length - 1]![1] - rcvNxt : 0;
            expect(r.readable + furthest).toBeLessThanOrEqual(capacity);
            expect(r.window).toBe(capacity - r.readable);
            // RFC 2018 §4: every block is one held range, the most recently touched first.
            const blocks = r.sackBlocks((isn + rcvNxt) >>> 0, 4);
            expect(blocks.length).toBe(Math.min(4, rs.length));
            const recency = rs.map(([s, e]) =>
              Math.max(...touched.filter((x) => x.s < e && x.e > s).map((x) => x.t)),
            );
            const expected = rs
              .map(([s, e], i) => ({ s, e, t: recency[i]! }))
              .sort((a, b) => b.t - a.t)
              .slice(0, 4)
              .map(({ s, e }) => ({ start: (isn + s) >>> 0, end: (isn + e) >>> 0 }));
            expect(blocks).toEqual(expected);
          };
          const deliver = (start: number, len: number): number | 'too-many-gaps' => {
            const end = Math.min(start + len, length);
            const result = r.write(start - rcvNxt, stream.subarray(start, end));
            // The model: clip to [RCV.NXT, RCV.NXT + window), refuse a new hole past maxGaps.
            const s = Math.max(start, rcvNxt);
            const e = Math.min(end, rcvNxt + capacity - (rcvNxt - readPos));
            if (s >= e) {
              expect(result).toBe(0);
              return result;
            }
            const rs = runs();
            const touches = rs.some(([a, b]) => a <= e && b >= s);
            if (s > rcvNxt && !touches && rs.length >= maxGaps) {
              expect(result).toBe('too-many-gaps');
              return result;
            }
            for (let i = s; i < e; i++) held[i] = true;
            touched.push({ s, e, t: ++t });
            let next = rcvNxt;
            while (next < length && held[next]) held[next++] = false;
            expect(result).toBe(next - rcvNxt);
            rcvNxt = next;
            return result;
          };
          const read = (n: number): void => {
            const got = r.read(n);
            expect(got.length).toBe(Math.min(n, rcvNxt - readPos));
            out.push(...got);
            readPos += got.length;
          };
          for (const st of steps) {
            if (st.kind === 'segment') deliver(Math.max(0, rcvNxt - 10 + st.rel), st.length);
            else read(st.n);
            check();
          }
          // Drain: in-order retransmissions are always accepted.
          for (let i = 0; i <= length && readPos < length; i++) {
            expect(deliver(rcvNxt, capacity)).not.toBe('too-many-gaps');
            check();
            read(capacity);
          }
          expect(out).toEqual([...stream]);
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000); // fast-check runs; generous for a loaded shared machine

  it('grows its storage from 4 KiB as segments arrive in any order, keeping every byte (model)', () => {
    const stream = (at: number): number => (at * 131 + (at >> 9)) & 0xff;
    const op = fc.oneof(
      fc.record({
        offset: fc.integer({ min: 0, max: 30_000 }),
        length: fc.integer({ min: 1, max: 3000 }),
      }),
      fc.record({ read: fc.integer({ min: 0, max: 20_000 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 5000, max: 40_000 }),
        fc.array(op, { maxLength: 50 }),
        (cap, ops) => {
          const r = new ReceiveBuffer(cap, { maxGaps: 4096 });
          expect(r.allocated).toBe(4096);
          let readPos = 0; // absolute position of the next byte the application reads
          let rcvNxt = 0; // absolute RCV.NXT
          const have = new Set<number>(); // absolute positions held out of order
          for (const o of ops) {
            if ('offset' in o) {
              const data = Uint8Array.from({ length: o.length }, (_, i) =>
                stream(rcvNxt + o.offset + i),
              );
              const advance = r.write(o.offset, data);
              expect(typeof advance).toBe('number');
              const limit = readPos + cap; // the window's right edge
              for (let i = 0; i < o.length; i++) {
                const at = rcvNxt + o.offset + i;
                if (at < limit) have.add(at);
              }
              let next = rcvNxt;
              while (have.has(next)) have.delete(next++);
              expect(advance).toBe(next - rcvNxt);
              rcvNxt = next;
            } else {
              const out = r.read(o.read);
              expect(out.length).toBe(Math.min(o.read, rcvNxt - readPos));
              for (let i = 0; i < out.length; i++) {
                if (out[i] !== stream(readPos + i)) throw new Error(`byte ${readPos + i} differs`);
              }
              readPos += out.length;
            }
            expect(r.readable).toBe(rcvNxt - readPos);
            expect(r.outOfOrderBytes).toBe(have.size);
            expect(r.allocated).toBeLessThanOrEqual(cap);
          }
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);
});
