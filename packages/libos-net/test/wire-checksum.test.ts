import {
  finishChecksum,
  internetChecksum,
  ipv4PseudoHeaderSum,
  onesComplementSum,
  parseIpv4Address,
} from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** Independent reference: RFC 1071 §4.1 word by word, carries folded at the end. */
function referenceSum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) + (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

describe('Internet checksum (RFC 1071)', () => {
  it('sums the RFC 1071 §3 example words 0001 f203 f4f5 f6f7 to ddf2', () => {
    const words = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(onesComplementSum(words)).toBe(0xddf2);
    expect(internetChecksum(words)).toBe(0x220d);
    expect(finishChecksum(0xddf2)).toBe(0x220d);
    // §3: the sum is byte-order independent — swapped bytes give the swapped sum.
    const swapped = new Uint8Array([0x01, 0x00, 0x03, 0xf2, 0xf5, 0xf4, 0xf7, 0xf6]);
    expect(onesComplementSum(swapped)).toBe(0xf2dd);
  });

  it('pads an odd trailing byte on the right (RFC 1071 §4.1)', () => {
    expect(onesComplementSum(new Uint8Array([0xab]))).toBe(0xab00);
    expect(onesComplementSum(new Uint8Array([0x00, 0x01, 0xf2]))).toBe(0xf201);
    expect(onesComplementSum(new Uint8Array(0))).toBe(0);
    expect(onesComplementSum(new Uint8Array(0), 0x1234)).toBe(0x1234);
  });

  it('verifies a real IPv4 header: its sum including the checksum field is 0xffff', () => {
    // Kernel-built header of a DNS query over loopback (captured with tcpdump -xx).
    const header = new Uint8Array([
      0x45, 0x00, 0x00, 0x39, 0x47, 0xb2, 0x40, 0x00, 0x40, 0x11, 0xf4, 0xff, 0x7f, 0x00, 0x00,
      0x01, 0x7f, 0x00, 0x00, 0x01,
    ]);
    expect(onesComplementSum(header)).toBe(0xffff);
    expect(internetChecksum(header)).toBe(0);
    expect(referenceSum(header)).toBe(0xffff);
  });

  it('folds carries correctly across the 1 MiB accumulation chunks', () => {
    for (const length of [7, 8, 9, (1 << 20) - 2, 1 << 20, (1 << 20) + 1, 2_621_441]) {
      const ones = new Uint8Array(length).fill(0xff);
      expect(onesComplementSum(ones)).toBe(referenceSum(ones));
      const pattern = new Uint8Array(length);
      for (let i = 0; i < length; i++) pattern[i] = (i * 131 + 7) & 0xff;
      expect(onesComplementSum(pattern)).toBe(referenceSum(pattern));
    }
  });

  it('equals the naive reference for random data at any byteOffset and length', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.nat({ max: 7 }),
        (data, offset) => {
          const backing = new Uint8Array(data.length + offset + 3).fill(0xa5);
          backing.set(data, offset);
          const view = backing.subarray(offset, offset + data.length);
          expect(onesComplementSum(view)).toBe(referenceSum(data));
          expect(internetChecksum(view)).toBe(~referenceSum(data) & 0xffff);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('chains exactly when the earlier chunk has an even length', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.uint8Array({ maxLength: 600 }),
        (first, second) => {
          const head = first.subarray(0, first.length & ~1);
          const whole = new Uint8Array(head.length + second.length);
          whole.set(head);
          whole.set(second, head.length);
          expect(onesComplementSum(second, onesComplementSum(head))).toBe(referenceSum(whole));
        },
      ),
    );
  });

  it('builds the IPv4 pseudo header sum (RFC 768) like summing its 12 bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffff }),
        (source, destination, protocol, length) => {
          const pseudo = new Uint8Array(12);
          const view = new DataView(pseudo.buffer);
          view.setUint32(0, source);
          view.setUint32(4, destination);
          view.setUint8(9, protocol);
          view.setUint16(10, length);
          expect(ipv4PseudoHeaderSum(source, destination, protocol, length)).toBe(
            referenceSum(pseudo),
          );
        },
      ),
    );
    const a = parseIpv4Address('10.0.2.15');
    const b = parseIpv4Address('10.0.2.3');
    // 0x0a00 + 0x020f + 0x0a00 + 0x0203 + 0x0011 + 0x0025
    expect(ipv4PseudoHeaderSum(a, b, 17, 37)).toBe(0x1848);
  });
});
