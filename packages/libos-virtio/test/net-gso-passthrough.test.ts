/**
 * Large receive (VIRTIO_NET_F_GUEST_TSO4, virtio 1.2 §5.1.6.4) and TSO pass-through:
 * two virtio-net device models joined by an in-process offload link (a GsoNetPort).
 * A TSO request from driver A reaches driver B whole when B negotiated GUEST_TSO4, and
 * as MSS-sized segments (cut by B's device model) when it did not. Segments are checked
 * with the independent parser in tcp-check.ts.
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import { createLink } from '@libos/net';
import {
  createOffloadLink,
  DeviceType,
  DriverCore,
  InlineLink,
  isGsoNetPort,
  type OffloadLinkEndpoint,
  type OffloadLinkOptions,
  VirtioNetDeviceModel,
  type VirtioNetDeviceModelOptions,
  VirtioNetDriver,
  type VirtioNetDriverOptions,
  VirtioNetFeature,
} from '@libos/virtio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tcpFrame } from './net-fixture.js';
import { expectSegmentation, onesSum, parse } from './tcp-check.js';

const BASE = 0x1000;
const MEMORY = 16 << 20;

type DriverExtras = Omit<VirtioNetDriverOptions, 'memory' | 'dma' | 'base' | 'link'>;

interface SideOptions {
  readonly model?: VirtioNetDeviceModelOptions;
  readonly driver?: DriverExtras;
}

function machineOn(port: OffloadLinkEndpoint, model: VirtioNetDeviceModelOptions = {}) {
  const memory = new GuestMemory(MEMORY);
  const link = new InlineLink(memory);
  const dma = new DmaAllocator(memory, { base: 0x10000, length: MEMORY - 0x10000 });
  const device = new VirtioNetDeviceModel({ memory, base: BASE, link }, port, model);
  device.start();
  return { memory, link, dma, model: device, port };
}

async function side(port: OffloadLinkEndpoint, o: SideOptions = {}) {
  const m = machineOn(port, o.model);
  const failures: Error[] = [];
  const driver = await VirtioNetDriver.open({
    memory: m.memory,
    dma: m.dma,
    base: BASE,
    link: m.link,
    onFailure: (e) => failures.push(e),
    ...o.driver,
  });
  return { ...m, driver, failures };
}

type Side = Awaited<ReturnType<typeof side>>;

/** Two machines on one offload link; B asks for GUEST_TSO4 unless told otherwise. */
async function pair(
  o: { a?: SideOptions; b?: SideOptions; link?: OffloadLinkOptions } = {},
): Promise<{ a: Side; b: Side; settle: () => void }> {
  const [left, right] = createOffloadLink(o.link);
  const a = await side(left, o.a);
  const b = await side(right, {
    ...o.b,
    driver: { receiveSegmentationOffload: true, ...o.b?.driver },
  });
  const settle = (): void => {
    for (let i = 0; i < 8; i++) {
      a.model.poll();
      b.model.poll();
      a.driver.poll();
      b.driver.poll();
    }
  };
  return { a, b, settle };
}

interface Got {
  readonly frame: Uint8Array;
  readonly verified: boolean;
}

function receiveAll(driver: VirtioNetDriver, into: Got[] = []): Got[] {
  while (driver.receive((frame, verified) => into.push({ frame: frame.slice(), verified }), 64));
  return into;
}

/** Completes a partial TCP checksum (field = pseudo-header sum) the way a NIC would. */
function completeTcpChecksum(frame: Uint8Array): Uint8Array {
  const out = frame.slice();
  const l4 = 14 + (out[14]! & 0x0f) * 4;
  const end = 14 + ((out[16]! << 8) | out[17]!);
  const c = ~onesSum(out, l4, end) & 0xffff;
  out[l4 + 16] = c >> 8;
  out[l4 + 17] = c & 0xff;
  return out;
}

