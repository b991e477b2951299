import { SipHash24, siphash24, TcpError } from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/**
 * The 64 SipHash-2-4 vectors of the reference implementation (Aumasson & Bernstein,
 * "SipHash: a fast short-input PRF", reference code `vectors.h` / the 64-bit table):
 * key 00 01 .. 0f, message i = 00 01 .. (i−1) for i = 0..63. Each entry is the tag as
 * the 64-bit integer whose little-endian bytes the reference code outputs.
 */
const VECTORS: readonly string[] = [
  '726fdb47dd0e0e31',
  '74f839c593dc67fd',
  '0d6c8009d9a94f5a',
  '85676696d7fb7e2d',
  'cf2794e0277187b7',
  '18765564cd99a68d',
  'cbc9466e58fee3ce',
  'ab0200f58b01d137',
  '93f5f5799a932462',
  '9e0082df0ba9e4b0',
  '7a5dbbc594ddb9f3',
  'f4b32f46226bada7',
  '751e8fbc860ee5fb',
  '14ea5627c0843d90',
  'f723ca908e7af2ee',
  'a129ca6149be45e5',
  '3f2acc7f57c29bdb',
  '699ae9f52cbe4794',
  '4bc1b3f0968dd39c',
  'bb6dc91da77961bd',
  'bed65cf21aa2ee98',
  'd0f2cbb02e3b67c7',
  '93536795e3a33e88',
  'a80c038ccd5ccec8',
  'b8ad50c6f649af94',
  'bce192de8a85b8ea',
  '17d835b85bbb15f3',
  '2f2e6163076bcfad',
  'de4daaaca71dc9a5',
  'a6a2506687956571',
  'ad87a3535c49ef28',
  '32d892fad841c342',
  '7127512f72f27cce',
  'a7f32346f95978e3',
  '12e0b01abb051238',
  '15e034d40fa197ae',
  '314dffbe0815a3b4',
  '027990f029623981',
  'cadcd4e59ef40c4d',
  '9abfd8766a33735c',
  '0e3ea96b5304a7d0',
  'ad0c42d6fc585992',
  '187306c89bc215a9',
  'd4a60abcf3792b95',
  'f935451de4f21df2',
  'a9538f0419755787',
  'db9acddff56ca510',
  'd06c98cd5c0975eb',
  'e612a3cb9ecba951',
  'c766e62cfcadaf96',
  'ee64435a9752fe72',
  'a192d576b245165a',
  '0a8787bf8ecb74b2',
  '81b3e73d20b49b6f',
  '7fa8220ba3b2ecea',
  '245731c13ca42499',
  'b78dbfaf3a8d83bd',
  'ea1ad565322a1a0b',
  '60e61c23a3795013',
  '6606d7e446282b93',
  '6ca4ecb15c5f91e1',
  '9f626da15c9625f3',
  'e51b38608ef25f57',
  '958a324ceb064572',
];

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i);
const counting = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);
const hex = (tag: { hi: number; lo: number }): string =>
  tag.hi.toString(16).padStart(8, '0') + tag.lo.toString(16).padStart(8, '0');

/**
 * An independent SipHash-2-4 written from the paper with BigInt 64-bit words — slow,
 * but structurally unlike the 32-bit-halves implementation under test.
 */
function referenceSipHash(key: Uint8Array, data: Uint8Array): bigint {
  const mask = (1n << 64n) - 1n;
  const le64 = (bytes: Uint8Array, at: number, n = 8): bigint => {
    let v = 0n;
    for (let j = n - 1; j >= 0; j--) v = (v << 8n) | BigInt(bytes[at + j]!);
    return v;
  };
  const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & mask;
  const k0 = le64(key, 0);
  const k1 = le64(key, 8);
  const v = [
    k0 ^ 0x736f6d6570736575n,
    k1 ^ 0x646f72616e646f6dn,
    k0 ^ 0x6c7967656e657261n,
    k1 ^ 0x7465646279746573n,
  ];
  const round = (): void => {
    v[0] = (v[0]! + v[1]!) & mask;
    v[1] = rotl(v[1]!, 13n) ^ v[0];
    v[0] = rotl(v[0], 32n);
    v[2] = (v[2]! + v[3]!) & mask;
    v[3] = rotl(v[3]!, 16n) ^ v[2];
    v[0] = (v[0] + v[3]) & mask;
    v[3] = rotl(v[3], 21n) ^ v[0];
    v[2] = (v[2] + v[1]) & mask;
    v[1] = rotl(v[1], 17n) ^ v[2];
    v[2] = rotl(v[2], 32n);
  };
  const full = data.length - (data.length % 8);
  const words: bigint[] = [];
  for (let i = 0; i < full; i += 8) words.push(le64(data, i));
  words.push((BigInt(data.length & 0xff) << 56n) | le64(data, full, data.length - full));
  for (const m of words) {
    v[3] = v[3]! ^ m;
    round();
    round();
    v[0] = v[0]! ^ m;
  }
  v[2] = v[2]! ^ 0xffn;
  for (let r = 0; r < 4; r++) round();
  return v[0]! ^ v[1]! ^ v[2]! ^ v[3]!;
}

