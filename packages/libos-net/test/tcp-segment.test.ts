import {
  emitTcpRepr,
  IpProtocol,
  ipv4PseudoHeaderSum,
  parseIpv4Address,
  parseTcpRepr,
  TCP_MIN_HEADER_LENGTH,
  TcpFlags,
  type TcpRepr,
  TcpSegment,
  tcpMaxSackBlocks,
  tcpReprHeaderLength,
  WireFormatError,
} from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex, referenceChecksum } from './wire-fixture.js';

/** Independent reference: RFC 9293 §3.1 checksum over pseudo header + segment. */
function referenceTcpChecksum(source: number, destination: number, segment: Uint8Array): number {
  const all = new Uint8Array(12 + segment.length);
  const put = (at: number, a: number): void => {
    all.set([a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255], at);
  };
  put(0, source);
  put(4, destination);
  all[9] = 6;
  all[10] = segment.length >> 8;
  all[11] = segment.length & 255;
  all.set(segment, 12);
  all[12 + 16] = 0;
  all[12 + 17] = 0;
  return referenceChecksum(all);
}

const CLIENT = parseIpv4Address('10.77.0.1');
const SERVER = parseIpv4Address('10.77.0.2');
const RAW_PEER = parseIpv4Address('10.77.0.9');

/**
 * A SYN Linux 6.18 sent 10.77.0.1:35244 → 10.77.0.2:5001 over a veth pair between two
 * network namespaces (tcpdump -xx): "mss 1460,sackOK,TS val 1317892345 ecr 0,nop,wscale 10".
 * Checksum offload left the partial value 0x14cb (the pseudo header sum) in the capture;
 * the field here is 0x204b, the complete value tcpdump -vv computed
 * ("cksum 0x14cb (incorrect -> 0x204b)"), re-checked by {@link referenceTcpChecksum}.
 */
const LINUX_SYN = hex(`
  89ac 1389 70a8 4ac0 0000 0000 a002 faf0
  204b 0000 0204 05b4 0402 080a 4e8d 70f9
  0000 0000 0103 030a`);

/**
 * The SYN-ACK Linux answered with (10.77.0.2:5001 → 10.77.0.1:35244). Captured checksum
 * 0x14cb (offload partial), fixed by hand to 0x44ef ("incorrect -> 0x44ef").
 */
const LINUX_SYN_ACK = hex(`
  1389 89ac 4737 9b4a 70a8 4ac1 a012 fe88
  44ef 0000 0204 05b4 0402 080a 83f9 7137
  4e8d 70f9 0103 030a`);

/**
 * A data segment Linux sent 10.77.0.2:5002 → 10.77.0.9:40000 while it held two
 * out-of-order blocks from the peer (a raw-socket client that skipped bytes 1..100 and
 * 201..300): "nop,nop,TS val 1840607955 ecr 1,nop,nop,sack 2 {301:401}{101:201}",
 * 22 bytes of data. Captured checksum 0x14f5 (offload partial), fixed by hand to 0x8fed
 * ("incorrect -> 0x8fed").
 */
const LINUX_DATA_WITH_SACK = hex(`
  138a 9c40 3170 4489 1000 0001 d018 0040
  8fed 0000 0101 080a 6db5 72d3 0000 0001
  0101 0512 1000 012d 1000 0191 1000 0065
  1000 00c9 7365 7276 6572 2d64 6174 612d
  7769 7468 2d73 6163 6b6e`);
const SACK_DATA_PAYLOAD = new TextEncoder().encode('server-data-with-sackn');

const SYN_REPR: TcpRepr = {
  sourcePort: 35244,
  destinationPort: 5001,
  sequenceNumber: 1890077376,
  acknowledgmentNumber: 0,
  flags: TcpFlags.SYN,
  window: 64240,
  options: {
    mss: 1460,
    sackPermitted: true,
    timestamps: { value: 1317892345, echo: 0 },
    windowScale: 10,
  },
  payloadLength: 0,
};

