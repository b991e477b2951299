import {
  emitIpv4Repr,
  IpProtocol,
  Ipv4Packet,
  type Ipv4Repr,
  ipv4OptionsWellFormed,
  parseIpv4Address,
  parseIpv4Repr,
  WireFormatError,
} from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex, referenceChecksum } from './wire-fixture.js';

/**
 * A DNS query (A? example.com) sent by Linux from 10.0.2.15:49152 to 10.0.2.3:53 over a
 * veth pair, captured with `tcpdump -xx` (Ethernet header removed). The UDP checksum
 * field holds 0x45bb, the value tcpdump computed: the capture had the partial
 * (offload) value 0x1848 that a NIC would have completed.
 */
const DNS_QUERY_PACKET = hex(`
  4500 0039 930b 4000 4011 8f97 0a00 020f
  0a00 0203 c000 0035 0025 45bb 1234 0100
  0001 0000 0000 0000 0765 7861 6d70 6c65
  0363 6f6d 0000 0100 01`);

/** The header of the kernel's ICMP port unreachable in answer to it: TOS 0xc0 (DSCP CS6), DF clear. */
const PORT_UNREACHABLE_PACKET_HEADER = hex(`
  45c0 0055 aedd 0000 4001 b2f9 0a00 0203 0a00 020f`);

const GUEST = parseIpv4Address('10.0.2.15');
const DNS_SERVER = parseIpv4Address('10.0.2.3');

