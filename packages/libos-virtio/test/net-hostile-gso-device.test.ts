/**
 * A scripted virtio-net device (not the library's model) that writes receive buffers
 * the driver did not ask for: GSO headers without GUEST_TSO4, GSO types never
 * negotiated, ordinary frames longer than MTU + 14 spread over several buffers. The
 * driver drops each such frame (`rxErrors`), consumes all of its buffers, and delivers
 * the next well-formed frame. Also: a device offering HOST_TSO4 without CSUM or
 * GUEST_TSO4 without GUEST_CSUM (virtio 1.2 §5.1.3.1) gets neither accepted.
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import {
  DeviceModelCore,
  DeviceType,
  encodeVirtioNetConfig,
  featureMask,
  InlineLink,
  VirtioNetDriver,
  VirtioNetFeature,
} from '@libos/virtio';
import { describe, expect, it } from 'vitest';
import { tcpFrame } from './net-fixture.js';

const BASE = 0x1000;
const MEMORY = 8 << 20;
const F = VirtioNetFeature;

/** One receive buffer's content (header included in the first buffer of a frame). */
type Buffer_ = Uint8Array;

function header(fields: { gso?: number; flags?: number; numBuffers: number }): Uint8Array {
  const h = new Uint8Array(12);
  h[0] = fields.flags ?? 0;
  h[1] = fields.gso ?? 0;
  h[10] = fields.numBuffers & 0xff;
  h[11] = fields.numBuffers >> 8;
  return h;
}

/** Splits header + frame into receive-buffer contents of at most `size` bytes. */
function spread(h: Uint8Array, frame: Uint8Array, size: number): Buffer_[] {
  const all = new Uint8Array(12 + frame.length);
  all.set(h);
  all.set(frame, 12);
  const out: Buffer_[] = [];
  for (let at = 0; at < all.length; at += size) out.push(all.subarray(at, at + size));
  return out;
}

async function scripted(offered: bigint, script: Buffer_[], receiveSegmentationOffload = false) {
  const memory = new GuestMemory(MEMORY);
  const link = new InlineLink(memory);
  const dma = new DmaAllocator(memory, { base: 0x10000, length: MEMORY - 0x10000 });
  let next = 0;
  const device = new DeviceModelCore(
    { memory, base: BASE, link },
    {
      deviceId: DeviceType.NET,
      features: offered,
      queueMaxSizes: [256, 256],
      config: encodeVirtioNetConfig({
        mac: Uint8Array.of(2, 0, 0, 0, 0, 9),
        status: 1,
        maxVirtqueuePairs: 1,
        mtu: 1500,
      }),
      serve: (index, queue) => {
        if (index !== 0) return true;
        while (next < script.length) {
          const chain = queue.popAvailable();
          if (chain === null) return true;
          const bytes = script[next++]!;
          expect(chain.writeWritable(bytes)).toBe(true);
          queue.pushUsed(chain, bytes.length);
        }
        return false; // the rest wait: this device has nothing more to say
      },
    },
  );
  device.start();
  const failures: Error[] = [];
  const driver = await VirtioNetDriver.open({
    memory,
    dma,
    base: BASE,
    link,
    receiveSegmentationOffload,
    onFailure: (e) => failures.push(e),
  });
  const frames: number[] = [];
  while (driver.receive((f) => frames.push(f.length), 64) > 0);
  return { driver, frames, failures };
}

const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 1);
const MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 9);
const BIG = tcpFrame({ dst: MAC_B, src: MAC_A, payload: 5000 });
const SMALL = tcpFrame({ dst: MAC_B, src: MAC_A, payload: 100 });
const BASE_FEATURES = featureMask(F.MAC, F.MTU, F.STATUS, F.MRG_RXBUF, F.CSUM, F.GUEST_CSUM);