/** The pseudo-header sum of a TCP/IPv4 frame (RFC 9293 §3.1), folded, not complemented. */
function pseudoSum(frame: Uint8Array): number {
  const ihl = (frame[14]! & 0x0f) * 4;
  const tcpLength = ((frame[16]! << 8) | frame[17]!) - ihl;
  return onesSum(
    Uint8Array.of(0, 6, tcpLength >> 8, tcpLength & 0xff),
    0,
    4,
    onesSum(frame, 26, 34),
  );
}

// ── negotiation ────────────────────────────────────────────────────────────────────

describe('GUEST_TSO4 negotiation', () => {
  it('is offered on a GSO backend and negotiated only when the driver opts in (with GUEST_CSUM, MRG_RXBUF)', async () => {
    const { a, b } = await pair();
    expect(b.model.core.transport.negotiatedFeatures).not.toBeNull();
    expect(b.driver.core.has(VirtioNetFeature.GUEST_TSO4)).toBe(true);
    expect(b.driver.core.has(VirtioNetFeature.GUEST_CSUM)).toBe(true);
    expect(b.driver.receiveSegmentationOffload).toBe(true);
    expect(a.driver.core.has(VirtioNetFeature.GUEST_TSO4)).toBe(false); // default: off
    expect(a.driver.receiveSegmentationOffload).toBe(false);
    expect(a.driver.core.has(VirtioNetFeature.HOST_TSO4)).toBe(true);
  });

  it('is not negotiated without MRG_RXBUF (no 65562-byte buffers, §5.1.6.3.1) nor without checksum offload', async () => {
    const { b } = await pair({ b: { driver: { mergeableRxBuffers: false } } });
    expect(b.driver.core.has(VirtioNetFeature.GUEST_TSO4)).toBe(false);
    const { b: b2 } = await pair({ b: { driver: { checksumOffload: false } } });
    expect(b2.driver.core.has(VirtioNetFeature.GUEST_TSO4)).toBe(false);
    expect(b2.driver.core.has(VirtioNetFeature.GUEST_CSUM)).toBe(false);
  });

  it('is not offered on a plain createLink backend, nor with guestSegmentationOffload false', async () => {
    const [plain] = createLink();
    expect(isGsoNetPort(plain)).toBe(false);
    const memory = new GuestMemory(MEMORY);
    const link = new InlineLink(memory);
    const dma = new DmaAllocator(memory, { base: 0x10000, length: MEMORY - 0x10000 });
    new VirtioNetDeviceModel({ memory, base: BASE, link }, plain).start();
    const driver = await VirtioNetDriver.open({
      memory,
      dma,
      base: BASE,
      link,
      receiveSegmentationOffload: true,
    });
    expect(driver.core.has(VirtioNetFeature.GUEST_TSO4)).toBe(false);
    const { b } = await pair({ b: { model: { guestSegmentationOffload: false } } });
    expect(b.driver.core.has(VirtioNetFeature.GUEST_TSO4)).toBe(false);
  });
});

// ── pass-through ───────────────────────────────────────────────────────────────────

