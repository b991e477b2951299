import { GuestMemory, GuestMemoryError, type GuestMemoryErrorCode } from '@libos/mem';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

function codeOf(f: () => unknown): GuestMemoryErrorCode | 'no error' | 'other error' {
  try {
    f();
    return 'no error';
  } catch (e) {
    return e instanceof GuestMemoryError ? e.code : 'other error';
  }
}

describe('GuestMemory construction', () => {
  it('allocates a SharedArrayBuffer by default and an ArrayBuffer on request', () => {
    const shared = new GuestMemory(4096);
    expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(shared.shared).toBe(true);
    expect(shared.size).toBe(4096);
    const local = new GuestMemory(4096, { shared: false });
    expect(local.buffer).toBeInstanceOf(ArrayBuffer);
    expect(local.shared).toBe(false);
  });

  it('wraps an existing buffer so both see the same bytes', () => {
    const sab = new SharedArrayBuffer(64);
    const mem = new GuestMemory(sab);
    new Uint8Array(sab)[3] = 0x5a;
    expect(mem.readU8(3)).toBe(0x5a);
    expect(mem.size).toBe(64);
  });

  it('rejects sizes that are not non-negative safe integers', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(codeOf(() => new GuestMemory(bad))).toBe('BAD_SIZE');
    }
  });
});

describe('GuestMemory little-endian layout', () => {
  it('stores every width little-endian, matching literal bytes', () => {
    const mem = new GuestMemory(32);
    mem.writeU16(0, 0x1234);
    mem.writeU32(2, 0xdeadbeef);
    mem.writeU64(6, 0x0102030405060708n);
    mem.writeU8(14, 0xab);
    expect(Array.from(mem.bytes(0, 15))).toEqual([
      0x34, 0x12, 0xef, 0xbe, 0xad, 0xde, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0xab,
    ]);
  });

  it('reads literal bytes little-endian', () => {
    const mem = new GuestMemory(16);
    mem.write(0, new Uint8Array([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xff]));
    expect(mem.readU16(0)).toBe(0x0201);
    expect(mem.readU32(0)).toBe(0x04030201);
    expect(mem.readU32(4)).toBe(0xff070605);
    expect(mem.readU64(0)).toBe(0xff07060504030201n);
  });

  it('round-trips every width at any offset (property)', () => {
    const mem = new GuestMemory(64);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 56 }),
        fc.integer({ min: 0, max: 0xff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (addr, b, h, w, q) => {
          mem.writeU8(addr, b);
          expect(mem.readU8(addr)).toBe(b);
          mem.writeU16(addr, h);
          expect(mem.readU16(addr)).toBe(h);
          mem.writeU32(addr, w);
          expect(mem.readU32(addr)).toBe(w);
          mem.writeU64(addr, q);
          expect(mem.readU64(addr)).toBe(q);
        },
      ),
    );
  });

  it('round-trips safe integers through the u64 number variant', () => {
    const mem = new GuestMemory(16);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (v) => {
        mem.writeU64Number(3, v);
        expect(mem.readU64Number(3)).toBe(v);
        expect(mem.readU64(3)).toBe(BigInt(v));
      }),
    );
  });

  it('refuses u64 values above 2^53 - 1 in the number variant', () => {
    const mem = new GuestMemory(16);
    mem.writeU64(0, 1n << 53n);
    expect(codeOf(() => mem.readU64Number(0))).toBe('BAD_VALUE');
    mem.writeU64(0, (1n << 53n) - 1n);
    expect(mem.readU64Number(0)).toBe(Number.MAX_SAFE_INTEGER);
    expect(codeOf(() => mem.writeU64Number(0, -1))).toBe('BAD_VALUE');
    expect(codeOf(() => mem.writeU64Number(0, 2 ** 53))).toBe('BAD_VALUE');
  });

  it('stores values modulo 2^width', () => {
    const mem = new GuestMemory(16);
    mem.writeU16(0, 0x1_2345);
    expect(mem.readU16(0)).toBe(0x2345);
    mem.writeU64(0, -1n);
    expect(mem.readU64(0)).toBe((1n << 64n) - 1n);
  });
});

