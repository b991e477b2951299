import {
  emitIcmpv4Repr,
  ICMPV4_ERROR_QUOTE_LENGTH,
  Icmpv4Message,
  type Icmpv4Repr,
  Icmpv4Type,
  Icmpv4UnreachableCode,
  Ipv4Packet,
  icmpv4ErrorQuote,
  icmpv4ReprLength,
  parseIcmpv4Repr,
  WireFormatError,
} from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex, referenceChecksum } from './wire-fixture.js';

/**
 * Echo request laid out as iputils `ping` sends it (id 0x4a2f, seq 1, 56 data bytes: a
 * 16-byte little-endian `struct timeval`, then 0x10..0x37), sent to 127.0.0.1 through a
 * raw socket and captured with `tcpdump -i lo -xx`; the IPv4 header is the kernel's.
 */
const ECHO_REQUEST_PACKET = hex(`
  4500 0054 261d 4000 4001 168a 7f00 0001
  7f00 0001 0800 58c4 4a2f 0001 00f1 5365
  0000 0000 40e2 0100 0000 0000 1011 1213
  1415 1617 1819 1a1b 1c1d 1e1f 2021 2223
  2425 2627 2829 2a2b 2c2d 2e2f 3031 3233
  3435 3637`);
/** The Linux kernel's echo reply to it, same capture. */
const ECHO_REPLY_PACKET = hex(`
  4500 0054 261e 0000 4001 5689 7f00 0001
  7f00 0001 0000 60c4 4a2f 0001 00f1 5365
  0000 0000 40e2 0100 0000 0000 1011 1213
  1415 1617 1819 1a1b 1c1d 1e1f 2021 2223
  2425 2627 2829 2a2b 2c2d 2e2f 3031 3233
  3435 3637`);
const ECHO_REQUEST = ECHO_REQUEST_PACKET.subarray(20);
const ECHO_REPLY = ECHO_REPLY_PACKET.subarray(20);
const ECHO_DATA = ECHO_REQUEST.subarray(8);

/**
 * The Linux kernel's port unreachable (veth capture, IP header removed) for a UDP DNS
 * query 10.0.2.15:49152 → 10.0.2.3:53; Linux quotes the whole offending packet.
 */
const PORT_UNREACHABLE = hex(`
  0303 42b8 0000 0000 4500 0039 930b 4000
  4011 8f97 0a00 020f 0a00 0203 c000 0035
  0025 1848 1234 0100 0001 0000 0000 0000
  0765 7861 6d70 6c65 0363 6f6d 0000 0100
  01`);
const OFFENDING_PACKET = PORT_UNREACHABLE.subarray(8);

function checked(bytes: Uint8Array): Icmpv4Message {
  const message = Icmpv4Message.check(bytes);
  if (typeof message === 'string') throw new Error(message);
  return message;
}