describe('TSO pass-through between two drivers (inline)', () => {
  it('a 20,000-byte TCP segment reaches the GUEST_TSO4 driver whole, unsegmented', async () => {
    const { a, b, settle } = await pair();
    const big = tcpFrame({ dst: b.driver.macAddress, src: a.driver.macAddress, payload: 20000 });
    expect(a.driver.transmit(big.length, (f) => f.set(big))).toBe(true);
    settle();
    const got = receiveAll(b.driver);
    expect(got.length).toBe(1);
    const { frame, verified } = got[0]!;
    expect(verified).toBe(true); // NEEDS_CSUM: trusted in-host payload
    expect(frame.length).toBe(big.length);
    const l4 = 34;
    // Everything but the TCP checksum is the sender's frame, byte for byte.
    expect(
      Buffer.from(frame.subarray(0, l4 + 16)).equals(Buffer.from(big.subarray(0, l4 + 16))),
    ).toBe(true);
    expect(Buffer.from(frame.subarray(l4 + 18)).equals(Buffer.from(big.subarray(l4 + 18)))).toBe(
      true,
    );
    // The checksum field carries the pseudo-header sum; completing it gives a valid segment.
    expect((frame[l4 + 16]! << 8) | frame[l4 + 17]!).toBe(pseudoSum(big));
    expect(parse(completeTcpChecksum(frame)).tcpChecksumOk).toBe(true);
    expect(a.model.stats.txGsoForwarded).toBe(1);
    expect(a.model.stats.txSegmented).toBe(0);
    expect(b.model.stats.rxGsoFrames).toBe(1);
    expect(b.model.stats.rxSegmented).toBe(0);
    expect(b.model.stats.rxBuffers).toBe(Math.ceil((12 + big.length) / 2048));
    expect(b.driver.stats.rxLargeFrames).toBe(1);
    expect(b.driver.stats.rxErrors).toBe(0);
    expect([...a.failures, ...b.failures]).toEqual([]);
  });

  it('property: any TCP payload size up to 65535 − 40, with options, arrives whole and in order with ordinary frames', async () => {
    const { a, b, settle } = await pair();
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            payload: fc.integer({ min: 0, max: 65535 - 40 - 16 }),
            tcpOptions: fc.constantFrom(0, 4, 12),
            seed: fc.integer({ min: 1, max: 1 << 20 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (specs) => {
          const sent = specs.map((s) =>
            tcpFrame({ dst: b.driver.macAddress, src: a.driver.macAddress, ...s }),
          );
          for (const f of sent) expect(a.driver.transmit(f.length, (buf) => buf.set(f))).toBe(true);
          settle();
          const got = receiveAll(b.driver);
          expect(got.length).toBe(sent.length);
          got.forEach(({ frame }, i) => {
            const want = sent[i]!;
            expect(frame.length).toBe(want.length);
            const l4 = 34;
            // Frames up to MTU + 14 went the ordinary way (checksum complete); larger whole.
            if (want.length > 1514)
              expect(parse(completeTcpChecksum(frame)).tcpChecksumOk).toBe(true);
            else expect(parse(frame).tcpChecksumOk).toBe(true);
            expect(
              Buffer.from(frame.subarray(l4 + 18)).equals(Buffer.from(want.subarray(l4 + 18))),
            ).toBe(true);
          });
        },
      ),
      { numRuns: 15 },
    );
    expect(b.driver.stats.rxErrors).toBe(0);
  });

  it('the receiver without GUEST_TSO4 gets MSS-sized segments cut by its own device model', async () => {
    const { a, b, settle } = await pair({ b: { driver: { receiveSegmentationOffload: false } } });
    const big = tcpFrame({ dst: b.driver.macAddress, src: a.driver.macAddress, payload: 30000 });
    expect(a.driver.transmit(big.length, (f) => f.set(big))).toBe(true);
    settle();
    const got = receiveAll(b.driver);
    expectSegmentation(
      got.map((g) => g.frame),
      big,
      1460,
      1500,
    );
    expect(got.every((g) => g.verified)).toBe(true); // DATA_VALID: checksums computed in-host
    expect(a.model.stats.txGsoForwarded).toBe(1); // not segmented by the sender…
    expect(b.model.stats.rxSegmented).toBe(1); // …but by the receiver
    expect(b.model.stats.rxGsoFrames).toBe(0);
    expect(b.driver.stats.rxLargeFrames).toBe(0);
  });

  it('without MRG_RXBUF (no GUEST_TSO4) segments land one per buffer', async () => {
    const { a, b, settle } = await pair({ b: { driver: { mergeableRxBuffers: false } } });
    const big = tcpFrame({ dst: b.driver.macAddress, src: a.driver.macAddress, payload: 12345 });
    expect(a.driver.transmit(big.length, (f) => f.set(big))).toBe(true);
    settle();
    expectSegmentation(
      receiveAll(b.driver).map((g) => g.frame),
      big,
      1460,
      1500,
    );
  });

  it('a receiver with a smaller MTU: gso_size and segments shrink to its MSS', async () => {
    const { a, b, settle } = await pair({
      b: { model: { mtu: 1000 }, driver: { receiveSegmentationOffload: false } },
    });
    const big = tcpFrame({ dst: b.driver.macAddress, src: a.driver.macAddress, payload: 8000 });
    expect(a.driver.transmit(big.length, (f) => f.set(big))).toBe(true);
    settle();
    expectSegmentation(
      receiveAll(b.driver).map((g) => g.frame),
      big,
      960,
      1000,
    );
  });

  it('a ring too small to hold a 64 KiB frame: the device model segments instead of failing', async () => {
    // 16 buffers × 2048 bytes < 12 + 65549.
    const { a, b, settle } = await pair({ b: { driver: { queueSize: 16 } } });
    const big = tcpFrame({ dst: b.driver.macAddress, src: a.driver.macAddress, payload: 60000 });
    expect(a.driver.transmit(big.length, (f) => f.set(big))).toBe(true);
    const got: Got[] = [];
    for (let i = 0; i < 20 && got.length < Math.ceil(60000 / 1460); i++) {
      settle();
      receiveAll(b.driver, got);
    }
    expectSegmentation(
      got.map((g) => g.frame),
      big,
      1460,
      1500,
    );
    expect(b.model.stats.rxSegmented).toBe(1);
    expect(b.failures).toEqual([]);
    // A frame that fits the ring still goes whole.
    const mid = tcpFrame({ dst: b.driver.macAddress, src: a.driver.macAddress, payload: 20000 });
    expect(a.driver.transmit(mid.length, (f) => f.set(mid))).toBe(true);
    settle();
    const whole = receiveAll(b.driver);
    expect(whole.map((g) => g.frame.length)).toEqual([mid.length]);
  });

  it('segmenting into chains popped for a too-large frame: segments spanning several small buffers stay intact', async () => {
    // 16 × 512 bytes < 12 + 10054; each 1514-byte segment then spans 3 of the held buffers.
    const { a, b, settle } = await pair({ b: { driver: { queueSize: 16, rxBufferSize: 512 } } });
    const big = tcpFrame({ dst: b.driver.macAddress, src: a.driver.macAddress, payload: 10000 });
    const next = tcpFrame({
      dst: b.driver.macAddress,
      src: a.driver.macAddress,
      payload: 3000,
      seed: 3,
    });
    expect(a.driver.transmit(big.length, (f) => f.set(big))).toBe(true);
    expect(a.driver.transmit(next.length, (f) => f.set(next))).toBe(true);
    const got: Got[] = [];
    for (let i = 0; i < 20 && got.length < 8; i++) {
      settle();
      receiveAll(b.driver, got);
    }
    expect(got.length).toBe(8);
    expectSegmentation(
      got.slice(0, 7).map((g) => g.frame),
      big,
      1460,
      1500,
    );
    expect(got[7]!.frame.length).toBe(next.length); // whole: 3066 bytes fit the ring
    expect(Buffer.from(got[7]!.frame.subarray(54)).equals(Buffer.from(next.subarray(54)))).toBe(
      true,
    );
    expect(b.driver.stats.rxErrors).toBe(0);
  });

  it('back-pressure: a full link keeps the TSO chain and forwards it later', async () => {
    const { a, b, settle } = await pair({ link: { queueFrames: 1 } });
    const frames = [1, 2, 3].map((seed) =>
      tcpFrame({ dst: b.driver.macAddress, src: a.driver.macAddress, payload: 5000, seed }),
    );
    for (const f of frames) expect(a.driver.transmit(f.length, (buf) => buf.set(f))).toBe(true);
    a.model.poll(); // one fits the link, the next is deferred
    expect(a.model.stats.txDeferred).toBeGreaterThan(0);
    settle();
    const got = receiveAll(b.driver);
    expect(got.map((g) => g.frame.slice(54))).toEqual(frames.map((f) => f.slice(54)));
  });
});

