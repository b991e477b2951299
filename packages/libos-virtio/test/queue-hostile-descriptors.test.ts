/**
 * Hostile driver → device side (RELIABILITY.md items 1–4). No driver involved: each test
 * writes raw descriptors and ring entries into guest memory, then checks that
 * `popAvailable` reports the right violation, breaks the queue, throws nothing, stops
 * (vitest timeout), and leaves guest memory byte-for-byte unchanged.
 */
import { GuestMemory } from '@libos/mem';
import {
  DescriptorChain,
  DescriptorFlag,
  type QueueViolation,
  type QueueViolationCode,
  SplitQueueDevice,
} from '@libos/virtio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const N = 8;
const MEM = 1 << 16;
const DESC = 0x1000;
const AVAIL = 0x2000;
const USED = 0x3000;
const DATA = 0x4000;
const TABLE = 0x6000;
const { NEXT, WRITE, INDIRECT } = DescriptorFlag;
const T = { timeout: 2000 };

function rawQueue(indirect = true) {
  const memory = new GuestMemory(MEM);
  memory.fill(DATA, MEM - DATA, 0xcc); // canary everywhere buffers could point
  const violations: QueueViolation[] = [];
  const device = new SplitQueueDevice(
    memory,
    N,
    { desc: DESC, avail: AVAIL, used: USED },
    { eventIdx: false, indirect, onViolation: (v) => violations.push(v) },
  );
  /** Writes descriptor `i` of the table at `base` (the ring's table by default). */
  const desc = (
    i: number,
    addr: bigint | number,
    len: number,
    flags: number,
    next = 0,
    base = DESC,
  ) => {
    const at = base + 16 * i;
    memory.writeU64(at, BigInt(addr));
    memory.writeU32(at + 8, len);
    memory.writeU16(at + 12, flags);
    memory.writeU16(at + 14, next);
  };
  let idx = 0;
  /** Makes heads available: ring entries, then avail.idx. */
  const avail = (...heads: number[]) => {
    for (const h of heads) memory.writeU16(AVAIL + 4 + 2 * (idx++ % N), h);
    memory.writeU16(AVAIL + 2, idx & 0xffff);
  };
  return { memory, device, violations, desc, avail };
}

type Raw = ReturnType<typeof rawQueue>;

