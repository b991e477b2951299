import {
  emitUdpRepr,
  IpProtocol,
  ipv4PseudoHeaderSum,
  parseIpv4Address,
  parseUdpRepr,
  UDP_HEADER_LENGTH,
  UdpDatagram,
  WireFormatError,
} from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex } from './wire-fixture.js';

/** Independent reference: RFC 768 checksum over pseudo header + datagram, byte by byte. */
function referenceUdpChecksum(source: number, destination: number, datagram: Uint8Array): number {
  const all = new Uint8Array(12 + datagram.length);
  all.set([source >>> 24, (source >>> 16) & 255, (source >>> 8) & 255, source & 255], 0);
  all.set(
    [destination >>> 24, (destination >>> 16) & 255, (destination >>> 8) & 255, destination & 255],
    4,
  );
  all[9] = 17;
  all[10] = datagram.length >> 8;
  all[11] = datagram.length & 255;
  all.set(datagram, 12);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += (all[i]! << 8) + (all[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/**
 * The UDP part of a DNS query (A? example.com) Linux sent 10.0.2.15:49152 → 10.0.2.3:53
 * over a veth pair (tcpdump -xx). The capture carried the checksum-offload partial value
 * 0x1848 (the pseudo header sum); the checksum field here is 0x45bb, the complete value
 * tcpdump -vv computed ("bad udp cksum 0x1848 -> 0x45bb").
 */
const DNS_QUERY_DATAGRAM = hex(`
  c000 0035 0025 45bb 1234 0100 0001 0000
  0000 0000 0765 7861 6d70 6c65 0363 6f6d
  0000 0100 01`);
const OFFLOAD_PARTIAL_CHECKSUM = 0x1848;
const DNS_QUESTION = DNS_QUERY_DATAGRAM.subarray(8);
const GUEST = parseIpv4Address('10.0.2.15');
const DNS_SERVER = parseIpv4Address('10.0.2.3');

describe('UDP (RFC 768)', () => {
  it('the fixture checksum agrees with the independent reference', () => {
    const zeroed = DNS_QUERY_DATAGRAM.slice();
    zeroed[6] = 0;
    zeroed[7] = 0;
    expect(referenceUdpChecksum(GUEST, DNS_SERVER, zeroed)).toBe(0x45bb);
    // What the kernel left for the NIC to complete: the folded pseudo header sum.
    expect(ipv4PseudoHeaderSum(GUEST, DNS_SERVER, IpProtocol.UDP, 37)).toBe(
      OFFLOAD_PARTIAL_CHECKSUM,
    );
  });

  it('deconstructs a captured datagram', () => {
    const datagram = UdpDatagram.check(DNS_QUERY_DATAGRAM);
    if (typeof datagram === 'string') throw new Error(datagram);
    expect(datagram.sourcePort).toBe(49152);
    expect(datagram.destinationPort).toBe(53);
    expect(datagram.length).toBe(37);
    expect(datagram.checksum).toBe(0x45bb);
    expect([...datagram.payload]).toEqual([...DNS_QUESTION]);
    expect(datagram.verifyChecksum(GUEST, DNS_SERVER)).toBe(true);
    expect(datagram.verifyChecksum(GUEST, parseIpv4Address('10.0.2.2'))).toBe(false);
  });

  it('constructs the same bytes through the setters', () => {
    const bytes = new Uint8Array(37);
    const datagram = new UdpDatagram(bytes);
    datagram.sourcePort = 49152;
    datagram.destinationPort = 53;
    datagram.length = 37;
    datagram.payload.set(DNS_QUESTION);
    datagram.fillChecksum(GUEST, DNS_SERVER);
    expect([...bytes]).toEqual([...DNS_QUERY_DATAGRAM]);
    expect(() => {
      datagram.sourcePort = 65536;
    }).toThrow(WireFormatError);
  });

  it('parses into a repr, verifying the checksum', () => {
    const datagram = UdpDatagram.check(DNS_QUERY_DATAGRAM);
    if (typeof datagram === 'string') throw new Error(datagram);
    expect(parseUdpRepr(datagram, GUEST, DNS_SERVER)).toEqual({
      sourcePort: 49152,
      destinationPort: 53,
      payloadLength: 29,
    });
    const corrupt = DNS_QUERY_DATAGRAM.slice();
    corrupt[20]! ^= 0x40;
    const bad = UdpDatagram.check(corrupt);
    if (typeof bad === 'string') throw new Error(bad);
    expect(parseUdpRepr(bad, GUEST, DNS_SERVER)).toBe('bad-checksum');
    expect(parseUdpRepr(bad, GUEST, DNS_SERVER, { checksumVerified: true })).toMatchObject({
      destinationPort: 53,
    });
    // RFC 768: a zero checksum field means "not computed" and passes.
    corrupt[6] = 0;
    corrupt[7] = 0;
    const unchecked = UdpDatagram.check(corrupt);
    if (typeof unchecked === 'string') throw new Error(unchecked);
    expect(unchecked.verifyChecksum(GUEST, DNS_SERVER)).toBe(true);
  });

  it('emits the header with a checksum over the payload already in the buffer', () => {
    const buffer = new Uint8Array(37);
    buffer.set(DNS_QUESTION, 8);
    const repr = { sourcePort: 49152, destinationPort: 53, payloadLength: 29 };
    expect(emitUdpRepr(repr, buffer, GUEST, DNS_SERVER)).toBe(UDP_HEADER_LENGTH);
    expect([...buffer]).toEqual([...DNS_QUERY_DATAGRAM]);
    emitUdpRepr(repr, buffer, GUEST, DNS_SERVER, { checksum: false });
    expect([buffer[6], buffer[7]]).toEqual([0, 0]);
    expect(emitUdpRepr(repr, new Uint8Array(8), GUEST, DNS_SERVER, { checksum: false })).toBe(8);
    expect(() => emitUdpRepr(repr, new Uint8Array(36), GUEST, DNS_SERVER)).toThrow(
      expect.objectContaining({ code: 'ENOSPC' }),
    );
    expect(() => emitUdpRepr({ ...repr, destinationPort: -1 }, buffer, GUEST, DNS_SERVER)).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });

  it('sends a computed checksum of 0 as 0xffff (RFC 768)', () => {
    const bytes = new Uint8Array(10);
    const datagram = new UdpDatagram(bytes);
    datagram.sourcePort = 1000;
    datagram.destinationPort = 2000;
    datagram.length = 10;
    // Choose the payload word so that the ones' complement sum is exactly 0xffff.
    const sumWithZeroPayload = 0xffff - referenceUdpChecksum(GUEST, DNS_SERVER, bytes);
    const word = 0xffff - sumWithZeroPayload;
    bytes[8] = word >> 8;
    bytes[9] = word & 0xff;
    expect(referenceUdpChecksum(GUEST, DNS_SERVER, bytes)).toBe(0);
    datagram.fillChecksum(GUEST, DNS_SERVER);
    expect(datagram.checksum).toBe(0xffff);
    expect(datagram.verifyChecksum(GUEST, DNS_SERVER)).toBe(true);
  });

  it('checks the length field and ignores bytes past it', () => {
    expect(UdpDatagram.check(DNS_QUERY_DATAGRAM.subarray(0, 7))).toBe('truncated');
    expect(UdpDatagram.check(DNS_QUERY_DATAGRAM.subarray(0, 36))).toBe('bad-length');
    const short = DNS_QUERY_DATAGRAM.slice();
    short[5] = 7;
    expect(UdpDatagram.check(short)).toBe('bad-length');
    const padded = new Uint8Array(46);
    padded.set(DNS_QUERY_DATAGRAM);
    padded.fill(0xaa, 37);
    const datagram = UdpDatagram.check(padded);
    if (typeof datagram === 'string') throw new Error(datagram);
    expect(datagram.payload.length).toBe(29);
    expect(datagram.verifyChecksum(GUEST, DNS_SERVER)).toBe(true);
  });

  it('never throws on arbitrary or mutated input', () => {
    const inspect = (bytes: Uint8Array): void => {
      const datagram = UdpDatagram.check(bytes);
      if (typeof datagram === 'string') {
        expect(['truncated', 'bad-length']).toContain(datagram);
        return;
      }
      expect(datagram.payload.length).toBe(datagram.length - 8);
      const repr = parseUdpRepr(datagram, GUEST, DNS_SERVER);
      if (repr !== 'bad-checksum') expect(repr.payloadLength).toBe(datagram.payload.length);
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), inspect), { numRuns: 500 });
    fc.assert(
      fc.property(
        fc.nat({ max: 36 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: 37 }),
        (at, value, cut) => {
          const bytes = DNS_QUERY_DATAGRAM.slice(0, cut);
          if (at < bytes.length) bytes[at] = value;
          inspect(bytes);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('emit → check → parse round-trips; any payload bit flip is detected', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ minLength: 1, maxLength: 1472 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.nat(),
        (sourcePort, destinationPort, payload, source, destination, flip) => {
          const buffer = new Uint8Array(8 + payload.length);
          buffer.set(payload, 8);
          const repr = { sourcePort, destinationPort, payloadLength: payload.length };
          emitUdpRepr(repr, buffer, source, destination);
          const datagram = UdpDatagram.check(buffer);
          if (typeof datagram === 'string') throw new Error(datagram);
          expect(parseUdpRepr(datagram, source, destination)).toEqual(repr);
          const zeroed = buffer.slice();
          zeroed[6] = 0;
          zeroed[7] = 0;
          expect(datagram.checksum).toBe(
            referenceUdpChecksum(source, destination, zeroed) || 0xffff,
          );
          const bit = flip % (payload.length * 8);
          buffer[8 + (bit >> 3)]! ^= 1 << (bit & 7);
          expect(parseUdpRepr(datagram, source, destination)).toBe('bad-checksum');
        },
      ),
    );
  });
});