// ── the receive header on the wire (raw driver) ─────────────────────────────────────

const GUEST_TSO = (1n << 1n) | (1n << 7n); // GUEST_CSUM | GUEST_TSO4
const MRG_RXBUF = 1n << 15n;

async function rawReceiver(features: bigint, bufferSize: number, buffers: number) {
  const [left, right] = createOffloadLink();
  const m = machineOn(right);
  const failures: Error[] = [];
  const core = await DriverCore.open({
    memory: m.memory,
    dma: m.dma,
    base: BASE,
    link: m.link,
    deviceId: DeviceType.NET,
    features,
    queueSizes: [64, 64],
    onFailure: (e) => failures.push(e),
  });
  const regions = Array.from({ length: buffers }, () => m.dma.alloc(bufferSize, 16)!);
  regions.forEach((r, i) => {
    expect(core.queue(0).addBuffer(r.addr, bufferSize, true, i)).toBe(true);
  });
  core.kick(0);
  const used = (): [number, number][] => {
    const out: [number, number][] = [];
    core.queue(0).pollUsed((token, len) => out.push([token, len]));
    return out;
  };
  return { ...m, core, left, regions, used, failures };
}

function le16(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 1);
const MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 2);

describe('GUEST_TSO4 receive header (virtio 1.2 §5.1.6.4)', () => {
  it('with MRG_RXBUF: NEEDS_CSUM, gso_type TCPV4, hdr_len, gso_size, csum_start/offset, num_buffers', async () => {
    const rig = await rawReceiver(GUEST_TSO | MRG_RXBUF, 2048, 48);
    const big = tcpFrame({ dst: MAC_B, src: MAC_A, payload: 40000, tcpOptions: 12 });
    expect(rig.left.transmitGso(big.length, 1448, (f) => f.set(big))).toBe(true);
    rig.model.poll();
    const used = rig.used();
    const n = Math.ceil((12 + big.length) / 2048);
    expect(used.length).toBe(n);
    const first = rig.regions[used[0]![0]]!.bytes;
    expect(first[0]).toBe(1); // NEEDS_CSUM
    expect(first[1]).toBe(1); // TCPV4
    expect(le16(first, 2)).toBe(14 + 20 + 32); // hdr_len
    expect(le16(first, 4)).toBe(1448); // gso_size as sent (≤ 1500 − 52)
    expect(le16(first, 6)).toBe(34); // csum_start
    expect(le16(first, 8)).toBe(16); // csum_offset
    expect(le16(first, 10)).toBe(n); // num_buffers
    const joined = new Uint8Array(12 + big.length);
    let at = 0;
    for (const [token, len] of used) {
      joined.set(rig.regions[token]!.bytes.subarray(0, len), at);
      at += len;
    }
    expect(at).toBe(12 + big.length);
    expect(Buffer.from(joined.subarray(12)).equals(Buffer.from(big))).toBe(true);
  });

  it('gso_size is capped at the receiving MSS (MTU − headers)', async () => {
    const rig = await rawReceiver(GUEST_TSO | MRG_RXBUF, 2048, 48);
    const big = tcpFrame({ dst: MAC_B, src: MAC_A, payload: 9000 });
    expect(rig.left.transmitGso(big.length, 8960, (f) => f.set(big))).toBe(true);
    rig.model.poll();
    const used = rig.used();
    expect(le16(rig.regions[used[0]![0]]!.bytes, 4)).toBe(1460);
  });

  it('without MRG_RXBUF: one 65562-byte buffer takes the whole frame, num_buffers 1', async () => {
    const rig = await rawReceiver(GUEST_TSO, 65562, 2);
    const big = tcpFrame({ dst: MAC_B, src: MAC_A, payload: 65535 - 40 });
    expect(big.length).toBe(65549);
    expect(rig.left.transmitGso(big.length, 1460, (f) => f.set(big))).toBe(true);
    rig.model.poll();
    const used = rig.used();
    expect(used).toEqual([[0, 12 + big.length]]);
    const bytes = rig.regions[0]!.bytes;
    expect(bytes[1]).toBe(1);
    expect(le16(bytes, 10)).toBe(1);
    expect(Buffer.from(bytes.subarray(12, 12 + big.length)).equals(Buffer.from(big))).toBe(true);
  });

  it('without MRG_RXBUF and with small buffers the frame is segmented, not dropped', async () => {
    const rig = await rawReceiver(GUEST_TSO, 1526, 32);
    const big = tcpFrame({ dst: MAC_B, src: MAC_A, payload: 5000 });
    expect(rig.left.transmitGso(big.length, 1460, (f) => f.set(big))).toBe(true);
    rig.model.poll();
    const used = rig.used();
    expect(used.length).toBe(4);
    const frames = used.map(([token, len]) => {
      const bytes = rig.regions[token]!.bytes;
      expect(bytes[1]).toBe(0); // gso_type NONE
      expect(bytes[0]).toBe(2); // DATA_VALID
      return bytes.slice(12, len);
    });
    expectSegmentation(frames, big, 1460, 1500);
    expect(rig.model.stats.rxSegmented).toBe(1);
    expect(rig.model.stats.rxDropped).toBe(0);
  });

  it('malformed GSO frames from the backend are dropped and counted, the next one still arrives', async () => {
    const rig = await rawReceiver(GUEST_TSO | MRG_RXBUF, 2048, 48);
    const good = tcpFrame({ dst: MAC_B, src: MAC_A, payload: 3000 });
    const udp = good.slice();
    udp[23] = 17;
    const badLength = good.slice();
    badLength[17]! ^= 1;
    expect(rig.left.transmitGso(udp.length, 1460, (f) => f.set(udp))).toBe(true);
    expect(rig.left.transmitGso(badLength.length, 1460, (f) => f.set(badLength))).toBe(true);
    expect(rig.left.transmitGso(60, 1460, (f) => f.fill(1))).toBe(true);
    expect(rig.left.transmitGso(good.length, 1460, (f) => f.set(good))).toBe(true);
    rig.model.poll();
    expect(rig.model.stats.rxDropped).toBe(3);
    expect(rig.model.stats.rxGsoFrames).toBe(1);
    expect(rig.failures).toEqual([]);
  });
});