describe('SipHash-2-4', () => {
  it('reproduces the paper’s Appendix A example: message 00..0e → a129ca6149be45e5', () => {
    expect(hex(siphash24(KEY, counting(15)))).toBe('a129ca6149be45e5');
  });

  it('reproduces all 64 reference vectors (message lengths 0..63, every tail length)', () => {
    const sip = new SipHash24(KEY);
    const got = VECTORS.map((_, i) => hex(sip.hash(counting(i))));
    expect(got).toEqual(VECTORS);
    // The one-shot function agrees, including on the longest (63-byte) message.
    expect(hex(siphash24(KEY, counting(63)))).toBe('958a324ceb064572');
  });

  it('returns the two halves of the tag as unsigned 32-bit numbers', () => {
    // vector 2: 0d6c8009 d9a94f5a — the low half has its top bit set.
    const tag = siphash24(KEY, counting(2));
    expect(tag).toEqual({ hi: 0x0d6c8009, lo: 0xd9a94f5a });
    expect(tag.lo).toBeGreaterThan(0x7fffffff);
  });

  it('hashLow and hashInto agree with hash and allocate no tag', () => {
    const sip = new SipHash24(KEY);
    const out = { hi: 0, lo: 0 };
    for (let n = 0; n < 64; n++) {
      const data = counting(n);
      sip.hashInto(data, out);
      expect(hex(out)).toBe(VECTORS[n]);
      expect(sip.hashLow(data)).toBe(Number.parseInt(VECTORS[n]!.slice(8), 16));
    }
  });

  it('reads messages at any byteOffset (subarray views)', () => {
    const backing = new Uint8Array(80).fill(0xee);
    backing.set(counting(31), 7);
    expect(hex(siphash24(KEY, backing.subarray(7, 7 + 31)))).toBe(VECTORS[31]);
  });

  it('matches an independent BigInt implementation on random keys and messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ maxLength: 300 }),
        (key, data) => {
          const tag = siphash24(key, data);
          expect((BigInt(tag.hi) << 32n) | BigInt(tag.lo)).toBe(referenceSipHash(key, data));
        },
      ),
      { seed: 0x5195, numRuns: 500 },
    );
  });

  it('encodes the length modulo 256 in the last word (lengths 255, 256, 257)', () => {
    for (const n of [255, 256, 257, 511, 512]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
      const tag = siphash24(KEY, data);
      expect((BigInt(tag.hi) << 32n) | BigInt(tag.lo)).toBe(referenceSipHash(KEY, data));
    }
  });

  it('copies the key: mutating it afterwards changes nothing', () => {
    const key = KEY.slice();
    const sip = new SipHash24(key);
    key.fill(0);
    expect(hex(sip.hash(counting(0)))).toBe(VECTORS[0]);
  });

  it('throws TcpError EINVAL for keys that are not 16 bytes', () => {
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof TcpError ? e.code : 'not a TcpError';
      }
      return undefined;
    };
    for (const n of [0, 8, 15, 17, 32]) {
      expect(codeOf(() => siphash24(new Uint8Array(n), new Uint8Array(0)))).toBe('EINVAL');
      expect(codeOf(() => new SipHash24(new Uint8Array(n)))).toBe('EINVAL');
    }
    expect(codeOf(() => new SipHash24(new Uint8Array(16)))).toBeUndefined();
  });
});