function differingBytes(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

function expectViolation(q: Raw, code: QueueViolationCode): void {
  const before = q.memory.u8.slice();
  let chain: DescriptorChain | null = new DescriptorChain(q.memory);
  expect(() => {
    chain = q.device.popAvailable(chain ?? undefined);
  }).not.toThrow();
  expect(chain).toBeNull();
  expect(q.device.violation?.code).toBe(code);
  expect(q.device.broken).toBe(true);
  expect(q.violations.map((v) => v.code)).toEqual([code]);
  expect(differingBytes(before, q.memory.u8)).toBe(0);
  // Broken stays broken: nothing more is consumed or written.
  expect(q.device.popAvailable()).toBeNull();
  expect(q.device.hasAvailable()).toBe(false);
  expect(q.device.publishUsed()).toBe(0);
  expect(q.violations).toHaveLength(1);
  expect(differingBytes(before, q.memory.u8)).toBe(0);
}

describe('hostile descriptors: the device reports, breaks the queue, writes nothing', () => {
  it('accepts a valid chain of exactly N descriptors (the loop bound is not too tight)', T, () => {
    const q = rawQueue();
    for (let i = 0; i < N; i++) desc8(q, i);
    q.avail(0);
    const chain = q.device.popAvailable();
    expect(chain?.segmentCount).toBe(N);
    expect(q.device.broken).toBe(false);
  });

  it('direct loop 0 → 1 → 0', T, () => {
    const q = rawQueue();
    q.desc(0, DATA, 4, NEXT, 1);
    q.desc(1, DATA, 4, NEXT, 0);
    q.avail(0);
    expectViolation(q, 'DESCRIPTOR_LOOP');
  });

  it('direct self-loop on a writable descriptor', T, () => {
    const q = rawQueue();
    q.desc(3, DATA, 4, NEXT | WRITE, 3);
    q.avail(3);
    expectViolation(q, 'DESCRIPTOR_LOOP');
  });

  it('loop through next inside an indirect table', T, () => {
    const q = rawQueue();
    q.desc(0, TABLE, 32, INDIRECT);
    q.desc(0, DATA, 4, NEXT, 1, TABLE);
    q.desc(1, DATA, 4, NEXT, 0, TABLE);
    q.avail(0);
    expectViolation(q, 'DESCRIPTOR_LOOP');
  });

  it('next out of range (next = N)', T, () => {
    const q = rawQueue();
    q.desc(0, DATA, 4, NEXT, N);
    q.avail(0);
    expectViolation(q, 'DESCRIPTOR_INDEX_OUT_OF_RANGE');
  });

  it('available head out of range', T, () => {
    const q = rawQueue();
    q.avail(0xffff);
    expectViolation(q, 'DESCRIPTOR_INDEX_OUT_OF_RANGE');
  });

  it('next beyond the entries of an indirect table', T, () => {
    const q = rawQueue();
    q.desc(0, TABLE, 32, INDIRECT);
    q.desc(0, DATA, 4, NEXT, 2, TABLE);
    q.avail(0);
    expectViolation(q, 'DESCRIPTOR_INDEX_OUT_OF_RANGE');
  });

  it('addr + len beyond the end of guest memory', T, () => {
    const q = rawQueue();
    q.desc(0, MEM - 4, 8, WRITE);
    q.avail(0);
    expectViolation(q, 'DESCRIPTOR_OUT_OF_BOUNDS');
  });

  it('addr above 2^53 (would round as a float) is out of bounds, exactly', T, () => {
    const q = rawQueue();
    q.desc(0, (1n << 53n) + 1n, 1, 0);
    q.avail(0);
    expectViolation(q, 'DESCRIPTOR_OUT_OF_BOUNDS');
  });

  it('addr near 2^64 with a len that wraps around: overflow', T, () => {
    const q = rawQueue();
    q.desc(0, (1n << 64n) - 16n, 32, WRITE);
    q.avail(0);
    expectViolation(q, 'ADDRESS_OVERFLOW');
  });

  it('addr 2^64 − 1 with len 1 ends at 2^64: overflow', T, () => {
    const q = rawQueue();
    q.desc(0, (1n << 64n) - 1n, 1, 0);
    q.avail(0);
    expectViolation(q, 'ADDRESS_OVERFLOW');
  });

  it('indirect table whose address + len overflows', T, () => {
    const q = rawQueue();
    q.desc(0, (1n << 64n) - 16n, 32, INDIRECT);
    q.avail(0);
    expectViolation(q, 'ADDRESS_OVERFLOW');
  });

  it('indirect table outside guest memory', T, () => {
    const q = rawQueue();
    q.desc(0, MEM - 16, 32, INDIRECT);
    q.avail(0);
    expectViolation(q, 'DESCRIPTOR_OUT_OF_BOUNDS');
  });

  it('indirect table length not a multiple of 16', T, () => {
    const q = rawQueue();
    q.desc(0, TABLE, 24, INDIRECT);
    q.avail(0);
    expectViolation(q, 'BAD_INDIRECT_LENGTH');
  });

  it('empty indirect table', T, () => {
    const q = rawQueue();
    q.desc(0, TABLE, 0, INDIRECT);
    q.avail(0);
    expectViolation(q, 'BAD_INDIRECT_LENGTH');
  });

  it('nested INDIRECT inside an indirect table', T, () => {
    const q = rawQueue();
    q.desc(0, TABLE, 32, INDIRECT);
    q.desc(0, DATA, 4, NEXT, 1, TABLE);
    q.desc(1, TABLE, 32, INDIRECT, 0, TABLE);
    q.avail(0);
    expectViolation(q, 'NESTED_INDIRECT');
  });

  it('INDIRECT together with NEXT', T, () => {
    const q = rawQueue();
    q.desc(0, TABLE, 16, INDIRECT | NEXT, 1);
    q.desc(0, DATA, 4, 0, 0, TABLE);
    q.desc(1, DATA, 4, 0);
    q.avail(0);
    expectViolation(q, 'INDIRECT_WITH_NEXT');
  });

  it('huge indirect table (more entries than the queue size)', T, () => {
    const q = rawQueue();
    q.desc(0, TABLE, 16 * (N + 1), INDIRECT);
    q.avail(0);
    expectViolation(q, 'INDIRECT_TABLE_TOO_LARGE');
  });

  it('indirect table of 2^28 − 1 entries is refused before it is read', T, () => {
    const q = rawQueue();
    q.desc(0, 0, 0xffff_fff0, INDIRECT);
    q.avail(0);
    expectViolation(q, 'INDIRECT_TABLE_TOO_LARGE');
  });

  it('INDIRECT when VIRTIO_F_INDIRECT_DESC was not negotiated', T, () => {
    const q = rawQueue(false);
    q.desc(0, TABLE, 16, INDIRECT);
    q.desc(0, DATA, 4, 0, 0, TABLE);
    q.avail(0);
    expectViolation(q, 'INDIRECT_NOT_NEGOTIATED');
  });

  it('avail.idx jumping by more than the queue size', T, () => {
    const q = rawQueue();
    q.memory.writeU16(AVAIL + 2, N + 1);
    expectViolation(q, 'AVAIL_INDEX_JUMP');
  });

  it('avail.idx jumping after some chains were consumed (wrap-around arithmetic)', T, () => {
    const q = rawQueue();
    q.desc(0, DATA, 4, 0);
    q.avail(0);
    const c = q.device.popAvailable()!;
    q.device.pushUsed(c, 0);
    q.device.publishUsed();
    // idx moved back by one: (0 − 1) mod 2^16 = 65535 ahead.
    q.memory.writeU16(AVAIL + 2, 0);
    expectViolation(q, 'AVAIL_INDEX_JUMP');
  });

  it('a readable descriptor after a writable one', T, () => {
    const q = rawQueue();
    q.desc(0, DATA, 4, WRITE | NEXT, 1);
    q.desc(1, DATA + 16, 4, 0);
    q.avail(0);
    expectViolation(q, 'READABLE_AFTER_WRITABLE');
  });

  it('a readable indirect entry after a writable direct descriptor', T, () => {
    const q = rawQueue();
    q.desc(0, DATA, 4, WRITE | NEXT, 1);
    q.desc(1, TABLE, 16, INDIRECT);
    q.desc(0, DATA + 16, 4, 0, 0, TABLE);
    q.avail(0);
    expectViolation(q, 'READABLE_AFTER_WRITABLE');
  });

  it('a head made available again while the device holds it', T, () => {
    const q = rawQueue();
    q.desc(0, DATA, 4, 0);
    q.avail(0, 0);
    expect(q.device.popAvailable()).not.toBeNull();
    expectViolation(q, 'HEAD_IN_USE');
  });

  it('a device reply larger than the writable buffers is refused and writes nothing', T, () => {
    const q = rawQueue();
    q.desc(0, DATA, 16, NEXT, 1);
    q.desc(1, DATA + 0x100, 8, WRITE | NEXT, 2);
    q.desc(2, DATA + 0x200, 4, WRITE);
    q.avail(0);
    const chain = q.device.popAvailable()!;
    expect(chain.writableLength).toBe(12);
    const before = q.memory.u8.slice();
    let ok = true;
    expect(() => {
      ok = chain.writeWritable(new Uint8Array(13).fill(0xee));
    }).not.toThrow();
    expect(ok).toBe(false);
    expect(differingBytes(before, q.memory.u8)).toBe(0);
    expect(chain.writeWritable(new Uint8Array(2), 11)).toBe(false);
    expect(chain.writeWritable(new Uint8Array(0), -1)).toBe(false);
    expect(differingBytes(before, q.memory.u8)).toBe(0);
    expect(q.device.violation?.code).toBe('WRITE_BEYOND_WRITABLE');
    expect(q.device.broken).toBe(true);
    expect(q.violations).toHaveLength(1);
    // The readable buffer and everything around the writable ones keep the canary.
    expect(q.memory.bytes(DATA, 16).every((b) => b === 0xcc)).toBe(true);
    expect(q.memory.readU8(DATA + 0x100 + 8)).toBe(0xcc);
    expect(q.memory.readU8(DATA + 0x200 + 4)).toBe(0xcc);
  });

  it('random descriptor tables never throw, never hang, and stay inside guest memory', T, () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            addr: fc.oneof(
              fc.integer({ min: 0, max: MEM }).map(BigInt),
              fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
            ),
            len: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 0xffffffff })),
            flags: fc.integer({ min: 0, max: 7 }),
            next: fc.oneof(fc.integer({ min: 0, max: N }), fc.integer({ min: 0, max: 0xffff })),
          }),
          { minLength: N, maxLength: N },
        ),
        fc.array(fc.integer({ min: 0, max: N }), { minLength: 1, maxLength: N }),
        (descs, heads) => {
          const q = rawQueue();
          descs.forEach((d, i) => {
            q.desc(i, d.addr, d.len, d.flags, d.next);
            // The indirect table mirrors the ring table.
            q.desc(i, d.addr, d.len, d.flags, d.next, TABLE);
          });
          q.avail(...heads);
          const before = q.memory.u8.slice();
          const chain = new DescriptorChain(q.memory);
          let popped = 0;
          while (q.device.popAvailable(chain)) {
            popped++;
            for (const s of chain.segments()) {
              expect(s.addr + s.len).toBeLessThanOrEqual(MEM);
            }
            expect(chain.segmentCount).toBeLessThanOrEqual(2 * N);
          }
          expect(popped).toBeLessThanOrEqual(heads.length);
          if (popped < heads.length) expect(q.device.broken).toBe(true);
          expect(differingBytes(before, q.memory.u8)).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** Descriptor i of a valid N-long chain: readable, NEXT to i + 1 except the last. */
function desc8(q: Raw, i: number): void {
  q.desc(i, DATA + 16 * i, 16, i < N - 1 ? NEXT : 0, i + 1);
}
