import {
  createLink,
  createLoopback,
  type FrameDirection,
  formatFrameSummary,
  Tracer,
} from '@libos/net';
import { describeNetDevice } from '@libos/net/testing';
import { VirtualClock } from '@libos/sched';
import { describe, expect, it } from 'vitest';

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.trim().split(/\s+/), (h) => Number.parseInt(h, 16));
}

const ARP_REQUEST = hex(`
  ff ff ff ff ff ff 52 54 00 12 34 56 08 06
  00 01 08 00 06 04 00 01 52 54 00 12 34 56 0a 00 02 0f
  00 00 00 00 00 00 0a 00 02 02`);
const ARP_REPLY = hex(`
  52 54 00 12 34 56 52 55 0a 00 02 02 08 06
  00 01 08 00 06 04 00 02 52 55 0a 00 02 02 0a 00 02 02
  52 54 00 12 34 56 0a 00 02 0f`);
const UDP_DATAGRAM = hex(`
  52 55 0a 00 02 02 52 54 00 12 34 56 08 00
  45 00 00 20 1c 46 40 00 40 11 06 77 0a 00 02 0f 0a 00 02 02
  30 39 d4 31 00 0c 04 8a 70 69 6e 67`);
const ICMP_ECHO = hex(`
  52 54 00 12 34 56 52 55 0a 00 02 02 08 00
  45 00 00 24 00 01 40 00 40 01 22 c8 0a 00 02 02 0a 00 02 0f
  08 00 66 68 00 01 00 01 61 62 63 64 65 66 67 68`);

describeNetDevice('Tracer over an in-process link', {
  create: async () => {
    const [inner, peer] = createLink();
    const device = new Tracer(inner, { clock: new VirtualClock(), onFrame: () => {} });
    return { device, peer };
  },
});

describe('Tracer', () => {
  it('reports tx after fill and rx before delivery, with the clock time', () => {
    const clock = new VirtualClock(5);
    const log: [FrameDirection, number, number][] = [];
    const lo = new Tracer(createLoopback({ queueFrames: 1 }), {
      clock,
      onFrame: (direction, frame, now) => log.push([direction, frame[14]!, now]),
    });
    lo.transmit(60, (f) => {
      f[14] = 42;
    });
    expect(lo.transmit(60, () => {})).toBe(false); // refused: not traced
    clock.advanceTo(9);
    const delivered: number[] = [];
    lo.receive((f) => delivered.push(log.length, f[14]!), 4);
    expect(log).toEqual([
      ['tx', 42, 5],
      ['rx', 42, 9],
    ]);
    expect(delivered).toEqual([2, 42]); // the rx trace came first
    expect(lo.macAddress).toBe(lo.inner.macAddress);
  });
});

describe('formatFrameSummary', () => {
  it('describes ARP, UDP and ICMP like tcpdump would', () => {
    expect(formatFrameSummary(ARP_REQUEST)).toBe(
      '52:54:00:12:34:56 > ff:ff:ff:ff:ff:ff ARP request who-has 10.0.2.2 tell 10.0.2.15, length 42',
    );
    expect(formatFrameSummary(ARP_REPLY)).toBe(
      '52:55:0a:00:02:02 > 52:54:00:12:34:56 ARP reply 10.0.2.2 is-at 52:55:0a:00:02:02, length 42',
    );
    expect(formatFrameSummary(UDP_DATAGRAM)).toBe(
      '52:54:00:12:34:56 > 52:55:0a:00:02:02 IPv4 10.0.2.15.12345 > 10.0.2.2.54321 UDP, length 46',
    );
    expect(formatFrameSummary(ICMP_ECHO)).toBe(
      '52:55:0a:00:02:02 > 52:54:00:12:34:56 IPv4 10.0.2.2 > 10.0.2.15 ICMP echo request, length 50',
    );
  });

  it('handles VLAN tags, other EtherTypes, fragments and truncation without throwing', () => {
    const tagged = new Uint8Array(18 + UDP_DATAGRAM.length - 14);
    tagged.set(UDP_DATAGRAM.subarray(0, 12));
    tagged.set([0x81, 0x00, 0x00, 0x64], 12); // VLAN 100
    tagged.set(UDP_DATAGRAM.subarray(12), 16);
    expect(formatFrameSummary(tagged)).toContain(
      ' vlan 100 IPv4 10.0.2.15.12345 > 10.0.2.2.54321 UDP',
    );
    const custom = new Uint8Array(60);
    custom.set([0x88, 0xb5], 12);
    expect(formatFrameSummary(custom)).toBe(
      '00:00:00:00:00:00 > 00:00:00:00:00:00 ethertype 0x88b5, length 60',
    );
    const fragment = UDP_DATAGRAM.slice();
    fragment[14 + 7] = 0x10; // fragment offset 16 × 8 bytes
    expect(formatFrameSummary(fragment)).toContain('IPv4 10.0.2.15 > 10.0.2.2 UDP fragment');
    expect(formatFrameSummary(UDP_DATAGRAM.subarray(0, 30))).toContain('IPv4 truncated');
    expect(formatFrameSummary(ARP_REQUEST.subarray(0, 20))).toContain('ARP truncated');
    expect(formatFrameSummary(new Uint8Array(5))).toBe('truncated Ethernet frame, length 5');
  });

  it('never throws on arbitrary bytes', () => {
    let x = 7;
    for (let n = 0; n < 2000; n++) {
      const frame = new Uint8Array(n % 80);
      for (let i = 0; i < frame.length; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        frame[i] = x >>> 24;
      }
      if (frame.length > 14 && n % 3 === 0) frame.set([0x08, 0x00, 0x45], 12);
      expect(typeof formatFrameSummary(frame)).toBe('string');
    }
  });
});
