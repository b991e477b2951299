/**
 * TCP segmentation offload (VIRTIO_NET_F_HOST_TSO4, virtio 1.2 §5.1.6.2): the driver
 * hands the device one large TCP/IPv4 frame; the far end of the cable must see
 * ordinary MSS-sized segments. Every segment is checked with a parser and checksum
 * written here (RFC 791 §3.1, RFC 9293 §3.1, RFC 1071), independent of the library's.
 */
import { VirtioNetFeature } from '@libos/virtio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { netRig, rawRig, tcpFrame } from './net-fixture.js';

import { expectSegmentation, parse } from './tcp-check.js';

type Rig = Awaited<ReturnType<typeof netRig>>;

function drain(wire: Rig['wire'], into: Uint8Array[] = []): Uint8Array[] {
  while (wire.receive((f) => into.push(f.slice()), 64) > 0);
  return into;
}

// ── driver → device → wire ────────────────────────────────────────────────────────

describe('virtio-net TSO: driver to the far end of the cable', () => {
  it('negotiates HOST_TSO4 (with CSUM, without GUEST_TSO4) and reports segmentation offload', async () => {
    const rig = await netRig();
    expect(rig.driver.core.has(VirtioNetFeature.HOST_TSO4)).toBe(true);
    expect(rig.driver.core.has(VirtioNetFeature.CSUM)).toBe(true);
    expect(rig.driver.core.has(VirtioNetFeature.GUEST_TSO4)).toBe(false);
    expect(rig.driver.capabilities.segmentationOffload).toBe(true);
    const off = await netRig({ model: { segmentationOffload: false } });
    expect(off.driver.core.has(VirtioNetFeature.HOST_TSO4)).toBe(false);
    expect(off.driver.capabilities.segmentationOffload).toBe(false);
    expect(off.driver.transmit(1515, () => {})).toBe(false);
  });

  it('a 20,000-byte TCP/IPv4 segment arrives as ceil(20000 / 1460) correct segments', async () => {
    const rig = await netRig();
    const big = tcpFrame({ dst: rig.wire.macAddress, src: rig.driver.macAddress, payload: 20000 });
    expect(rig.driver.transmit(big.length, (b) => b.set(big))).toBe(true);
    rig.settle();
    const frames = drain(rig.wire);
    expect(frames.length).toBe(Math.ceil(20000 / 1460));
    expectSegmentation(frames, big, 1460, 1500);
    expect(rig.driver.stats.txSegmentationOffloads).toBe(1);
    expect(rig.model.stats.txSegmented).toBe(1);
    expect(rig.model.stats.txFrames).toBe(14);
    expect(rig.model.stats.txDropped).toBe(0);
  });

  it('segments with IP and TCP options, CWR, a sequence wrap and a smaller MTU', async () => {
    const rig = await netRig({ model: { mtu: 1400 }, link: { maxTransmitUnit: 1400 } });
    const big = tcpFrame({
      dst: rig.wire.macAddress,
      src: rig.driver.macAddress,
      payload: 9000,
      seq: 0xffff_f000,
      id: 0xfffe,
      flags: 0x80 | 0x10 | 0x08 | 0x01, // CWR ACK PSH FIN
      tcpOptions: 12,
      ipOptions: 4,
    });
    expect(rig.driver.transmit(big.length, (b) => b.set(big))).toBe(true);
    rig.settle();
    const mss = 1400 - 24 - 32;
    expectSegmentation(drain(rig.wire), big, mss, 1400);
  });

  it('back-pressure mid-request: segments resume where they stopped, none lost or doubled', async () => {
    const rig = await netRig({ link: { queueFrames: 4 } });
    const big = tcpFrame({ dst: rig.wire.macAddress, src: rig.driver.macAddress, payload: 30000 });
    const small = tcpFrame({
      dst: rig.wire.macAddress,
      src: rig.driver.macAddress,
      payload: 100,
      seed: 9,
    });
    expect(rig.driver.transmit(big.length, (b) => b.set(big))).toBe(true);
    expect(rig.driver.transmit(small.length, (b) => b.set(small))).toBe(true);
    const got: Uint8Array[] = [];
    for (let i = 0; i < 40 && got.length < 22; i++) {
      drain(rig.wire, got);
      rig.settle();
    }
    drain(rig.wire, got);
    expect(rig.model.stats.txDeferred).toBeGreaterThan(0);
    expect(got.length).toBe(Math.ceil(30000 / 1460) + 1);
    expectSegmentation(got.slice(0, -1), big, 1460, 1500);
    expect(parse(got.at(-1)!).payload).toEqual(small.subarray(54));
  });

  it('a frame of exactly 65535 + 14 bytes is accepted; one byte more is refused', async () => {
    const rig = await netRig();
    const big = tcpFrame({
      dst: rig.wire.macAddress,
      src: rig.driver.macAddress,
      payload: 65535 - 40,
    });
    expect(big.length).toBe(65549);
    expect(rig.driver.transmit(big.length, (b) => b.set(big))).toBe(true);
    rig.settle();
    let called = false;
    expect(
      rig.driver.transmit(65550, () => {
        called = true;
      }),
    ).toBe(false);
    expect(called).toBe(false);
    // The link queue holds 64 frames: 45 segments fit.
    expectSegmentation(drain(rig.wire), big, 1460, 1500);
  });

  it('oversized frames that are not TCP/IPv4 are refused after fill, and the driver goes on', async () => {
    const rig = await netRig();
    const udp = tcpFrame({ dst: rig.wire.macAddress, src: rig.driver.macAddress, payload: 3000 });
    udp[23] = 17;
    expect(rig.driver.transmit(udp.length, (b) => b.set(udp))).toBe(false);
    const badLength = tcpFrame({
      dst: rig.wire.macAddress,
      src: rig.driver.macAddress,
      payload: 3000,
    });
    badLength[16] = 0; // IPv4 total length no longer matches the frame
    expect(rig.driver.transmit(badLength.length, (b) => b.set(badLength))).toBe(false);
    expect(rig.driver.stats.txOversizeRejected).toBe(2);
    const ok = tcpFrame({ dst: rig.wire.macAddress, src: rig.driver.macAddress, payload: 3000 });
    expect(rig.driver.transmit(ok.length, (b) => b.set(ok))).toBe(true);
    rig.settle();
    expectSegmentation(drain(rig.wire), ok, 1460, 1500);
  });

  it('the large-buffer pool recycles: 40 TSO frames through 2 large buffers', async () => {
    const rig = await netRig({ driver: { largeTxBuffers: 2 } });
    for (let i = 0; i < 40; i++) {
      const big = tcpFrame({
        dst: rig.wire.macAddress,
        src: rig.driver.macAddress,
        payload: 4000 + i,
        seed: i + 1,
      });
      expect(rig.driver.transmit(big.length, (b) => b.set(big))).toBe(true);
      rig.settle();
      expectSegmentation(drain(rig.wire), big, 1460, 1500);
    }
  });
});