describe('GuestMemory bounds', () => {
  const mem = new GuestMemory(4096, { shared: false });

  it('accepts the last in-range address of every width and rejects the next', () => {
    expect(() => mem.readU8(4095)).not.toThrow();
    expect(codeOf(() => mem.readU8(4096))).toBe('OUT_OF_BOUNDS');
    expect(() => mem.readU16(4094)).not.toThrow();
    expect(codeOf(() => mem.readU16(4095))).toBe('OUT_OF_BOUNDS');
    expect(() => mem.readU32(4092)).not.toThrow();
    expect(codeOf(() => mem.writeU32(4093, 0))).toBe('OUT_OF_BOUNDS');
    expect(() => mem.readU64(4088)).not.toThrow();
    expect(codeOf(() => mem.writeU64(4089, 0n))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => mem.readU64Number(4089))).toBe('OUT_OF_BOUNDS');
  });

  it('rejects malformed addresses as BAD_ADDRESS', () => {
    for (const bad of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, -0.5, 2 ** 53, 2 ** 64]) {
      expect(codeOf(() => mem.readU8(bad))).toBe('BAD_ADDRESS');
      expect(codeOf(() => mem.writeU32(bad, 0))).toBe('BAD_ADDRESS');
      expect(codeOf(() => mem.bytes(bad, 1))).toBe('BAD_ADDRESS');
    }
  });

  it('rejects addresses near 2^53 as out of bounds, not as a wrapped in-range address', () => {
    const near = Number.MAX_SAFE_INTEGER - 1;
    expect(codeOf(() => mem.readU32(near))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => mem.bytes(near, 2))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => mem.bytes(0, Number.MAX_SAFE_INTEGER))).toBe('OUT_OF_BOUNDS');
    // addr + len would round to a small-looking sum in float arithmetic if computed naively.
    expect(codeOf(() => mem.bytes(4000, Number.MAX_SAFE_INTEGER - 100))).toBe('OUT_OF_BOUNDS');
  });

  it('checks bigint addresses and lengths exactly', () => {
    expect(mem.toAddress(4096n)).toBe(4096);
    expect(codeOf(() => mem.toAddress(4097n))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => mem.toAddress(-1n))).toBe('BAD_ADDRESS');
    expect(codeOf(() => mem.toAddress(1n << 64n))).toBe('BAD_ADDRESS');
    expect(codeOf(() => mem.toAddress((1n << 64n) - 1n))).toBe('OUT_OF_BOUNDS');
    // 2^53 + 1 is not representable as a number; must not round down to something valid.
    expect(codeOf(() => mem.bytes((1n << 53n) + 1n, 0))).toBe('OUT_OF_BOUNDS');
    // A descriptor whose addr + len wraps modulo 2^64 into range.
    expect(codeOf(() => mem.bytes((1n << 64n) - 16n, 32n))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => mem.bytes(16n, (1n << 64n) - 8n))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => mem.bytes(0n, 1n << 64n))).toBe('BAD_LENGTH');
    expect(codeOf(() => mem.bytes(0n, -1n))).toBe('BAD_LENGTH');
    expect(mem.bytes(4095n, 1n).length).toBe(1);
  });

  it('agrees with exact bigint arithmetic for any (addr, len) (property)', () => {
    const big = fc.bigInt({ min: -(1n << 65n), max: 1n << 65n });
    const smallish = fc.bigInt({ min: -8n, max: 5000n });
    fc.assert(
      fc.property(fc.oneof(big, smallish), fc.oneof(big, smallish), (addr, len) => {
        const code = codeOf(() => mem.checkRange(addr, len));
        const inU64 = (x: bigint): boolean => x >= 0n && x < 1n << 64n;
        if (!inU64(len)) expect(code).toBe('BAD_LENGTH');
        else if (len > 4096n) expect(code).toBe('OUT_OF_BOUNDS');
        else if (!inU64(addr)) expect(code).toBe('BAD_ADDRESS');
        else if (addr + len > 4096n) expect(code).toBe('OUT_OF_BOUNDS');
        else expect(code).toBe('no error');
        expect(mem.contains(addr, len)).toBe(code === 'no error');
      }),
    );
  });

  it('rejects bad number lengths', () => {
    expect(codeOf(() => mem.bytes(0, -1))).toBe('BAD_LENGTH');
    expect(codeOf(() => mem.bytes(0, 1.5))).toBe('BAD_LENGTH');
    expect(codeOf(() => mem.bytes(0, 2 ** 53))).toBe('BAD_LENGTH');
    expect(mem.bytes(4096, 0).length).toBe(0);
  });

  it('writes nothing when a copy is out of range', () => {
    const m = new GuestMemory(16);
    expect(codeOf(() => m.write(10, new Uint8Array(7).fill(9)))).toBe('OUT_OF_BOUNDS');
    expect(Array.from(m.u8)).toEqual(new Array(16).fill(0));
    expect(codeOf(() => m.fill(15, 2, 1))).toBe('OUT_OF_BOUNDS');
    expect(Array.from(m.u8)).toEqual(new Array(16).fill(0));
  });

  it('bytes() is a view, read/write/fill copy', () => {
    const m = new GuestMemory(64);
    const v = m.bytes(8, 4);
    v[0] = 7;
    expect(m.readU8(8)).toBe(7);
    m.write(9, new Uint8Array([1, 2]));
    expect(Array.from(v)).toEqual([7, 1, 2, 0]);
    const out = new Uint8Array(4);
    m.read(8, out);
    out[0] = 99;
    expect(m.readU8(8)).toBe(7);
    m.fill(8, 4, 0xee);
    expect(Array.from(v)).toEqual([0xee, 0xee, 0xee, 0xee]);
  });
});
