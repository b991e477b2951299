import {
  readU8,
  readU16BE,
  readU16LE,
  readU32BE,
  readU32LE,
  readU64BE,
  readU64LE,
  writeU8,
  writeU16BE,
  writeU16LE,
  writeU32BE,
  writeU32LE,
  writeU64BE,
  writeU64LE,
} from '@libos/mem';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

describe('byte-order fixtures', () => {
  it('u16 big-endian (network order)', () => {
    expect(readU16BE(bytes(0x12, 0x34), 0)).toBe(0x1234);
    const b = new Uint8Array(3);
    writeU16BE(b, 1, 0x0800);
    expect(Array.from(b)).toEqual([0, 0x08, 0x00]);
  });

  it('u16 little-endian (virtio order)', () => {
    expect(readU16LE(bytes(0x12, 0x34), 0)).toBe(0x3412);
    const b = new Uint8Array(2);
    writeU16LE(b, 0, 0x1234);
    expect(Array.from(b)).toEqual([0x34, 0x12]);
  });

  it('u32 big-endian, unsigned above 2^31', () => {
    expect(readU32BE(bytes(0xc0, 0xa8, 0x00, 0x01), 0)).toBe(0xc0a80001);
    expect(readU32BE(bytes(0xff, 0xff, 0xff, 0xff), 0)).toBe(0xffffffff);
    const b = new Uint8Array(5);
    writeU32BE(b, 1, 0x12345678);
    expect(Array.from(b)).toEqual([0, 0x12, 0x34, 0x56, 0x78]);
  });

  it('u32 little-endian, unsigned above 2^31', () => {
    expect(readU32LE(bytes(0x78, 0x56, 0x34, 0x12), 0)).toBe(0x12345678);
    expect(readU32LE(bytes(0, 0, 0, 0x80), 0)).toBe(0x80000000);
    const b = new Uint8Array(4);
    writeU32LE(b, 0, 0xdeadbeef);
    expect(Array.from(b)).toEqual([0xef, 0xbe, 0xad, 0xde]);
  });

  it('u64 as bigint, both orders', () => {
    expect(readU64LE(bytes(1, 0, 0, 0, 0, 0, 0, 0x80), 0)).toBe(0x8000000000000001n);
    expect(readU64BE(bytes(0, 0, 0, 0, 0, 0, 1, 0), 0)).toBe(256n);
    const b = new Uint8Array(8);
    writeU64LE(b, 0, 0x1122334455667788n);
    expect(Array.from(b)).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
    writeU64BE(b, 0, 0x1122334455667788n);
    expect(Array.from(b)).toEqual([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    writeU64LE(b, 0, -1n);
    expect(readU64LE(b, 0)).toBe((1n << 64n) - 1n);
  });

  it('u8', () => {
    const b = new Uint8Array(2);
    writeU8(b, 1, 0x1ff);
    expect(readU8(b, 1)).toBe(0xff);
    expect(readU8(b, 0)).toBe(0);
  });

  it('writes values modulo 2^width', () => {
    const b = new Uint8Array(4);
    writeU16BE(b, 0, 0x12345);
    expect(readU16BE(b, 0)).toBe(0x2345);
    writeU32LE(b, 0, -1);
    expect(readU32LE(b, 0)).toBe(0xffffffff);
  });
});

describe('byte-order properties', () => {
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
  const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  const off = fc.integer({ min: 0, max: 8 });

  it('round-trips and agrees with DataView', () => {
    fc.assert(
      fc.property(off, u16, u32, u64, (o, h, w, q) => {
        const b = new Uint8Array(16);
        const dv = new DataView(b.buffer);
        writeU16BE(b, o, h);
        expect(readU16BE(b, o)).toBe(h);
        expect(dv.getUint16(o, false)).toBe(h);
        writeU16LE(b, o, h);
        expect(readU16LE(b, o)).toBe(h);
        expect(dv.getUint16(o, true)).toBe(h);
        writeU32BE(b, o, w);
        expect(readU32BE(b, o)).toBe(w);
        expect(dv.getUint32(o, false)).toBe(w);
        writeU32LE(b, o, w);
        expect(readU32LE(b, o)).toBe(w);
        expect(dv.getUint32(o, true)).toBe(w);
        writeU64LE(b, o, q);
        expect(readU64LE(b, o)).toBe(q);
        expect(dv.getBigUint64(o, true)).toBe(q);
        writeU64BE(b, o, q);
        expect(readU64BE(b, o)).toBe(q);
        expect(dv.getBigUint64(o, false)).toBe(q);
      }),
    );
  });

  it('BE and LE are byte reversals of each other', () => {
    fc.assert(
      fc.property(u32, (w) => {
        const be = new Uint8Array(4);
        const le = new Uint8Array(4);
        writeU32BE(be, 0, w);
        writeU32LE(le, 0, w);
        expect(Array.from(be).reverse()).toEqual(Array.from(le));
      }),
    );
  });

  it('touches only the bytes of the field', () => {
    fc.assert(
      fc.property(off, u32, (o, w) => {
        const b = new Uint8Array(16).fill(0xaa);
        writeU32BE(b, o, w);
        for (let i = 0; i < 16; i++) if (i < o || i >= o + 4) expect(b[i]).toBe(0xaa);
      }),
    );
  });
});
