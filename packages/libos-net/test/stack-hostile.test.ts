/**
 * RELIABILITY items 6 and 8 against the whole stack: random and mutated frames never
 * throw out of poll, are dropped and counted; fragment floods stay within memory.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arpFrame, ICMP, icmpPayload, ipv4Frame, UDP, udpPayload } from './stack-frames.js';
import { drain, inject, stackWithRawPeer } from './stack-rig.js';

function totalDrops(stats: Record<string, { dropped: Record<string, number> }>): number {
  let n = 0;
  for (const layer of Object.values(stats)) for (const v of Object.values(layer.dropped)) n += v;
  return n;
}

describe('hostile input to the stack', () => {
  it('survives random frames: no exception, every frame accounted for', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 1514 }), { maxLength: 40 }),
        (frames) => {
          const { stack, peer } = stackWithRawPeer(undefined, { queueFrames: 64 });
          const mac = stack.interfaces[0]!.macAddress;
          let injected = 0;
          for (const f of frames) {
            if (f.length < 14) continue; // the link refuses frames shorter than a header
            if (f.length % 2 === 0) f.set(mac, 0); // half of them addressed to the stack
            inject(peer, f);
            injected++;
          }
          stack.poll(0);
          const s = stack.stats;
          // Each frame is either dropped at Ethernet or received there.
          expect(s.ethernet.received + totalDrops({ e: s.ethernet })).toBe(injected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('survives mutated valid frames (UDP, ICMP, ARP, fragments)', () => {
    const { stack: template } = stackWithRawPeer();
    const mac = template.interfaces[0]!.macAddress;
    const seeds = [
      ipv4Frame({
        source: '10.0.0.9',
        destination: '10.0.0.1',
        protocol: UDP,
        destinationMac: mac,
        payload: udpPayload('10.0.0.9', '10.0.0.1', 1, 7, new Uint8Array(30).fill(3)),
      }),
      ipv4Frame({
        source: '10.0.0.9',
        destination: '10.0.0.1',
        protocol: ICMP,
        destinationMac: mac,
        payload: icmpPayload({
          kind: 'echo-request',
          identifier: 1,
          sequenceNumber: 2,
          data: new Uint8Array(16),
        }),
      }),
      ipv4Frame({
        source: '10.0.0.9',
        destination: '10.0.0.1',
        protocol: ICMP,
        destinationMac: mac,
        payload: icmpPayload({
          kind: 'destination-unreachable',
          code: 3,
          invoking: new Uint8Array(28).fill(0x45),
        }),
      }),
      ipv4Frame({
        source: '10.0.0.9',
        destination: '10.0.0.1',
        protocol: UDP,
        destinationMac: mac,
        moreFragments: true,
        payload: new Uint8Array(64).fill(9),
      }),
      arpFrame({ sender: '10.0.0.9', target: '10.0.0.1' }),
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.integer({ min: 0, max: 100 }),
        (which, edits, cut) => {
          const { stack, peer } = stackWithRawPeer(undefined, { queueFrames: 8 });
          const frame = seeds[which]!.slice();
          // Mutate bytes after the destination MAC so the frame still reaches the stack.
          for (const [at, value] of edits) frame[6 + (at % (frame.length - 6))] = value;
          const length = Math.max(14, frame.length - cut);
          inject(peer, frame.subarray(0, length));
          stack.poll(0);
          stack.poll(200_000_000);
          drain(peer);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('drops IPv4 headers with IHL < 5, bad lengths, bad checksums and malformed options', async () => {
    const { stack, peer, rig } = stackWithRawPeer();
    const mac = stack.interfaces[0]!.macAddress;
    const base = ipv4Frame({
      source: '10.0.0.9',
      destination: '10.0.0.1',
      protocol: UDP,
      destinationMac: mac,
      payload: udpPayload('10.0.0.9', '10.0.0.1', 1, 7, new Uint8Array(8)),
    });
    const fixChecksum = (f: Uint8Array): Uint8Array => {
      f[24] = 0;
      f[25] = 0;
      let sum = 0;
      const ihl = (f[14]! & 0x0f) * 4;
      for (let i = 14; i < 14 + ihl; i += 2) sum += (f[i]! << 8) | f[i + 1]!;
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      const c = ~sum & 0xffff;
      f[24] = c >> 8;
      f[25] = c & 0xff;
      return f;
    };
    const ihl4 = fixChecksum(Object.assign(base.slice(), { 14: 0x44 }));
    const badTotal = base.slice();
    badTotal[16] = 0x10; // total length 4096 > frame
    fixChecksum(badTotal);
    const badChecksum = base.slice();
    badChecksum[24]! ^= 0xff;
    // IHL 6 with one option of length 0 (must not loop) — payload shifted by 4 bytes.
    const withOption = new Uint8Array(base.length + 4);
    withOption.set(base.subarray(0, 34));
    withOption.set([0x07, 0x00, 0x00, 0x00], 34);
    withOption.set(base.subarray(34), 38);
    withOption[14] = 0x46;
    withOption[17] = base[17]! + 4;
    fixChecksum(withOption);
    const version6 = fixChecksum(Object.assign(base.slice(), { 14: 0x65 }));
    for (const f of [ihl4, badTotal, badChecksum, withOption, version6]) inject(peer, f);
    await rig.settle();
    expect(stack.stats.ipv4.dropped).toEqual({
      'bad-header-length': 1,
      'bad-total-length': 1,
      'bad-checksum': 1,
      'bad-options': 1,
      'bad-version': 1,
    });
    expect(stack.stats.udp.received).toBe(0);
  });

  it('keeps a never-completing fragment flood within the reassembly memory limit', async () => {
    const { stack, peer, rig, clock } = stackWithRawPeer(undefined, { queueFrames: 8192 });
    const mac = stack.interfaces[0]!.macAddress;
    for (let i = 0; i < 4000; i++) {
      inject(
        peer,
        ipv4Frame({
          source: `10.0.0.${2 + (i % 200)}`,
          destination: '10.0.0.1',
          protocol: UDP,
          destinationMac: mac,
          identification: i,
          moreFragments: true,
          fragmentOffset: (i % 7) * 1480,
          payload: new Uint8Array(1480).fill(i & 0xff),
        }),
      );
      if (i % 500 === 499) await rig.settle();
    }
    await rig.settle();
    expect(stack.reassembly.highWater).toBeLessThanOrEqual(256 * 1024);
    expect(stack.stats.ipv4.fragmentsReceived).toBe(4000);
    // Time heals: everything held expires.
    clock.advanceBy(120_000_000);
    stack.poll(clock.now());
    expect(stack.reassembly.bufferedBytes).toBe(0);
    // And real traffic still gets through.
    const socket = stack.bindUdp({ port: 7 });
    inject(
      peer,
      ipv4Frame({
        source: '10.0.0.9',
        destination: '10.0.0.1',
        protocol: UDP,
        destinationMac: mac,
        payload: udpPayload('10.0.0.9', '10.0.0.1', 1, 7, new Uint8Array([42])),
      }),
    );
    await rig.settle();
    expect(socket.tryReceive()?.data).toEqual(new Uint8Array([42]));
  });

  it('drops overlapping fragments and never delivers a mixed datagram', async () => {
    const { stack, peer, rig } = stackWithRawPeer();
    const mac = stack.interfaces[0]!.macAddress;
    const socket = stack.bindUdp({ port: 7 });
    const whole = udpPayload('10.0.0.9', '10.0.0.1', 1, 7, new Uint8Array(40).fill(5));
    const frag = (offset: number, bytes: Uint8Array, more: boolean) =>
      ipv4Frame({
        source: '10.0.0.9',
        destination: '10.0.0.1',
        protocol: UDP,
        destinationMac: mac,
        identification: 77,
        moreFragments: more,
        fragmentOffset: offset,
        payload: bytes,
      });
    inject(peer, frag(0, whole.subarray(0, 24), true));
    inject(peer, frag(16, new Uint8Array(32).fill(0xee), false)); // overlaps 16..24 with other bytes
    inject(peer, frag(24, whole.subarray(24), false));
    await rig.settle();
    expect(socket.tryReceive()).toBeUndefined();
    expect(stack.stats.ipv4.dropped['reassembly-overlap']).toBeGreaterThanOrEqual(1);
  });
});