// ── hostile TSO requests written by hand ──────────────────────────────────────────

type Raw = Awaited<ReturnType<typeof rawRig>>;
const TSO_FEATURES = (1n << 0n) | (1n << 11n); // CSUM | HOST_TSO4

function put(rig: Raw, bytes: Uint8Array): { addr: number; len: number } {
  const region = rig.dma.alloc(Math.max(bytes.length, 1), 16)!;
  region.bytes.set(bytes);
  return { addr: region.addr, len: bytes.length };
}

interface Fields {
  flags?: number;
  gso?: number;
  hdrLen?: number;
  gsoSize?: number;
  start?: number;
  offset?: number;
}

/** struct virtio_net_hdr (virtio 1.2 §5.1.6), little-endian, written field by field. */
function gsoHeader(f: Fields = {}): Uint8Array {
  const h = new Uint8Array(12);
  const le = (at: number, v: number) => {
    h[at] = v & 0xff;
    h[at + 1] = (v >> 8) & 0xff;
  };
  h[0] = f.flags ?? 1;
  h[1] = f.gso ?? 1;
  le(2, f.hdrLen ?? 54);
  le(4, f.gsoSize ?? 1460);
  le(6, f.start ?? 34);
  le(8, f.offset ?? 16);
  return h;
}

const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 1);
const MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 2);
const GOOD = tcpFrame({ dst: MAC_B, src: MAC_A, payload: 5000 });

function sendRaw(rig: Raw, header: Uint8Array, frame: Uint8Array, token: number): void {
  expect(rig.core.queue(1).addChain([put(rig, header), put(rig, frame)], [], token)).toBe(true);
  expect(() => rig.core.kick(1)).not.toThrow();
}

function usedOf(rig: Raw): [number, number][] {
  const used: [number, number][] = [];
  rig.core.queue(1).pollUsed((token, len) => used.push([token, len]));
  return used;
}