// ── the offload link on its own ──────────────────────────────────────────────────────

describe('createOffloadLink', () => {
  it('receiveGso hands GSO frames over whole; receive cuts them into segments', () => {
    const [a, b] = createOffloadLink({ queueFrames: 2 });
    const big = tcpFrame({ dst: MAC_B, src: MAC_A, payload: 4000 });
    expect(a.transmit(big.length, (f) => f.set(big))).toBe(true); // plain transmit: TSO
    expect(a.stats.gsoTransmitted).toBe(1);
    const whole: [number, number][] = [];
    expect(b.receiveGso((f, gso) => whole.push([f.length, gso]), 4)).toBe(1);
    expect(whole).toEqual([[big.length, 1460]]);
    expect(a.transmitGso(big.length, 1000, (f) => f.set(big))).toBe(true);
    const segments: Uint8Array[] = [];
    while (b.receive((f) => segments.push(f.slice()), 1) > 0);
    expect(segments.length).toBe(4);
    // receive completes the checksum that plain transmit turned into a partial one.
    expectSegmentation(segments, big, 1000, 1500);
  });

  it('refuses when full, non-TCP oversized frames, and bad GSO arguments', () => {
    const [a] = createOffloadLink({ queueFrames: 1 });
    const big = tcpFrame({ dst: MAC_B, src: MAC_A, payload: 4000 });
    const udp = big.slice();
    udp[23] = 17;
    expect(a.transmit(udp.length, (f) => f.set(udp))).toBe(false);
    expect(a.stats.dropped).toBe(1);
    expect(a.transmitGso(big.length, 0, () => {})).toBe(false);
    expect(a.transmitGso(65550, 1460, () => {})).toBe(false);
    expect(a.transmitGso(big.length, 1460, (f) => f.set(big))).toBe(true);
    expect(a.transmitGso(big.length, 1460, (f) => f.set(big))).toBe(false);
    expect(a.stats.refused).toBe(1);
  });
});