const SYN_ACK_REPR: TcpRepr = {
  sourcePort: 5001,
  destinationPort: 35244,
  sequenceNumber: 1194826570,
  acknowledgmentNumber: 1890077377,
  flags: TcpFlags.SYN | TcpFlags.ACK,
  window: 65160,
  options: {
    mss: 1460,
    sackPermitted: true,
    timestamps: { value: 2214162743, echo: 1317892345 },
    windowScale: 10,
  },
  payloadLength: 0,
};

const DATA_REPR: TcpRepr = {
  sourcePort: 5002,
  destinationPort: 40000,
  sequenceNumber: 0x3170_4489,
  acknowledgmentNumber: 0x1000_0001,
  flags: TcpFlags.PSH | TcpFlags.ACK,
  window: 64,
  options: {
    timestamps: { value: 1840607955, echo: 1 },
    sackBlocks: [
      { start: 0x1000_012d, end: 0x1000_0191 },
      { start: 0x1000_0065, end: 0x1000_00c9 },
    ],
  },
  payloadLength: 22,
};

/** The fixtures with the addresses of their carrying packets. */
const FIXTURES = [
  { name: 'SYN', bytes: LINUX_SYN, source: CLIENT, destination: SERVER, repr: SYN_REPR },
  {
    name: 'SYN-ACK',
    bytes: LINUX_SYN_ACK,
    source: SERVER,
    destination: CLIENT,
    repr: SYN_ACK_REPR,
  },
  {
    name: 'data + SACK',
    bytes: LINUX_DATA_WITH_SACK,
    source: SERVER,
    destination: RAW_PEER,
    repr: DATA_REPR,
  },
] as const;

function checked(bytes: Uint8Array): TcpSegment {
  const segment = TcpSegment.check(bytes);
  if (typeof segment === 'string') throw new Error(segment);
  return segment;
}