describe('ICMPv4 (RFC 792)', () => {
  it('fixture checksums agree with the independent reference', () => {
    for (const message of [ECHO_REQUEST, ECHO_REPLY, PORT_UNREACHABLE]) {
      const zeroed = message.slice();
      zeroed[2] = 0;
      zeroed[3] = 0;
      expect(referenceChecksum(zeroed)).toBe((message[2]! << 8) | message[3]!);
    }
  });

  it('deconstructs captured echo and error messages', () => {
    const ip = Ipv4Packet.check(ECHO_REQUEST_PACKET);
    if (typeof ip === 'string') throw new Error(ip);
    const request = checked(ip.payload);
    expect(request.type).toBe(Icmpv4Type.EchoRequest);
    expect(request.code).toBe(0);
    expect(request.checksum).toBe(0x58c4);
    expect(request.identifier).toBe(0x4a2f);
    expect(request.sequenceNumber).toBe(1);
    expect(request.data.length).toBe(56);
    expect(request.data[16]).toBe(0x10);
    expect(request.verifyChecksum()).toBe(true);
    const reply = checked(ECHO_REPLY);
    expect(reply.type).toBe(Icmpv4Type.EchoReply);
    expect(reply.checksum).toBe(0x60c4);
    expect(reply.verifyChecksum()).toBe(true);
    const unreachable = checked(PORT_UNREACHABLE);
    expect(unreachable.type).toBe(Icmpv4Type.DestinationUnreachable);
    expect(unreachable.code).toBe(Icmpv4UnreachableCode.Port);
    expect(unreachable.nextHopMtu).toBe(0);
    expect(unreachable.verifyChecksum()).toBe(true);
    expect([...unreachable.data]).toEqual([...OFFENDING_PACKET]);
  });

  it('constructs the kernel reply in place from the request', () => {
    const bytes = ECHO_REQUEST.slice();
    const message = new Icmpv4Message(bytes);
    message.type = Icmpv4Type.EchoReply;
    message.fillChecksum();
    expect([...bytes]).toEqual([...ECHO_REPLY]);
    const fresh = new Icmpv4Message(new Uint8Array(64));
    fresh.type = Icmpv4Type.EchoRequest;
    fresh.code = 0;
    fresh.identifier = 0x4a2f;
    fresh.sequenceNumber = 1;
    fresh.data.set(ECHO_DATA);
    fresh.fillChecksum();
    expect([...fresh.bytes]).toEqual([...ECHO_REQUEST]);
    fresh.checksum = 0;
    expect(fresh.verifyChecksum()).toBe(false);
    expect(() => {
      fresh.code = 256;
    }).toThrow(WireFormatError);
  });

  it('parses into reprs whose data are views', () => {
    const request = parseIcmpv4Repr(checked(ECHO_REQUEST));
    expect(request).toEqual({
      kind: 'echo-request',
      identifier: 0x4a2f,
      sequenceNumber: 1,
      data: ECHO_DATA,
    });
    if (request === 'bad-checksum' || request.kind !== 'echo-request') throw new Error('kind');
    expect(request.data.buffer).toBe(ECHO_REQUEST.buffer);
    expect(parseIcmpv4Repr(checked(ECHO_REPLY))).toMatchObject({ kind: 'echo-reply' });
    expect(parseIcmpv4Repr(checked(PORT_UNREACHABLE))).toEqual({
      kind: 'destination-unreachable',
      code: 3,
      invoking: OFFENDING_PACKET,
    });
    const corrupt = ECHO_REQUEST.slice();
    corrupt[9]! ^= 1;
    expect(parseIcmpv4Repr(checked(corrupt))).toBe('bad-checksum');
    expect(parseIcmpv4Repr(checked(corrupt), { checksumVerified: true })).toMatchObject({
      kind: 'echo-request',
    });
  });

  it('parses fragmentation-needed, time-exceeded and uninterpreted messages', () => {
    const fragNeeded = new Icmpv4Message(new Uint8Array(8 + 28));
    fragNeeded.type = Icmpv4Type.DestinationUnreachable;
    fragNeeded.code = Icmpv4UnreachableCode.FragmentationNeeded;
    fragNeeded.nextHopMtu = 1400;
    fragNeeded.fillChecksum();
    expect(parseIcmpv4Repr(fragNeeded)).toEqual({
      kind: 'destination-unreachable',
      code: 4,
      nextHopMtu: 1400,
      invoking: new Uint8Array(28),
    });
    const timeExceeded = new Icmpv4Message(new Uint8Array(8 + 28));
    timeExceeded.type = Icmpv4Type.TimeExceeded;
    timeExceeded.fillChecksum();
    expect(parseIcmpv4Repr(timeExceeded)).toMatchObject({ kind: 'time-exceeded', code: 0 });
    for (const [type, code] of [
      [Icmpv4Type.Redirect, 1],
      [Icmpv4Type.ParameterProblem, 0],
      [Icmpv4Type.EchoRequest, 1],
      [42, 7],
    ] as const) {
      const message = new Icmpv4Message(new Uint8Array(8));
      message.type = type;
      message.code = code;
      message.fillChecksum();
      expect(parseIcmpv4Repr(message)).toEqual({ kind: 'other', type, code });
    }
  });

  it('emits byte-identical echo replies and errors', () => {
    const buffer = new Uint8Array(100).fill(0xee);
    const reply: Icmpv4Repr = {
      kind: 'echo-reply',
      identifier: 0x4a2f,
      sequenceNumber: 1,
      data: ECHO_DATA,
    };
    expect(icmpv4ReprLength(reply)).toBe(64);
    expect(emitIcmpv4Repr(reply, buffer)).toBe(64);
    expect([...buffer.subarray(0, 64)]).toEqual([...ECHO_REPLY]);
    expect(buffer[64]).toBe(0xee);
    const unreachable: Icmpv4Repr = {
      kind: 'destination-unreachable',
      code: Icmpv4UnreachableCode.Port,
      invoking: OFFENDING_PACKET,
    };
    expect(emitIcmpv4Repr(unreachable, buffer)).toBe(65);
    expect([...buffer.subarray(0, 65)]).toEqual([...PORT_UNREACHABLE]);
    expect(() => emitIcmpv4Repr(reply, new Uint8Array(63))).toThrow(
      expect.objectContaining({ code: 'ENOSPC' }),
    );
    expect(() => emitIcmpv4Repr({ ...reply, identifier: 0x10000 }, buffer)).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(() => emitIcmpv4Repr({ kind: 'other', type: 300, code: 0 }, buffer)).toThrow(
      WireFormatError,
    );
  });

  it('quotes the IP header plus 8 data bytes of an offending packet (RFC 792)', () => {
    expect(ICMPV4_ERROR_QUOTE_LENGTH).toBe(8);
    const quote = icmpv4ErrorQuote(OFFENDING_PACKET);
    expect(quote.length).toBe(28);
    expect([...quote]).toEqual([...OFFENDING_PACKET.subarray(0, 28)]);
    expect(quote.buffer).toBe(OFFENDING_PACKET.buffer);
    // Bounded by the bytes present, and by the total length (link padding excluded).
    expect(icmpv4ErrorQuote(OFFENDING_PACKET.subarray(0, 24)).length).toBe(24);
    const tiny = OFFENDING_PACKET.slice(0, 24);
    tiny[3] = 24; // a 24-byte packet, 4 bytes of data
    const padded = new Uint8Array(46);
    padded.set(tiny);
    expect(icmpv4ErrorQuote(padded).length).toBe(24);
    expect(icmpv4ErrorQuote(new Uint8Array(0)).length).toBe(0);
    // With options, the quote grows with the header.
    const withOptions = new Uint8Array(60);
    withOptions[0] = 0x46;
    withOptions[3] = 60;
    expect(icmpv4ErrorQuote(withOptions).length).toBe(32);
  });

  it('never throws on arbitrary or mutated input', () => {
    const inspect = (bytes: Uint8Array): void => {
      const message = Icmpv4Message.check(bytes);
      if (typeof message === 'string') {
        expect(message).toBe('truncated');
        expect(bytes.length).toBeLessThan(8);
        return;
      }
      const repr = parseIcmpv4Repr(message);
      if (repr !== 'bad-checksum') expect(typeof repr.kind).toBe('string');
      parseIcmpv4Repr(message, { checksumVerified: true });
      icmpv4ErrorQuote(bytes);
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), inspect), { numRuns: 500 });
    fc.assert(
      fc.property(
        fc.nat({ max: 64 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: 65 }),
        (at, value, cut) => {
          const bytes = PORT_UNREACHABLE.slice(0, cut);
          if (at < bytes.length) bytes[at] = value;
          inspect(bytes);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('emit → check → parse round-trips arbitrary reprs', () => {
    const u16 = fc.integer({ min: 0, max: 0xffff });
    const bytes = fc.uint8Array({ maxLength: 120 });
    const arbitraryRepr: fc.Arbitrary<Icmpv4Repr> = fc.oneof(
      fc.record({
        kind: fc.constantFrom('echo-request' as const, 'echo-reply' as const),
        identifier: u16,
        sequenceNumber: u16,
        data: bytes,
      }),
      fc.record({
        kind: fc.constant('destination-unreachable' as const),
        code: fc.integer({ min: 0, max: 255 }).filter((c) => c !== 4),
        invoking: bytes,
      }),
      fc.record({
        kind: fc.constant('destination-unreachable' as const),
        code: fc.constant(4),
        nextHopMtu: u16,
        invoking: bytes,
      }),
      fc.record({
        kind: fc.constant('time-exceeded' as const),
        code: fc.integer({ min: 0, max: 255 }),
        invoking: bytes,
      }),
      fc.record({
        kind: fc.constant('other' as const),
        type: fc.integer({ min: 0, max: 255 }).filter((t) => ![0, 3, 8, 11].includes(t)),
        code: fc.integer({ min: 0, max: 255 }),
      }),
    );
    fc.assert(
      fc.property(arbitraryRepr, (repr) => {
        const buffer = new Uint8Array(icmpv4ReprLength(repr));
        expect(emitIcmpv4Repr(repr, buffer)).toBe(buffer.length);
        expect(referenceChecksum(buffer)).toBe(0);
        expect(parseIcmpv4Repr(checked(buffer))).toEqual(repr);
      }),
    );
  });
});
