import {
  type ExpiredDatagram,
  type FragmentKey,
  Ipv4Reassembler,
  ReassemblyError,
} from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const S = 1_000_000;
const KEY: FragmentKey = {
  source: 0x0a000202,
  destination: 0x0a00020f,
  protocol: 17,
  identification: 0x1c46,
};
const bytes = (length: number, seed = 1): Uint8Array =>
  Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

/** Splits `payload` at the given offsets (multiples of 8) into fragments. */
function fragments(
  payload: Uint8Array,
  cuts: number[],
): Array<{ offset: number; more: boolean; data: Uint8Array }> {
  const bounds = [0, ...cuts.filter((c) => c > 0 && c < payload.length), payload.length];
  const out = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const a = bounds[i]!;
    const b = bounds[i + 1]!;
    out.push({ offset: a, more: i + 2 < bounds.length, data: payload.subarray(a, b) });
  }
  return out;
}

describe('Ipv4Reassembler', () => {
  it('reassembles in order and in reverse, returning the payload once', () => {
    for (const reverse of [false, true]) {
      const r = new Ipv4Reassembler();
      const payload = bytes(3000);
      const frags = fragments(payload, [1480, 2960]);
      if (reverse) frags.reverse();
      const outs = frags.map((f, i) => r.insert(KEY, f.offset, f.more, f.data, i));
      expect(outs.slice(0, 2)).toEqual([undefined, undefined]);
      expect([...(outs[2] as Uint8Array)]).toEqual([...payload]);
      expect(r.size).toBe(0);
      expect(r.stats.bufferedBytes).toBe(0);
      expect(r.stats.reassembled).toBe(1);
      expect(r.stats.fragments).toBe(3);
    }
  });

  it('returns a copy of an unfragmented datagram without holding state', () => {
    const r = new Ipv4Reassembler();
    const payload = bytes(100);
    const out = r.insert(KEY, 0, false, payload, 0) as Uint8Array;
    expect([...out]).toEqual([...payload]);
    payload[0] = 255;
    expect(out[0]).not.toBe(255);
    expect(r.size).toBe(0);
  });

  it('keeps datagrams with different keys apart', () => {
    const r = new Ipv4Reassembler();
    const keys: FragmentKey[] = [
      KEY,
      { ...KEY, identification: 1 },
      { ...KEY, protocol: 6 },
      { ...KEY, source: 5 },
      { ...KEY, destination: 5 },
    ];
    keys.forEach((k, i) => {
      expect(r.insert(k, 0, true, bytes(8, i), 0)).toBeUndefined();
    });
    expect(r.size).toBe(5);
    keys.forEach((k, i) => {
      const out = r.insert(k, 8, false, bytes(4, 100 + i), 0) as Uint8Array;
      expect([...out]).toEqual([...bytes(8, i), ...bytes(4, 100 + i)]);
    });
    expect(r.size).toBe(0);
  });

  it('ignores byte-identical duplicates, including ones inside merged data', () => {
    const r = new Ipv4Reassembler();
    const payload = bytes(40);
    expect(r.insert(KEY, 0, true, payload.subarray(0, 16), 0)).toBeUndefined();
    expect(r.insert(KEY, 16, true, payload.subarray(16, 32), 0)).toBeUndefined();
    expect(r.insert(KEY, 0, true, payload.subarray(0, 16), 0)).toBeUndefined();
    expect(r.insert(KEY, 8, true, payload.subarray(8, 24), 0)).toBeUndefined(); // inside [0, 32)
    expect(r.stats.duplicates).toBe(2);
    const out = r.insert(KEY, 32, false, payload.subarray(32), 0) as Uint8Array;
    expect([...out]).toEqual([...payload]);
  });

  it('discards the whole datagram on a differing or partial overlap (RFC 1858 §4)', () => {
    const r = new Ipv4Reassembler();
    const payload = bytes(32);
    r.insert(KEY, 0, true, payload.subarray(0, 16), 0);
    const altered = payload.slice(0, 16);
    altered[3] = altered[3]! ^ 1;
    expect(r.insert(KEY, 0, true, altered, 0)).toBe('overlap');
    expect(r.size).toBe(0);
    expect(r.stats.bufferedBytes).toBe(0);
    // The discarded data is gone: the rest alone does not complete it.
    expect(r.insert(KEY, 16, false, payload.subarray(16), 0)).toBeUndefined();

    const q = new Ipv4Reassembler();
    q.insert(KEY, 8, true, payload.subarray(8, 24), 0);
    expect(q.insert(KEY, 0, true, payload.subarray(0, 16), 0)).toBe('overlap'); // partial
    expect(q.insert(KEY, 16, true, payload.subarray(16, 24), 0)).toBeUndefined(); // new datagram
    expect(q.insert(KEY, 16, true, payload.subarray(16, 32), 0)).toBe('overlap');
    expect(q.stats.drops.overlap).toBe(2);
  });

  it('treats a duplicate that changes More Fragments as an overlap', () => {
    const r = new Ipv4Reassembler();
    const payload = bytes(24);
    r.insert(KEY, 8, true, payload.subarray(8, 24), 0);
    expect(r.insert(KEY, 16, false, payload.subarray(16, 24), 0)).toBe('overlap');
  });

  it('drops fragments beyond 65535 bytes or maxDatagramLength (ping of death)', () => {
    const r = new Ipv4Reassembler({ maxDatagramLength: 4096 });
    r.insert(KEY, 0, true, bytes(8), 0);
    expect(r.insert(KEY, 4096, false, bytes(1), 0)).toBe('too-long');
    expect(r.size).toBe(0); // the datagram is discarded with it
    expect(r.insert(KEY, 4088, false, bytes(8), 0)).toBeUndefined();
    const big = new Ipv4Reassembler();
    expect(big.insert(KEY, 65_528, false, bytes(8), 0)).toBe('too-long');
    expect(big.insert(KEY, 65_528, false, bytes(7), 0)).toBeUndefined();
    expect(big.stats.drops['too-long']).toBe(1);
    expect(() => new Ipv4Reassembler({ maxDatagramLength: 65_536 })).toThrow(ReassemblyError);
  });

  it('drops a tiny first fragment (RFC 1858 §3.1)', () => {
    const r = new Ipv4Reassembler();
    expect(r.insert(KEY, 8, true, bytes(8), 0)).toBeUndefined();
    expect(r.insert(KEY, 0, true, bytes(7), 0)).toBe('tiny-first');
    expect(r.size).toBe(0);
    expect(r.stats.drops['tiny-first']).toBe(1);
    expect(r.insert(KEY, 0, true, bytes(8), 0)).toBeUndefined();
  });

  it('drops malformed fragments as bad-fragment', () => {
    const cases: Array<[string, (r: Ipv4Reassembler) => unknown]> = [
      ['non-last length not a multiple of 8', (r) => r.insert(KEY, 8, true, bytes(12), 0)],
      ['zero-length non-last', (r) => r.insert(KEY, 8, true, bytes(0), 0)],
      ['offset not a multiple of 8', (r) => r.insert(KEY, 4, false, bytes(8), 0)],
      [
        'two last fragments disagreeing',
        (r) => {
          r.insert(KEY, 16, false, bytes(8), 0);
          return r.insert(KEY, 32, false, bytes(8), 0);
        },
      ],
      [
        'data past the end',
        (r) => {
          r.insert(KEY, 16, false, bytes(8), 0);
          return r.insert(KEY, 24, true, bytes(8), 0);
        },
      ],
      [
        'last fragment ending before received data',
        (r) => {
          r.insert(KEY, 32, true, bytes(8), 0);
          return r.insert(KEY, 8, false, bytes(8), 0);
        },
      ],
    ];
    for (const [name, run] of cases) {
      const r = new Ipv4Reassembler();
      expect(run(r), name).toBe('bad-fragment');
      expect(r.size, name).toBe(0);
      expect(r.stats.bufferedBytes, name).toBe(0);
    }
  });

  it('expires datagrams a fixed time after their first fragment and reports them', () => {
    const expired: ExpiredDatagram[] = [];
    const r = new Ipv4Reassembler({
      timeout: 30 * S,
      onTimeout: (d) => {
        expired.push({
          ...d,
          firstFragment: d.firstFragment && {
            header: d.firstFragment.header?.slice(),
            data: d.firstFragment.data.slice(),
          },
        });
      },
    });
    expect(r.pollAt()).toBeUndefined();
    const header = bytes(24, 9);
    r.insert(KEY, 0, true, bytes(16), 1 * S, header);
    r.insert({ ...KEY, identification: 2 }, 8, true, bytes(8), 2 * S);
    expect(r.pollAt()).toBe(31 * S);
    // A later fragment does not extend the age limit.
    r.insert(KEY, 24, true, bytes(8), 30 * S);
    expect(r.expire(31 * S - 1)).toBe(0);
    expect(r.expire(31 * S)).toBe(1);
    expect(r.pollAt()).toBe(32 * S);
    expect(expired).toHaveLength(1);
    expect(expired[0]!.identification).toBe(KEY.identification);
    expect([...expired[0]!.firstFragment!.header!]).toEqual([...header]);
    expect([...expired[0]!.firstFragment!.data]).toEqual([...bytes(16)]);
    // Without the first fragment there is nothing to quote (RFC 1122 §3.3.2).
    expect(r.expire(40 * S)).toBe(1);
    expect(expired[1]!.firstFragment).toBeUndefined();
    expect(r.pollAt()).toBeUndefined();
    expect(r.stats.timedOut).toBe(2);
    expect(r.stats.bufferedBytes).toBe(0);
  });

  it('an insert after the deadline starts a fresh datagram', () => {
    const r = new Ipv4Reassembler({ timeout: 10 * S });
    const payload = bytes(16);
    r.insert(KEY, 0, true, payload.subarray(0, 8), 0);
    expect(r.insert(KEY, 8, false, payload.subarray(8), 10 * S)).toBeUndefined();
    expect(r.stats.timedOut).toBe(1);
    const out = r.insert(KEY, 0, true, payload.subarray(0, 8), 11 * S) as Uint8Array;
    expect([...out]).toEqual([...payload]);
  });

  it('evicts the oldest incomplete datagram when maxDatagrams is reached', () => {
    const r = new Ipv4Reassembler({ maxDatagrams: 2 });
    for (let id = 0; id < 3; id++) {
      r.insert({ ...KEY, identification: id }, 0, true, bytes(8), id);
    }
    expect(r.size).toBe(2);
    expect(r.stats.evicted).toBe(1);
    expect(r.insert({ ...KEY, identification: 0 }, 8, false, bytes(1), 5)).toBeUndefined();
    expect(r.insert({ ...KEY, identification: 2 }, 8, false, bytes(1), 5)).toBeInstanceOf(
      Uint8Array,
    );
  });

  it('a flood that never completes cannot lock out a real datagram', () => {
    const r = new Ipv4Reassembler({ maxBytes: 64 * 1024, maxDatagrams: 1024 });
    // The attacker sends the far end of many datagrams, each forcing a large buffer.
    for (let id = 0; id < 500; id++) {
      const out = r.insert({ ...KEY, source: 66, identification: id }, 60_000, true, bytes(8), 0);
      expect(typeof out === 'string' ? out : 'held').not.toBe('memory');
      expect(r.stats.bufferedBytes).toBeLessThanOrEqual(64 * 1024);
    }
    const payload = bytes(4000);
    const frags = fragments(payload, [1480, 2960]);
    const outs = frags.map((f) => r.insert(KEY, f.offset, f.more, f.data, 1));
    expect([...(outs[2] as Uint8Array)]).toEqual([...payload]);
    expect(r.stats.evicted).toBeGreaterThan(0);
  });

  it('refuses a datagram that alone exceeds maxBytes, keeping the others', () => {
    const r = new Ipv4Reassembler({ maxBytes: 8192 });
    r.insert({ ...KEY, identification: 1 }, 0, true, bytes(8), 0);
    expect(r.insert(KEY, 16_000, false, bytes(8), 0)).toBe('memory');
    expect(r.size).toBe(1);
    expect(r.stats.drops.memory).toBe(1);
    expect(r.stats.highWater).toBeLessThanOrEqual(8192);
  });

  it('counts buffer capacity, not just data, against maxBytes', () => {
    const r = new Ipv4Reassembler();
    r.insert(KEY, 8000, false, bytes(8), 0);
    expect(r.stats.bufferedBytes).toBeGreaterThanOrEqual(8008);
    r.clear();
    expect(r.stats.bufferedBytes).toBe(0);
    expect(r.size).toBe(0);
  });

  it('rejects bad options with a typed error', () => {
    expect(() => new Ipv4Reassembler({ maxDatagrams: 0 })).toThrow(ReassemblyError);
    expect(() => new Ipv4Reassembler({ maxBytes: 10 })).toThrow(ReassemblyError);
    expect(() => new Ipv4Reassembler({ timeout: 0 })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });

  it('property: random fragmentations in random order with duplicates reassemble exactly', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 5000 }),
        fc.array(fc.integer({ min: 1, max: 625 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.nat(),
        (payload, cutBlocks, duplicates, seed) => {
          const frags = fragments(
            payload,
            [...new Set(cutBlocks.map((b) => b * 8))].sort((a, b) => a - b),
          );
          const sends = [...frags];
          for (const d of duplicates) sends.push(frags[d % frags.length]!);
          let s = seed;
          for (let i = sends.length - 1; i > 0; i--) {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            const j = s % (i + 1);
            [sends[i], sends[j]] = [sends[j]!, sends[i]!];
          }
          const r = new Ipv4Reassembler();
          let result: Uint8Array | undefined;
          for (const f of sends) {
            const out = r.insert(KEY, f.offset, f.more, f.data, 0);
            if (result !== undefined) continue; // late duplicates start a new datagram
            expect(typeof out).not.toBe('string');
            if (out instanceof Uint8Array) result = out;
          }
          expect(result).toBeDefined();
          expect([...result!]).toEqual([...payload]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: hostile fragment streams never throw and never exceed maxBytes', () => {
    const fragment = fc.record({
      source: fc.integer({ min: 0, max: 3 }),
      identification: fc.integer({ min: 0, max: 7 }),
      offset: fc.oneof(
        fc.integer({ min: 0, max: 8191 }).map((b) => b * 8),
        fc.integer({ min: 0, max: 66_000 }),
      ),
      more: fc.boolean(),
      length: fc.oneof(
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 0, max: 300 }).map((b) => b * 8),
      ),
      fill: fc.integer({ min: 0, max: 3 }),
      dt: fc.integer({ min: 0, max: 3 * S }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 2048, max: 96 * 1024 }),
        fc.integer({ min: 1, max: 16 }),
        fc.array(fragment, { maxLength: 150 }),
        (maxBytes, maxDatagrams, stream) => {
          const r = new Ipv4Reassembler({ maxBytes, maxDatagrams, timeout: 10 * S });
          let now = 0;
          for (const f of stream) {
            now += f.dt;
            const out = r.insert(
              { source: f.source, destination: 1, protocol: 6, identification: f.identification },
              f.offset,
              f.more,
              new Uint8Array(f.length).fill(f.fill),
              now,
            );
            expect(out === undefined || out instanceof Uint8Array || typeof out === 'string').toBe(
              true,
            );
            expect(r.stats.bufferedBytes).toBeLessThanOrEqual(maxBytes);
            expect(r.stats.bufferedBytes).toBeGreaterThanOrEqual(0);
            expect(r.size).toBeLessThanOrEqual(maxDatagrams);
            const at = r.pollAt();
            if (at !== undefined) expect(at).toBeGreaterThan(now);
          }
          expect(r.stats.highWater).toBeLessThanOrEqual(maxBytes);
          r.expire(now + 10 * S);
          expect(r.size).toBe(0);
          expect(r.stats.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: under advancing time nothing outlives the timeout', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.integer({ min: 0, max: 20 }),
            dt: fc.integer({ min: 0, max: 5 * S }),
          }),
          { maxLength: 100 },
        ),
        (events) => {
          const timeout = 7 * S;
          const started = new Map<number, number>();
          let timedOut = 0;
          let now = 0;
          const r = new Ipv4Reassembler({
            timeout,
            maxDatagrams: 64,
            onTimeout: (d) => {
              const t0 = started.get(d.identification)!;
              expect(now).toBeGreaterThanOrEqual(t0 + timeout);
              started.delete(d.identification);
              timedOut++;
            },
          });
          events.forEach((e, i) => {
            now += e.dt;
            expect(r.expire(now)).toBeGreaterThanOrEqual(0);
            for (const t0 of started.values()) expect(now).toBeLessThan(t0 + timeout);
            if (!started.has(e.id)) started.set(e.id, now);
            // A fresh offset per event: no overlaps, so only the timeout removes datagrams.
            expect(
              r.insert({ ...KEY, identification: e.id }, 8 * (i + 1), true, bytes(8), now),
            ).toBe(undefined);
          });
          expect(r.size).toBe(started.size);
          expect(r.stats.timedOut).toBe(timedOut);
        },
      ),
      { numRuns: 200 },
    );
  });
});