describe('hostile device: GSO receive headers the driver did not negotiate', () => {
  it('gso_type TCPV4 to a driver without GUEST_TSO4: dropped, all its buffers consumed', async () => {
    const script = [
      ...spread(header({ gso: 1, flags: 1, numBuffers: 3 }), BIG, 2048),
      ...spread(header({ numBuffers: 1 }), SMALL, 2048),
    ];
    const rig = await scripted(BASE_FEATURES | featureMask(F.GUEST_TSO4), script);
    expect(rig.driver.receiveSegmentationOffload).toBe(false);
    expect(rig.driver.stats.rxErrors).toBe(1);
    expect(rig.frames).toEqual([SMALL.length]);
    expect(rig.failures).toEqual([]);
  });

  it('a single-buffer frame with a GSO type, or longer than MTU + 14 without one: dropped', async () => {
    const overlong = new Uint8Array(1600).fill(7);
    const script = [
      ...spread(header({ gso: 1, numBuffers: 1 }), SMALL, 2048),
      ...spread(header({ numBuffers: 1 }), overlong, 2048),
      ...spread(header({ numBuffers: 1 }), SMALL, 2048),
    ];
    const rig = await scripted(BASE_FEATURES, script);
    expect(rig.driver.stats.rxErrors).toBe(2);
    expect(rig.frames).toEqual([SMALL.length]);
  });

  it('with GUEST_TSO4: TCPV4 arrives whole; TCPV6, UDP, ECN and oversized non-GSO frames are dropped', async () => {
    const plainBig = new Uint8Array(3000).fill(1);
    const script = [
      ...spread(header({ gso: 4, flags: 1, numBuffers: 3 }), BIG, 2048), // TCPV6: never offered
      ...spread(header({ gso: 3, flags: 1, numBuffers: 3 }), BIG, 2048), // UDP
      ...spread(header({ gso: 0x81, flags: 1, numBuffers: 3 }), BIG, 2048), // TCPV4 | ECN
      ...spread(header({ numBuffers: 2 }), plainBig, 2048), // > MTU + 14, not GSO
      ...spread(header({ gso: 1, flags: 1, numBuffers: 3 }), BIG, 2048),
    ];
    const rig = await scripted(BASE_FEATURES | featureMask(F.GUEST_TSO4), script, true);
    expect(rig.driver.receiveSegmentationOffload).toBe(true);
    expect(rig.driver.stats.rxErrors).toBe(4);
    expect(rig.frames).toEqual([BIG.length]);
    expect(rig.driver.stats.rxLargeFrames).toBe(1);
  });

  it('a GSO frame above 65535 + 14 bytes is dropped', async () => {
    const huge = new Uint8Array(65550);
    const n = Math.ceil((12 + huge.length) / 2048);
    const script = [
      ...spread(header({ gso: 1, flags: 1, numBuffers: n }), huge, 2048),
      ...spread(header({ numBuffers: 1 }), SMALL, 2048),
    ];
    const rig = await scripted(BASE_FEATURES | featureMask(F.GUEST_TSO4), script, true);
    expect(rig.driver.stats.rxErrors).toBe(1);
    expect(rig.frames).toEqual([SMALL.length]);
  });
});

describe('feature dependencies (virtio 1.2 §5.1.3.1)', () => {
  it('a device offering HOST_TSO4 without CSUM: the driver does not accept HOST_TSO4', async () => {
    const offered = featureMask(F.MAC, F.MTU, F.MRG_RXBUF, F.GUEST_CSUM, F.HOST_TSO4);
    const rig = await scripted(offered, []);
    expect(rig.driver.core.has(F.HOST_TSO4)).toBe(false);
    expect(rig.driver.core.has(F.GUEST_CSUM)).toBe(true); // the rest is negotiated
    expect(rig.driver.capabilities.segmentationOffload).toBe(false);
    expect(rig.driver.transmit(3000, () => {})).toBe(false);
  });

  it('a device offering GUEST_TSO4 without GUEST_CSUM: the driver does not accept GUEST_TSO4', async () => {
    const offered = featureMask(F.MAC, F.MTU, F.MRG_RXBUF, F.CSUM, F.HOST_TSO4, F.GUEST_TSO4);
    const rig = await scripted(offered, [], true);
    expect(rig.driver.core.has(F.GUEST_TSO4)).toBe(false);
    expect(rig.driver.core.has(F.HOST_TSO4)).toBe(true);
    expect(rig.driver.receiveSegmentationOffload).toBe(false);
  });
});