describe('TCP segments (RFC 9293 §3.1)', () => {
  it('the hand-fixed checksums agree with the independent reference', () => {
    expect(referenceTcpChecksum(CLIENT, SERVER, LINUX_SYN)).toBe(0x204b);
    expect(referenceTcpChecksum(SERVER, CLIENT, LINUX_SYN_ACK)).toBe(0x44ef);
    expect(referenceTcpChecksum(SERVER, RAW_PEER, LINUX_DATA_WITH_SACK)).toBe(0x8fed);
    // What the kernel left for offload to complete: the folded pseudo header sum.
    expect(ipv4PseudoHeaderSum(CLIENT, SERVER, IpProtocol.TCP, 40)).toBe(0x14cb);
    expect(ipv4PseudoHeaderSum(SERVER, RAW_PEER, IpProtocol.TCP, 74)).toBe(0x14f5);
  });

  it('deconstructs a captured Linux SYN', () => {
    const syn = checked(LINUX_SYN);
    expect(syn.sourcePort).toBe(35244);
    expect(syn.destinationPort).toBe(5001);
    expect(syn.sequenceNumber).toBe(1890077376);
    expect(syn.acknowledgmentNumber).toBe(0);
    expect(syn.headerLength).toBe(40);
    expect(syn.flags).toBe(TcpFlags.SYN);
    expect(syn.window).toBe(64240);
    expect(syn.checksum).toBe(0x204b);
    expect(syn.urgentPointer).toBe(0);
    expect(syn.options.length).toBe(20);
    expect(syn.options[0]).toBe(2); // MSS kind
    expect(syn.payload.length).toBe(0);
    expect(syn.verifyChecksum(CLIENT, SERVER)).toBe(true);
    expect(syn.verifyChecksum(SERVER, CLIENT + 1)).toBe(false);
  });

  it('deconstructs a captured data segment with SACK blocks', () => {
    const data = checked(LINUX_DATA_WITH_SACK);
    expect(data.sourcePort).toBe(5002);
    expect(data.destinationPort).toBe(40000);
    expect(data.sequenceNumber).toBe(0x3170_4489);
    expect(data.acknowledgmentNumber).toBe(0x1000_0001);
    expect(data.headerLength).toBe(52);
    expect(data.flags).toBe(TcpFlags.PSH | TcpFlags.ACK);
    expect(data.window).toBe(64);
    expect(data.options.length).toBe(32);
    expect([...data.payload]).toEqual([...SACK_DATA_PAYLOAD]);
    expect(data.verifyChecksum(SERVER, RAW_PEER)).toBe(true);
  });

  it('constructs the SYN through the setters', () => {
    const bytes = new Uint8Array(40);
    const syn = new TcpSegment(bytes);
    syn.sourcePort = 35244;
    syn.destinationPort = 5001;
    syn.sequenceNumber = 1890077376;
    syn.acknowledgmentNumber = 0;
    syn.headerLength = 40;
    syn.flags = TcpFlags.SYN;
    syn.window = 64240;
    syn.urgentPointer = 0;
    syn.options.set(LINUX_SYN.subarray(20, 40));
    syn.fillChecksum(CLIENT, SERVER);
    expect([...bytes]).toEqual([...LINUX_SYN]);
    syn.checksum = 0x1234;
    expect(syn.checksum).toBe(0x1234);
    const einval = expect.objectContaining({ code: 'EINVAL' });
    expect(() => {
      syn.sequenceNumber = 2 ** 32;
    }).toThrow(einval);
    expect(() => {
      syn.headerLength = 22;
    }).toThrow(einval);
    expect(() => {
      syn.headerLength = 64;
    }).toThrow(einval);
    expect(() => {
      syn.flags = 256;
    }).toThrow(WireFormatError);
    // The reserved low nibble of byte 12 survives a header length change.
    bytes[12] = 0xa1;
    syn.headerLength = 24;
    expect(bytes[12]).toBe(0x61);
  });

  it('parses each capture into its repr, verifying the checksum', () => {
    for (const { name, bytes, source, destination, repr } of FIXTURES) {
      expect(parseTcpRepr(checked(bytes), source, destination), name).toEqual(repr);
    }
    const corrupt = LINUX_DATA_WITH_SACK.slice();
    corrupt[60]! ^= 0x01;
    expect(parseTcpRepr(checked(corrupt), SERVER, RAW_PEER)).toBe('bad-checksum');
    expect(
      parseTcpRepr(checked(corrupt), SERVER, RAW_PEER, { checksumVerified: true }),
    ).toMatchObject({ payloadLength: 22 });
  });

  it('emits each capture byte for byte', () => {
    for (const { name, bytes, source, destination, repr } of FIXTURES) {
      const headerLength = tcpReprHeaderLength(repr);
      expect(headerLength, name).toBe(checked(bytes).headerLength);
      const buffer = new Uint8Array(bytes.length);
      buffer.set(bytes.subarray(headerLength), headerLength); // payload first
      expect(emitTcpRepr(repr, buffer, source, destination), name).toBe(headerLength);
      expect([...buffer], name).toEqual([...bytes]);
    }
    const header = new Uint8Array(52);
    emitTcpRepr(DATA_REPR, header, SERVER, RAW_PEER, { checksum: false });
    expect([header[16], header[17]]).toEqual([0, 0]);
    expect([...header.subarray(20)]).toEqual([...LINUX_DATA_WITH_SACK.subarray(20, 52)]);
    expect(() => emitTcpRepr(DATA_REPR, new Uint8Array(73), SERVER, RAW_PEER)).toThrow(
      expect.objectContaining({ code: 'ENOSPC' }),
    );
    expect(() =>
      emitTcpRepr(DATA_REPR, new Uint8Array(51), SERVER, RAW_PEER, { checksum: false }),
    ).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
    expect(() =>
      emitTcpRepr({ ...DATA_REPR, window: 65536 }, new Uint8Array(74), SERVER, RAW_PEER),
    ).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() =>
      emitTcpRepr({ ...DATA_REPR, payloadLength: 65536 - 52 }, new Uint8Array(65536), 0, 0),
    ).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('rejects a short segment or a bad data offset', () => {
    expect(TcpSegment.check(LINUX_SYN.subarray(0, 19))).toBe('truncated');
    expect(TcpSegment.check(new Uint8Array(0))).toBe('truncated');
    // Data offset 10 words (40 bytes) but only 39 bytes.
    expect(TcpSegment.check(LINUX_SYN.subarray(0, 39))).toBe('bad-data-offset');
    for (const offset of [0, 1, 4]) {
      const bad = LINUX_SYN.slice();
      bad[12] = offset << 4;
      expect(TcpSegment.check(bad)).toBe('bad-data-offset');
    }
    const max = new Uint8Array(60);
    max[12] = 0xf0;
    expect(TcpSegment.check(max)).toBeInstanceOf(TcpSegment);
    expect(TcpSegment.check(max.subarray(0, 59))).toBe('bad-data-offset');
  });

  it('reports malformed options after a good checksum', () => {
    const bytes = LINUX_SYN.slice();
    bytes[21] = 0; // MSS option length 0
    const segment = checked(bytes);
    segment.fillChecksum(CLIENT, SERVER);
    expect(parseTcpRepr(segment, CLIENT, SERVER)).toBe('malformed-options');
  });

  it('never throws on arbitrary or mutated input', () => {
    const inspect = (bytes: Uint8Array, source: number, destination: number): void => {
      const segment = TcpSegment.check(bytes);
      if (typeof segment === 'string') {
        expect(['truncated', 'bad-data-offset']).toContain(segment);
        return;
      }
      expect(segment.headerLength).toBeGreaterThanOrEqual(TCP_MIN_HEADER_LENGTH);
      expect(segment.options.length + 20 + segment.payload.length).toBe(bytes.length);
      for (const checksumVerified of [false, true]) {
        const repr = parseTcpRepr(segment, source, destination, { checksumVerified });
        if (typeof repr === 'string') {
          expect(['bad-checksum', 'malformed-options']).toContain(repr);
        } else {
          expect(repr.payloadLength).toBe(segment.payload.length);
        }
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => inspect(bytes, CLIENT, SERVER)),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURES),
        fc.array(fc.tuple(fc.nat({ max: 73 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat({ max: 74 }),
        (fixture, mutations, cut) => {
          const bytes = fixture.bytes.slice(0, cut);
          for (const [at, value] of mutations) if (at < bytes.length) bytes[at] = value;
          inspect(bytes, fixture.source, fixture.destination);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('emit → check → parse round-trips random reprs; any bit flip is detected', () => {
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
    const options = fc.record(
      {
        mss: fc.integer({ min: 1, max: 0xffff }),
        windowScale: fc.integer({ min: 0, max: 14 }),
        sackPermitted: fc.constant(true),
        timestamps: fc.record({ value: u32, echo: u32 }),
        sackBlocks: fc.array(fc.record({ start: u32, end: u32 }), { minLength: 1, maxLength: 2 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.record({
          sourcePort: fc.integer({ min: 0, max: 0xffff }),
          destinationPort: fc.integer({ min: 0, max: 0xffff }),
          sequenceNumber: u32,
          acknowledgmentNumber: u32,
          flags: fc.integer({ min: 0, max: 0xff }),
          window: fc.integer({ min: 0, max: 0xffff }),
          options,
        }),
        fc.uint8Array({ maxLength: 1460 }),
        u32,
        u32,
        fc.nat(),
        (fields, payload, source, destination, flip) => {
          expect(tcpMaxSackBlocks(fields.options)).toBeGreaterThanOrEqual(2);
          const repr: TcpRepr = { ...fields, payloadLength: payload.length };
          const headerLength = tcpReprHeaderLength(repr);
          const buffer = new Uint8Array(headerLength + payload.length);
          buffer.set(payload, headerLength);
          expect(emitTcpRepr(repr, buffer, source, destination)).toBe(headerLength);
          expect(referenceTcpChecksum(source, destination, buffer)).toBe(
            (buffer[16]! << 8) | buffer[17]!,
          );
          const segment = checked(buffer);
          expect([...segment.payload]).toEqual([...payload]);
          expect(parseTcpRepr(segment, source, destination)).toEqual(repr);
          const bit = flip % (buffer.length * 8);
          buffer[bit >> 3]! ^= 1 << (bit & 7);
          const damaged = TcpSegment.check(buffer);
          if (typeof damaged !== 'string') {
            expect(damaged.verifyChecksum(source, destination)).toBe(false);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
