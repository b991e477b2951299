import {
  ETHERNET_HEADER_LENGTH,
  EthernetFrame,
  EtherType,
  emitEthernetRepr,
  parseEthernetRepr,
  parseMacAddress,
  WireFormatError,
} from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex } from './wire-fixture.js';

/** ARP request from Linux on a veth (tcpdump -xx): who-has 10.0.2.2 tell 10.0.2.15. */
const ARP_REQUEST_FRAME = hex(`
  ffff ffff ffff 5254 0012 3456 0806 0001
  0800 0604 0001 5254 0012 3456 0a00 020f
  0000 0000 0000 0a00 0202`);

describe('Ethernet II frames', () => {
  it('deconstructs a captured frame', () => {
    const frame = EthernetFrame.check(ARP_REQUEST_FRAME);
    if (typeof frame === 'string') throw new Error(frame);
    expect([...frame.destination]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect([...frame.source]).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    expect(frame.etherType).toBe(EtherType.ARP);
    expect(frame.payload.length).toBe(28);
    expect(frame.payload[0]).toBe(0x00);
    expect(frame.payload[1]).toBe(0x01);
    // Views, not copies.
    expect(frame.source.buffer).toBe(ARP_REQUEST_FRAME.buffer);
  });

  it('constructs the same bytes through the setters', () => {
    const bytes = new Uint8Array(ARP_REQUEST_FRAME.length);
    const frame = new EthernetFrame(bytes);
    frame.setDestination(parseMacAddress('ff:ff:ff:ff:ff:ff'));
    frame.setSource(parseMacAddress('52:54:00:12:34:56'));
    frame.etherType = EtherType.ARP;
    frame.payload.set(ARP_REQUEST_FRAME.subarray(ETHERNET_HEADER_LENGTH));
    expect([...bytes]).toEqual([...ARP_REQUEST_FRAME]);
    expect(() => frame.setSource(new Uint8Array(5))).toThrow(WireFormatError);
  });

  it('parses into a repr that owns copies of the addresses', () => {
    const bytes = ARP_REQUEST_FRAME.slice();
    const frame = EthernetFrame.check(bytes);
    if (typeof frame === 'string') throw new Error(frame);
    const repr = parseEthernetRepr(frame);
    expect(repr).toEqual({
      destination: parseMacAddress('ff:ff:ff:ff:ff:ff'),
      source: parseMacAddress('52:54:00:12:34:56'),
      etherType: 0x0806,
    });
    bytes.fill(0);
    expect([...repr.source]).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
  });

  it('emits the 14-byte header', () => {
    const buffer = new Uint8Array(20).fill(0xee);
    const written = emitEthernetRepr(
      {
        destination: parseMacAddress('ff:ff:ff:ff:ff:ff'),
        source: parseMacAddress('52:54:00:12:34:56'),
        etherType: EtherType.ARP,
      },
      buffer,
    );
    expect(written).toBe(14);
    expect([...buffer.subarray(0, 14)]).toEqual([...ARP_REQUEST_FRAME.subarray(0, 14)]);
    expect(buffer[14]).toBe(0xee);
  });

  it('rejects short input and misuse', () => {
    expect(EthernetFrame.check(new Uint8Array(13))).toBe('truncated');
    expect(EthernetFrame.check(new Uint8Array(14))).toBeInstanceOf(EthernetFrame);
    const mac = new Uint8Array(6);
    const repr = { destination: mac, source: mac, etherType: EtherType.IPv4 };
    expect(() => emitEthernetRepr(repr, new Uint8Array(13))).toThrow(
      expect.objectContaining({ code: 'ENOSPC' }),
    );
    expect(() =>
      emitEthernetRepr({ ...repr, destination: new Uint8Array(7) }, new Uint8Array(14)),
    ).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => emitEthernetRepr({ ...repr, etherType: 0x10000 }, new Uint8Array(14))).toThrow(
      WireFormatError,
    );
  });

  it('never throws on arbitrary bytes; emit → check → parse round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const frame = EthernetFrame.check(bytes);
        if (bytes.length < 14) expect(frame).toBe('truncated');
        else if (frame === 'truncated') expect.unreachable();
        else expect(parseEthernetRepr(frame).etherType).toBe((bytes[12]! << 8) | bytes[13]!);
      }),
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.integer({ min: 0, max: 0xffff }),
        (destination, source, etherType) => {
          const buffer = new Uint8Array(60);
          emitEthernetRepr({ destination, source, etherType }, buffer);
          const frame = EthernetFrame.check(buffer);
          if (typeof frame === 'string') throw new Error(frame);
          expect(parseEthernetRepr(frame)).toEqual({ destination, source, etherType });
        },
      ),
    );
  });
});