describe('virtio-net TSO: malformed GSO requests are dropped and counted', () => {
  /** GOOD with `bytes` ([offset, value] pairs) overwritten. */
  const edit = (...bytes: [number, number][]): Uint8Array => {
    const copy = GOOD.slice();
    for (const [at, value] of bytes) copy[at] = value;
    return copy;
  };
  const cases: [string, Uint8Array, Uint8Array][] = [
    ['gso_size 0', gsoHeader({ gsoSize: 0 }), GOOD],
    ['hdr_len past the frame', gsoHeader({ hdrLen: GOOD.length + 1 }), GOOD],
    ['no NEEDS_CSUM', gsoHeader({ flags: 0 }), GOOD],
    ['csum_start not at the TCP header', gsoHeader({ start: 14 }), GOOD],
    ['csum_offset not the TCP checksum', gsoHeader({ offset: 6 }), GOOD],
    ['csum fields far past the frame', gsoHeader({ start: 0xffff, offset: 0xffff }), GOOD],
    ['the ECN bit without HOST_ECN', gsoHeader({ gso: 0x81 }), GOOD],
    ['GSO UDP (never offered)', gsoHeader({ gso: 3 }), GOOD],
    ['GSO TCPV6 (never offered)', gsoHeader({ gso: 4 }), GOOD],
    ['segments above MTU + 14', gsoHeader({ gsoSize: 1461 }), GOOD],
    ['not IPv4 (EtherType IPv6)', gsoHeader(), edit([12, 0x86], [13, 0xdd])],
    ['not IPv4 (version 6)', gsoHeader(), edit([14, 0x65])],
    ['not TCP (UDP)', gsoHeader(), edit([23, 17])],
    ['an IPv4 fragment (MF)', gsoHeader(), edit([20, 0x20])],
    ['IPv4 total length not the frame', gsoHeader(), edit([17, (GOOD[17]! + 1) & 0xff])],
    ['TCP data offset < 5', gsoHeader(), edit([46, 0x40])],
    ['a frame shorter than the headers', gsoHeader({ hdrLen: 0 }), GOOD.subarray(0, 40)],
    ['a frame above 65535 + 14 bytes', gsoHeader(), new Uint8Array(65550)],
  ];
  it.each(cases)(
    '%s: dropped, counted, no throw; the device keeps working',
    async (_n, hdr, frame) => {
      const rig = await rawRig({ features: TSO_FEATURES });
      sendRaw(rig, hdr, frame, 1);
      expect(rig.model.stats.txDropped).toBe(1);
      expect(drainRaw(rig)).toEqual([]);
      expect(usedOf(rig)).toEqual([[1, 0]]);
      sendRaw(rig, gsoHeader(), GOOD, 2);
      expectSegmentation(drainRaw(rig), GOOD, 1460, 1500);
      expect(usedOf(rig)).toEqual([[2, 0]]);
      expect(rig.failures).toEqual([]);
    },
  );

  it('a TCPV4 request without HOST_TSO4 negotiated is dropped', async () => {
    const rig = await rawRig({ features: 1n }); // CSUM only
    sendRaw(rig, gsoHeader(), GOOD, 1);
    expect(rig.model.stats.txDropped).toBe(1);
    expect(drainRaw(rig)).toEqual([]);
  });

  it('HOST_TSO4 without CSUM (a driver breaking §5.1.3.1) gets no segmentation', async () => {
    const rig = await rawRig({ features: 1n << 11n });
    sendRaw(rig, gsoHeader(), GOOD, 1);
    expect(rig.model.stats.txDropped).toBe(1);
  });

  it('hdr_len is only a hint: a short or zero hdr_len still segments by the parsed headers', async () => {
    const rig = await rawRig({ features: TSO_FEATURES });
    sendRaw(rig, gsoHeader({ hdrLen: 0 }), GOOD, 1);
    expectSegmentation(drainRaw(rig), GOOD, 1460, 1500);
  });

  it('a request split across many descriptors segments the same', async () => {
    const rig = await rawRig({ features: TSO_FEATURES });
    const packet = new Uint8Array([...gsoHeader({ gsoSize: 1000 }), ...GOOD]);
    const cuts = [0, 3, 12, 20, 50, 70, 1500, 3000];
    const parts = cuts.map((c, i) => put(rig, packet.subarray(c, cuts[i + 1] ?? packet.length)));
    expect(rig.core.queue(1).addChain(parts, [], 3)).toBe(true);
    rig.core.kick(1);
    expectSegmentation(drainRaw(rig), GOOD, 1000, 1500);
  });

  it('random header fields over a valid frame never throw; what goes out is well formed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          flags: fc.nat(3),
          gso: fc.constantFrom(0, 1, 1, 1, 3, 4, 0x81),
          hdrLen: fc.nat(6000),
          gsoSize: fc.constantFrom(0, 7, 100, 536, 1460, 1461, 0xffff),
          start: fc.constantFrom(0, 14, 34, 0xffff),
          offset: fc.constantFrom(0, 6, 16, 0xffff),
        }),
        async (fields) => {
          const rig = await rawRig({ features: TSO_FEATURES });
          sendRaw(rig, gsoHeader(fields), GOOD, 1);
          const sent: Uint8Array[] = [];
          for (let i = 0; i < 20; i++) {
            sent.push(...drainRaw(rig)); // the cable queues 64: resume deferred segments
            expect(() => rig.model.poll()).not.toThrow();
          }
          sent.push(...drainRaw(rig));
          const s = rig.model.stats;
          expect(sent.length).toBe(s.txFrames);
          // GOOD is above MTU + 14: segmented as a whole, or dropped as a whole.
          expect(s.txSegmented + s.txDropped).toBe(1);
          if (s.txSegmented === 1) expectSegmentation(sent, GOOD, fields.gsoSize, 1500);
          else expect(sent).toEqual([]);
          expect(rig.failures).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  }, 30_000);
});

function drainRaw(rig: Raw): Uint8Array[] {
  const got: Uint8Array[] = [];
  while (rig.wire.receive((f) => got.push(f.slice()), 64) > 0);
  return got;
}