describe('IPv4 packets (RFC 791)', () => {
  it('fixture header checksums agree with the independent reference', () => {
    for (const header of [DNS_QUERY_PACKET.slice(0, 20), PORT_UNREACHABLE_PACKET_HEADER.slice()]) {
      const stored = (header[10]! << 8) | header[11]!;
      header[10] = 0;
      header[11] = 0;
      expect(referenceChecksum(header)).toBe(stored);
    }
  });

  it('deconstructs a captured packet', () => {
    const packet = Ipv4Packet.check(DNS_QUERY_PACKET);
    if (typeof packet === 'string') throw new Error(packet);
    expect(packet.version).toBe(4);
    expect(packet.headerLength).toBe(20);
    expect(packet.dscp).toBe(0);
    expect(packet.ecn).toBe(0);
    expect(packet.totalLength).toBe(57);
    expect(packet.identification).toBe(0x930b);
    expect(packet.dontFragment).toBe(true);
    expect(packet.moreFragments).toBe(false);
    expect(packet.fragmentOffset).toBe(0);
    expect(packet.isFragment).toBe(false);
    expect(packet.ttl).toBe(64);
    expect(packet.protocol).toBe(IpProtocol.UDP);
    expect(packet.headerChecksum).toBe(0x8f97);
    expect(packet.source).toBe(GUEST);
    expect(packet.destination).toBe(DNS_SERVER);
    expect(packet.options.length).toBe(0);
    expect([...packet.payload]).toEqual([...DNS_QUERY_PACKET.subarray(20)]);
    expect(packet.verifyChecksum()).toBe(true);

    const error = Ipv4Packet.check(PORT_UNREACHABLE_PACKET_HEADER);
    // Header only: the total length 0x55 runs past the 20 bytes given.
    expect(error).toBe('bad-total-length');
    const unchecked = new Ipv4Packet(PORT_UNREACHABLE_PACKET_HEADER);
    expect(unchecked.dscp).toBe(48);
    expect(unchecked.ecn).toBe(0);
    expect(unchecked.dontFragment).toBe(false);
    expect(unchecked.protocol).toBe(IpProtocol.ICMP);
    expect(unchecked.verifyChecksum()).toBe(true);
  });

  it('constructs the same bytes through the setters', () => {
    const bytes = new Uint8Array(DNS_QUERY_PACKET.length);
    const packet = new Ipv4Packet(bytes);
    packet.setVersionAndHeaderLength(20);
    packet.dscp = 0;
    packet.ecn = 0;
    packet.totalLength = 57;
    packet.identification = 0x930b;
    packet.setFragment(true, false, 0);
    packet.ttl = 64;
    packet.protocol = IpProtocol.UDP;
    packet.source = GUEST;
    packet.destination = DNS_SERVER;
    packet.payload.set(DNS_QUERY_PACKET.subarray(20));
    packet.fillChecksum();
    expect([...bytes]).toEqual([...DNS_QUERY_PACKET]);
    packet.headerChecksum = 0x1234;
    expect(packet.verifyChecksum()).toBe(false);
  });

  it('parses into a repr, verifying the checksum', () => {
    const packet = Ipv4Packet.check(DNS_QUERY_PACKET);
    if (typeof packet === 'string') throw new Error(packet);
    expect(parseIpv4Repr(packet)).toEqual({
      source: GUEST,
      destination: DNS_SERVER,
      protocol: 17,
      payloadLength: 37,
      ttl: 64,
      identification: 0x930b,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      dscp: 0,
    });
    const corrupt = DNS_QUERY_PACKET.slice();
    corrupt[8] = 63; // TTL changed without fixing the checksum
    const bad = Ipv4Packet.check(corrupt);
    if (typeof bad === 'string') throw new Error(bad);
    expect(parseIpv4Repr(bad)).toBe('bad-checksum');
    expect(parseIpv4Repr(bad, { checksumVerified: true })).toMatchObject({ ttl: 63 });
  });

  it('emits the 20-byte header with its checksum', () => {
    const buffer = new Uint8Array(20);
    const repr: Ipv4Repr = {
      source: GUEST,
      destination: DNS_SERVER,
      protocol: IpProtocol.UDP,
      payloadLength: 37,
      ttl: 64,
      identification: 0x930b,
      dontFragment: true,
    };
    expect(emitIpv4Repr(repr, buffer)).toBe(20);
    expect([...buffer]).toEqual([...DNS_QUERY_PACKET.subarray(0, 20)]);
    emitIpv4Repr(repr, buffer, { checksum: false });
    expect(buffer[10]).toBe(0);
    expect(buffer[11]).toBe(0);
    expect(() => emitIpv4Repr(repr, new Uint8Array(19))).toThrow(
      expect.objectContaining({ code: 'ENOSPC' }),
    );
    expect(() => emitIpv4Repr({ ...repr, ttl: 256 }, buffer)).toThrow(WireFormatError);
    expect(() => emitIpv4Repr({ ...repr, payloadLength: 65516 }, buffer)).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(() => emitIpv4Repr({ ...repr, fragmentOffset: 12 }, buffer)).toThrow(WireFormatError);
  });

  it('checks every length field against the bytes', () => {
    expect(Ipv4Packet.check(DNS_QUERY_PACKET.subarray(0, 19))).toBe('truncated');
    const v6 = DNS_QUERY_PACKET.slice();
    v6[0] = 0x65;
    expect(Ipv4Packet.check(v6)).toBe('bad-version');
    const shortIhl = DNS_QUERY_PACKET.slice();
    shortIhl[0] = 0x44;
    expect(Ipv4Packet.check(shortIhl)).toBe('bad-header-length');
    const longIhl = DNS_QUERY_PACKET.slice(0, 40);
    longIhl[0] = 0x4f; // 60-byte header in 40 bytes
    expect(Ipv4Packet.check(longIhl)).toBe('truncated');
    const tooLong = DNS_QUERY_PACKET.slice();
    tooLong[3] = 58;
    expect(Ipv4Packet.check(tooLong)).toBe('bad-total-length');
    const tooShort = DNS_QUERY_PACKET.slice();
    tooShort[2] = 0;
    tooShort[3] = 19;
    expect(Ipv4Packet.check(tooShort)).toBe('bad-total-length');
    // Ethernet padding after the total length is accepted and excluded from the payload.
    const padded = new Uint8Array(DNS_QUERY_PACKET.length + 9);
    padded.set(DNS_QUERY_PACKET);
    const packet = Ipv4Packet.check(padded);
    if (typeof packet === 'string') throw new Error(packet);
    expect(packet.payload.length).toBe(37);
  });

  it('encodes fragment flags and offsets in bytes', () => {
    const packet = new Ipv4Packet(DNS_QUERY_PACKET.slice());
    packet.setFragment(false, true, 1480);
    expect(packet.moreFragments).toBe(true);
    expect(packet.dontFragment).toBe(false);
    expect(packet.fragmentOffset).toBe(1480);
    expect(packet.isFragment).toBe(true);
    expect([packet.bytes[6], packet.bytes[7]]).toEqual([0x20, 0xb9]); // 1480 / 8 = 185
    packet.setFragment(false, false, 8);
    expect(packet.isFragment).toBe(true);
    packet.setFragment(true, false, 0);
    expect(packet.isFragment).toBe(false);
    expect(() => packet.setFragment(false, false, 4)).toThrow(WireFormatError);
    expect(() => packet.setFragment(false, false, 65536)).toThrow(WireFormatError);
    packet.setFragment(false, false, 65528);
    expect(packet.fragmentOffset).toBe(65528);
  });

  it('exposes options and walks them (RFC 791 §3.1)', () => {
    // The DNS query with a Router Alert option (RFC 2113): IHL 6.
    const bytes = new Uint8Array(DNS_QUERY_PACKET.length + 4);
    bytes.set(DNS_QUERY_PACKET.subarray(0, 20));
    bytes.set([0x94, 0x04, 0x00, 0x00], 20);
    bytes.set(DNS_QUERY_PACKET.subarray(20), 24);
    const packet = new Ipv4Packet(bytes);
    packet.setVersionAndHeaderLength(24);
    packet.totalLength = 61;
    packet.fillChecksum();
    const checked = Ipv4Packet.check(bytes);
    if (typeof checked === 'string') throw new Error(checked);
    expect(checked.headerLength).toBe(24);
    expect([...checked.options]).toEqual([0x94, 0x04, 0x00, 0x00]);
    expect(checked.payload[0]).toBe(0xc0);
    expect(checked.verifyChecksum()).toBe(true);
    expect(referenceChecksum(bytes.subarray(0, 24))).toBe(0);
    expect(ipv4OptionsWellFormed(checked.options)).toBe(true);

    expect(ipv4OptionsWellFormed(new Uint8Array(0))).toBe(true);
    expect(ipv4OptionsWellFormed(new Uint8Array([1, 1, 1, 0]))).toBe(true);
    expect(ipv4OptionsWellFormed(new Uint8Array([0, 0xff, 0xff, 0xff]))).toBe(true); // after EOL: padding
    expect(ipv4OptionsWellFormed(new Uint8Array([0x83, 0x07, 4, 0]))).toBe(false); // runs past the end
    expect(ipv4OptionsWellFormed(new Uint8Array([0x94, 0x01, 0, 0]))).toBe(false); // length < 2
    expect(ipv4OptionsWellFormed(new Uint8Array([1, 1, 1, 0x94]))).toBe(false); // no length byte
    expect(ipv4OptionsWellFormed(new Uint8Array([0x82, 0x02, 1, 0]))).toBe(true);
    expect(() => packet.setVersionAndHeaderLength(22)).toThrow(WireFormatError);
  });

  it('never throws on arbitrary or mutated input, and stays in bounds', () => {
    const inspect = (bytes: Uint8Array): void => {
      const packet = Ipv4Packet.check(bytes);
      if (typeof packet === 'string') {
        expect(['truncated', 'bad-version', 'bad-header-length', 'bad-total-length']).toContain(
          packet,
        );
        return;
      }
      expect(packet.headerLength).toBeGreaterThanOrEqual(20);
      expect(packet.payload.length).toBe(packet.totalLength - packet.headerLength);
      expect(packet.options.length).toBe(packet.headerLength - 20);
      ipv4OptionsWellFormed(packet.options);
      const repr = parseIpv4Repr(packet);
      if (repr !== 'bad-checksum') expect(repr.payloadLength).toBe(packet.payload.length);
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), inspect), { numRuns: 500 });
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.nat({ max: DNS_QUERY_PACKET.length - 1 }), fc.integer({ min: 0, max: 255 })),
          {
            maxLength: 4,
          },
        ),
        fc.nat({ max: DNS_QUERY_PACKET.length }),
        (mutations, cut) => {
          const bytes = DNS_QUERY_PACKET.slice(0, cut);
          for (const [at, value] of mutations) if (at < bytes.length) bytes[at] = value;
          inspect(bytes);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('emit → check → parse round-trips arbitrary reprs', () => {
    const arbitraryRepr = fc.record({
      source: fc.integer({ min: 0, max: 0xffffffff }),
      destination: fc.integer({ min: 0, max: 0xffffffff }),
      protocol: fc.integer({ min: 0, max: 255 }),
      payloadLength: fc.integer({ min: 0, max: 2000 }),
      ttl: fc.integer({ min: 0, max: 255 }),
      identification: fc.integer({ min: 0, max: 0xffff }),
      dontFragment: fc.boolean(),
      moreFragments: fc.boolean(),
      fragmentOffset: fc.integer({ min: 0, max: 0x1fff }).map((units) => units * 8),
      dscp: fc.integer({ min: 0, max: 63 }),
    });
    fc.assert(
      fc.property(arbitraryRepr, (repr) => {
        const buffer = new Uint8Array(20 + repr.payloadLength);
        emitIpv4Repr(repr, buffer);
        const packet = Ipv4Packet.check(buffer);
        if (typeof packet === 'string') throw new Error(packet);
        expect(referenceChecksum(buffer.subarray(0, 20))).toBe(0);
        expect(parseIpv4Repr(packet)).toEqual(repr);
      }),
    );
  });
});