// ── hostile TSO requests on the pass-through path ────────────────────────────────────

describe('pass-through: inconsistent GSO headers from the driver are dropped and counted', () => {
  const TSO_FEATURES = (1n << 0n) | (1n << 11n); // CSUM | HOST_TSO4
  const GOOD = tcpFrame({ dst: MAC_B, src: MAC_A, payload: 5000 });
  const gsoHeader = (
    f: {
      flags?: number;
      gso?: number;
      hdrLen?: number;
      gsoSize?: number;
      start?: number;
      offset?: number;
    } = {},
  ) => {
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
  };
  const edit = (at: number, value: number): Uint8Array => {
    const copy = GOOD.slice();
    copy[at] = value;
    return copy;
  };
  const cases: [string, Uint8Array, Uint8Array][] = [
    ['gso_size 0', gsoHeader({ gsoSize: 0 }), GOOD],
    ['gso_size above the MSS', gsoHeader({ gsoSize: 1461 }), GOOD],
    ['hdr_len past the frame', gsoHeader({ hdrLen: GOOD.length + 1 }), GOOD],
    ['no NEEDS_CSUM', gsoHeader({ flags: 0 }), GOOD],
    ['csum_start not at the TCP header', gsoHeader({ start: 14 }), GOOD],
    ['csum_offset not the TCP checksum', gsoHeader({ offset: 6 }), GOOD],
    ['GSO TCPV6', gsoHeader({ gso: 4 }), GOOD],
    ['GSO with ECN', gsoHeader({ gso: 0x81 }), GOOD],
    ['not TCP', gsoHeader(), edit(23, 17)],
    ['IPv4 total length not the frame', gsoHeader(), edit(17, (GOOD[17]! + 1) & 0xff)],
  ];

  it.each(cases)('%s', async (_name, hdr, frame) => {
    const [left, right] = createOffloadLink();
    const m = machineOn(left);
    const core = await DriverCore.open({
      memory: m.memory,
      dma: m.dma,
      base: BASE,
      link: m.link,
      deviceId: DeviceType.NET,
      features: TSO_FEATURES,
      queueSizes: [16, 16],
    });
    const put = (bytes: Uint8Array) => {
      const r = m.dma.alloc(bytes.length, 16)!;
      r.bytes.set(bytes);
      return { addr: r.addr, len: bytes.length };
    };
    const used: [number, number][] = [];
    expect(core.queue(1).addChain([put(hdr), put(frame)], [], 1)).toBe(true);
    expect(() => core.kick(1)).not.toThrow();
    core.queue(1).pollUsed((t, len) => used.push([t, len]));
    expect(used).toEqual([[1, 0]]);
    expect(m.model.stats.txDropped).toBe(1);
    expect(left.stats.transmitted).toBe(0);
    // The device goes on: a well-formed request passes through whole.
    expect(core.queue(1).addChain([put(gsoHeader()), put(GOOD)], [], 2)).toBe(true);
    core.kick(1);
    const whole: [number, number][] = [];
    right.receiveGso((f, gso) => whole.push([f.length, gso]), 4);
    expect(whole).toEqual([[GOOD.length, 1460]]);
    expect(m.model.stats.txGsoForwarded).toBe(1);
    expect(core.failure).toBeNull();
  });
});
