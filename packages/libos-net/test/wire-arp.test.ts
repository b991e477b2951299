import {
  ARP_PACKET_LENGTH,
  ArpOperation,
  ArpPacket,
  type ArpRepr,
  emitArpRepr,
  parseArpRepr,
  parseIpv4Address,
  parseMacAddress,
  WireFormatError,
} from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex } from './wire-fixture.js';

/**
 * Linux ARP over a veth pair, captured with `tcpdump -xx` (Ethernet headers removed):
 * "who-has 10.0.2.2 tell 10.0.2.15" and "10.0.2.2 is-at 52:55:0a:00:02:02".
 */
const ARP_REQUEST = hex(`
  0001 0800 0604 0001 5254 0012 3456 0a00
  020f 0000 0000 0000 0a00 0202`);
const ARP_REPLY = hex(`
  0001 0800 0604 0002 5255 0a00 0202 0a00
  0202 5254 0012 3456 0a00 020f`);

const GUEST_MAC = parseMacAddress('52:54:00:12:34:56');
const GATEWAY_MAC = parseMacAddress('52:55:0a:00:02:02');
const GUEST_IP = parseIpv4Address('10.0.2.15');
const GATEWAY_IP = parseIpv4Address('10.0.2.2');

const REQUEST_REPR: ArpRepr = {
  operation: ArpOperation.Request,
  senderHardwareAddress: GUEST_MAC,
  senderProtocolAddress: GUEST_IP,
  targetHardwareAddress: new Uint8Array(6),
  targetProtocolAddress: GATEWAY_IP,
};
const REPLY_REPR: ArpRepr = {
  operation: ArpOperation.Reply,
  senderHardwareAddress: GATEWAY_MAC,
  senderProtocolAddress: GATEWAY_IP,
  targetHardwareAddress: GUEST_MAC,
  targetProtocolAddress: GUEST_IP,
};

describe('ARP (RFC 826, Ethernet/IPv4)', () => {
  it('deconstructs a captured request and reply', () => {
    const request = ArpPacket.check(ARP_REQUEST);
    if (typeof request === 'string') throw new Error(request);
    expect(request.operation).toBe(ArpOperation.Request);
    expect([...request.senderHardwareAddress]).toEqual([...GUEST_MAC]);
    expect(request.senderProtocolAddress).toBe(GUEST_IP);
    expect([...request.targetHardwareAddress]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(request.targetProtocolAddress).toBe(GATEWAY_IP);
    const reply = ArpPacket.check(ARP_REPLY);
    if (typeof reply === 'string') throw new Error(reply);
    expect(reply.operation).toBe(ArpOperation.Reply);
    expect([...reply.senderHardwareAddress]).toEqual([...GATEWAY_MAC]);
    expect(reply.senderProtocolAddress).toBe(GATEWAY_IP);
    expect([...reply.targetHardwareAddress]).toEqual([...GUEST_MAC]);
    expect(reply.targetProtocolAddress).toBe(GUEST_IP);
  });

  it('constructs a reply in place from the request (RFC 826 "swap")', () => {
    const bytes = ARP_REQUEST.slice();
    const packet = new ArpPacket(bytes);
    packet.operation = ArpOperation.Reply;
    packet.targetHardwareAddress.set(packet.senderHardwareAddress);
    packet.targetProtocolAddress = packet.senderProtocolAddress;
    packet.senderHardwareAddress.set(GATEWAY_MAC);
    packet.senderProtocolAddress = GATEWAY_IP;
    expect([...bytes]).toEqual([...ARP_REPLY]);
  });

  it('parses into reprs that own copies of the addresses', () => {
    const bytes = ARP_REPLY.slice();
    const packet = ArpPacket.check(bytes);
    if (typeof packet === 'string') throw new Error(packet);
    const repr = parseArpRepr(packet);
    expect(repr).toEqual(REPLY_REPR);
    bytes.fill(0);
    expect([...repr.senderHardwareAddress]).toEqual([...GATEWAY_MAC]);
    const request = ArpPacket.check(ARP_REQUEST);
    if (typeof request === 'string') throw new Error(request);
    expect(parseArpRepr(request)).toEqual(REQUEST_REPR);
  });

  it('emits byte-identical packets', () => {
    const buffer = new Uint8Array(ARP_PACKET_LENGTH);
    expect(emitArpRepr(REQUEST_REPR, buffer)).toBe(28);
    expect([...buffer]).toEqual([...ARP_REQUEST]);
    emitArpRepr(REPLY_REPR, buffer);
    expect([...buffer]).toEqual([...ARP_REPLY]);
    expect(() => emitArpRepr(REPLY_REPR, new Uint8Array(27))).toThrow(
      expect.objectContaining({ code: 'ENOSPC' }),
    );
    expect(() =>
      emitArpRepr({ ...REPLY_REPR, targetHardwareAddress: new Uint8Array(4) }, buffer),
    ).toThrow(WireFormatError);
  });

  it('rejects truncated and non-Ethernet/IPv4 packets, accepts padding', () => {
    expect(ArpPacket.check(ARP_REQUEST.subarray(0, 7))).toBe('truncated');
    expect(ArpPacket.check(ARP_REQUEST.subarray(0, 27))).toBe('truncated');
    for (const [at, value] of [
      [1, 6], // htype IEEE 802
      [2, 0x86], // ptype IPv6
      [4, 8], // hlen
      [5, 16], // plen
    ] as const) {
      const bad = ARP_REQUEST.slice();
      bad[at] = value;
      expect(ArpPacket.check(bad)).toBe('unsupported');
    }
    const padded = new Uint8Array(46); // a 60-byte frame's payload
    padded.set(ARP_REQUEST);
    expect(ArpPacket.check(padded)).toBeInstanceOf(ArpPacket);
  });

  it('never throws on arbitrary or mutated input; emit → check → parse round-trips', () => {
    const reasons = ['truncated', 'unsupported'];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const packet = ArpPacket.check(bytes);
        if (typeof packet === 'string') expect(reasons).toContain(packet);
        else expect(parseArpRepr(packet).senderHardwareAddress.length).toBe(6);
      }),
    );
    fc.assert(
      fc.property(
        fc.nat({ max: 27 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: 28 }),
        (at, value, cut) => {
          const bytes = ARP_REQUEST.slice(0, cut);
          if (at < bytes.length) bytes[at] = value;
          const packet = ArpPacket.check(bytes);
          if (typeof packet === 'string') expect(reasons).toContain(packet);
          else parseArpRepr(packet);
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.record({
          operation: fc.integer({ min: 0, max: 0xffff }),
          senderHardwareAddress: fc.uint8Array({ minLength: 6, maxLength: 6 }),
          senderProtocolAddress: fc.integer({ min: 0, max: 0xffffffff }),
          targetHardwareAddress: fc.uint8Array({ minLength: 6, maxLength: 6 }),
          targetProtocolAddress: fc.integer({ min: 0, max: 0xffffffff }),
        }),
        (repr) => {
          const buffer = new Uint8Array(28);
          emitArpRepr(repr, buffer);
          const packet = ArpPacket.check(buffer);
          if (typeof packet === 'string') throw new Error(packet);
          expect(parseArpRepr(packet)).toEqual(repr);
        },
      ),
    );
  });
});
