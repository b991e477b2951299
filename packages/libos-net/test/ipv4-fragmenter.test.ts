import { FragmentationError, Ipv4Reassembler, planFragments } from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('planFragments', () => {
  it('leaves a payload that fits as one unfragmented piece', () => {
    expect(planFragments(1480, 1500)).toEqual([{ offset: 0, length: 1480, more: false }]);
    expect(planFragments(0, 1500)).toEqual([{ offset: 0, length: 0, more: false }]);
  });

  it('splits like RFC 791 §3.2 with 8-byte aligned non-last fragments', () => {
    expect(planFragments(4000, 1500)).toEqual([
      { offset: 0, length: 1480, more: true },
      { offset: 1480, length: 1480, more: true },
      { offset: 2960, length: 1040, more: false },
    ]);
    // MTU 1006 with a 24-byte header: 982 data bytes fit, 976 is the multiple of 8 used.
    expect(planFragments(2000, 1006, 24)).toEqual([
      { offset: 0, length: 976, more: true },
      { offset: 976, length: 976, more: true },
      { offset: 1952, length: 48, more: false },
    ]);
    // RFC 791 minimum MTU 68 with a 60-byte header: 8 bytes per fragment.
    expect(planFragments(17, 68, 60)).toEqual([
      { offset: 0, length: 8, more: true },
      { offset: 8, length: 8, more: true },
      { offset: 16, length: 1, more: false },
    ]);
  });

  it('rejects impossible plans with typed errors', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(FragmentationError);
        return (e as FragmentationError).code;
      }
      return undefined;
    };
    expect(code(() => planFragments(100, 27))).toBe('EINVAL');
    expect(code(() => planFragments(100, 28))).toBeUndefined();
    expect(code(() => planFragments(100, 1500, 22))).toBe('EINVAL');
    expect(code(() => planFragments(100, 1500, 64))).toBe('EINVAL');
    expect(code(() => planFragments(-1, 1500))).toBe('EINVAL');
    expect(code(() => planFragments(65_516, 1500))).toBe('EMSGSIZE');
    expect(code(() => planFragments(65_515, 1500))).toBeUndefined();
  });

  it('property: plans tile the payload, fit the MTU and keep 8-byte alignment', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65_515 - 40 }),
        fc.integer({ min: 68, max: 9000 }),
        fc.integer({ min: 5, max: 15 }).map((ihl) => ihl * 4),
        (length, mtu, header) => {
          const plan = planFragments(length, mtu, header);
          const block = Math.floor((mtu - header) / 8) * 8;
          const problems: string[] = [];
          let next = 0;
          plan.forEach((f, i) => {
            const last = i === plan.length - 1;
            if (f.offset !== next) problems.push(`gap before ${i}`);
            if (f.more === last) problems.push(`MF wrong on ${i}`);
            if (f.offset % 8 !== 0) problems.push(`offset ${f.offset} unaligned`);
            if (plan.length > 1 && header + f.length > mtu) problems.push(`${i} exceeds MTU`);
            if (!last && f.length !== block) problems.push(`${i} not a full block`);
            next += f.length;
          });
          expect(problems).toEqual([]);
          if (header + length <= mtu) expect(plan).toHaveLength(1);
          expect(next).toBe(length);
        },
      ),
    );
  });

  it('property: planFragments → reassembler round trip in any order', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 6000 }),
        fc.integer({ min: 68, max: 1500 }),
        fc.nat(),
        (payload, mtu, seed) => {
          const plan = planFragments(payload.length, mtu);
          const order = plan.map((_, i) => i);
          let s = seed;
          for (let i = order.length - 1; i > 0; i--) {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            const j = s % (i + 1);
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          const r = new Ipv4Reassembler();
          const key = { source: 1, destination: 2, protocol: 17, identification: seed & 0xffff };
          let result: unknown;
          order.forEach((idx, n) => {
            const f = plan[idx]!;
            const out = r.insert(
              key,
              f.offset,
              f.more,
              payload.subarray(f.offset, f.offset + f.length),
              n,
            );
            if (n < order.length - 1) expect(out).toBeUndefined();
            else result = out;
          });
          expect(result).toBeInstanceOf(Uint8Array);
          expect([...(result as Uint8Array)]).toEqual([...payload]);
          expect(r.stats.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
