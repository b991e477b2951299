/**
 * virtio-net driver ⇄ inline device model ⇄ createLink() backend: byte-exact frames both
 * ways across sizes, long runs without loss, receive-ring exhaustion (frames wait in the
 * backend), oversize drops, link status and the failure path.
 */
import { createLink } from '@libos/net';
import {
  DeviceStatus,
  TransportError,
  VirtioNetDeviceModel,
  VirtioNetDriver,
  VirtioNetError,
  VirtioNetFeature,
} from '@libos/virtio';
import { describe, expect, it } from 'vitest';
import { BASE, modelRig, type NetRigOptions, netRig, testFrame } from './net-fixture.js';

const SIZES = [60, 61, 64, 65, 127, 128, 255, 256, 257, 500, 1000, 1023, 1024, 1500, 1513, 1514];

const VARIANTS: [string, NetRigOptions][] = [
  ['MRG_RXBUF, 2 KiB buffers', {}],
  ['MRG_RXBUF, 256-byte buffers', { driver: { rxBufferSize: 256 } }],
  ['MRG_RXBUF, 64-byte buffers', { driver: { rxBufferSize: 64 } }],
  ['no MRG_RXBUF', { driver: { mergeableRxBuffers: false } }],
];

type Rig = Awaited<ReturnType<typeof netRig>>;

function sendAll(rig: Rig, frames: Uint8Array[]): void {
  for (const f of frames) {
    let ok = rig.driver.transmit(f.length, (buf) => buf.set(f));
    for (let tries = 0; !ok && tries < 10; tries++) {
      rig.settle();
      ok = rig.driver.transmit(f.length, (buf) => buf.set(f));
    }
    expect(ok).toBe(true);
  }
}

function collect(device: { receive: VirtioNetDriver['receive'] }, into: Uint8Array[]): number {
  return device.receive((f) => {
    into.push(f.slice());
  }, 1024);
}

describe.each(VARIANTS)('virtio-net frames (%s)', (_name, options) => {
  it('transmits every size from 60 to 1514 bytes byte-exact, in order', async () => {
    const rig = await netRig(options);
    const { driver, wire } = rig;
    const sent = SIZES.map((n, i) => testFrame(i + 1, n, wire.macAddress, driver.macAddress));
    sendAll(rig, sent);
    const got: Uint8Array[] = [];
    collect(wire, got);
    expect(got).toEqual(sent);
    expect(rig.model.stats.txFrames).toBe(sent.length);
    expect(rig.model.stats.txDropped).toBe(0);
  });

  it('receives every size from 60 to 1514 bytes byte-exact, in order', async () => {
    const rig = await netRig(options);
    const { driver, wire } = rig;
    const sent = SIZES.map((n, i) => testFrame(100 + i, n, driver.macAddress, wire.macAddress));
    for (const f of sent) expect(wire.transmit(f.length, (buf) => buf.set(f))).toBe(true);
    rig.settle();
    const got: Uint8Array[] = [];
    collect(driver, got);
    expect(got).toEqual(sent);
    expect(rig.model.stats.rxFrames).toBe(sent.length);
    expect(driver.stats.rxErrors).toBe(0);
    const bufferSize = options.driver?.rxBufferSize;
    if (bufferSize !== undefined) {
      // Frames really spanned several buffers (num_buffers > 1).
      const expected = sent.reduce((n, f) => n + Math.ceil((12 + f.length) / bufferSize), 0);
      expect(rig.model.stats.rxBuffers).toBe(expected);
    } else {
      expect(rig.model.stats.rxBuffers).toBe(sent.length);
    }
  });

  it('moves 5000 frames each way, interleaved, without loss or reordering', async () => {
    const rig = await netRig(options);
    const { driver, wire } = rig;
    const out: Uint8Array[] = [];
    const inn: Uint8Array[] = [];
    const gotOut: Uint8Array[] = [];
    const gotIn: Uint8Array[] = [];
    for (let i = 0; i < 5000; i++) {
      const len = 60 + ((i * 97) % 1455);
      const a = testFrame(i, len, wire.macAddress, driver.macAddress);
      const b = testFrame(i + 50_000, 1574 - len, driver.macAddress, wire.macAddress);
      let ok = driver.transmit(a.length, (buf) => buf.set(a));
      if (!ok) {
        collect(wire, gotOut);
        rig.settle();
        ok = driver.transmit(a.length, (buf) => buf.set(a));
      }
      expect(ok).toBe(true);
      out.push(a);
      if (!wire.transmit(b.length, (buf) => buf.set(b))) {
        rig.settle();
        collect(driver, gotIn);
        expect(wire.transmit(b.length, (buf) => buf.set(b))).toBe(true);
      }
      inn.push(b);
      if (i % 7 === 0) {
        collect(wire, gotOut);
        rig.settle();
        collect(driver, gotIn);
      }
    }
    for (let round = 0; round < 50 && (gotOut.length < 5000 || gotIn.length < 5000); round++) {
      collect(wire, gotOut);
      rig.settle();
      collect(driver, gotIn);
    }
    expect(gotOut.length).toBe(5000);
    expect(gotIn.length).toBe(5000);
    expect(
      gotOut.every((f, i) => f.length === out[i]!.length && f.every((x, k) => x === out[i]![k])),
    ).toBe(true);
    expect(
      gotIn.every((f, i) => f.length === inn[i]!.length && f.every((x, k) => x === inn[i]![k])),
    ).toBe(true);
    expect(rig.model.stats.rxDropped + rig.model.stats.txDropped).toBe(0);
    expect(driver.failure).toBeNull();
  });
});

describe('virtio-net receive ring exhaustion', () => {
  it('leaves frames waiting in the backend (none lost) until the driver re-posts buffers', async () => {
    const rig = await netRig({ driver: { queueSize: 8, mergeableRxBuffers: false } });
    const { driver, wire, backend, model } = rig;
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      const f = testFrame(i, 60 + i, driver.macAddress, wire.macAddress);
      expect(wire.transmit(f.length, (buf) => buf.set(f))).toBe(true);
      sent.push(f);
    }
    rig.settle();
    rig.settle();
    // Only the 8 posted buffers were filled; 32 frames wait, still in the cable.
    expect(model.stats.rxFrames).toBe(8);
    expect(backend.stats.received).toBe(8);
    expect(model.stats.rxDropped).toBe(0);
    const got: Uint8Array[] = [];
    for (let round = 0; round < 20 && got.length < 40; round++) {
      collect(driver, got);
      rig.settle();
    }
    expect(got).toEqual(sent);
    expect(model.stats.rxDropped).toBe(0);
  });

  it('back-pressure reaches the far end: its transmit is refused once the backend queue is full', async () => {
    const rig = await netRig({ driver: { queueSize: 4 }, link: { queueFrames: 8 } });
    const { driver, wire } = rig;
    let accepted = 0;
    for (let i = 0; i < 100; i++) {
      const f = testFrame(i, 60, driver.macAddress, wire.macAddress);
      if (!wire.transmit(f.length, (buf) => buf.set(f))) break;
      accepted++;
      rig.settle();
    }
    // 4 in the driver's ring + 8 in the cable, then the far end is told no.
    expect(accepted).toBe(12);
    const got: Uint8Array[] = [];
    for (let round = 0; round < 10; round++) {
      collect(driver, got);
      rig.settle();
    }
    expect(got.length).toBe(12);
    expect(got.map((f) => f[14])).toEqual(
      Array.from(
        { length: 12 },
        (_, i) => testFrame(i, 60, driver.macAddress, wire.macAddress)[14],
      ),
    );
  });

  it('drops (and counts) backend frames longer than the device MTU + 14', async () => {
    const rig = await netRig({ link: { maxTransmitUnit: 9000 }, model: { mtu: 1500 } });
    const { driver, wire, model } = rig;
    expect(driver.capabilities.maxTransmitUnit).toBe(1500);
    const big = testFrame(1, 1515, driver.macAddress, wire.macAddress);
    const ok = testFrame(2, 1514, driver.macAddress, wire.macAddress);
    wire.transmit(big.length, (buf) => buf.set(big));
    wire.transmit(ok.length, (buf) => buf.set(ok));
    rig.settle();
    const got: Uint8Array[] = [];
    collect(driver, got);
    expect(got).toEqual([ok]);
    expect(model.stats.rxDropped).toBe(1);
  });
});

describe('virtio-net negotiation, configuration and failure', () => {
  it('reads MAC and MTU from the configuration and reports offloads as negotiated', async () => {
    const mac = Uint8Array.of(0x52, 0x54, 0, 0xab, 0xcd, 0xef);
    const rig = await netRig({ model: { mac, mtu: 1400 }, link: { maxTransmitUnit: 1400 } });
    expect(Array.from(rig.driver.macAddress)).toEqual(Array.from(mac));
    expect(rig.driver.capabilities).toEqual({
      maxTransmitUnit: 1400,
      maxBurstSize: 256,
      checksumOffload: { transmit: true, receive: true },
      segmentationOffload: true,
    });
    expect(rig.driver.core.has(VirtioNetFeature.MRG_RXBUF)).toBe(true);
    expect(rig.driver.core.has(VirtioNetFeature.HOST_TSO4)).toBe(true);
    expect(rig.driver.core.has(VirtioNetFeature.GUEST_TSO4)).toBe(false);
    // Above MTU + 14 but not TCP/IPv4: refused after fill.
    expect(rig.driver.transmit(1415, (f) => f.fill(0))).toBe(false);
    expect(rig.driver.stats.txOversizeRejected).toBe(1);
    const noTso = await netRig({ driver: { segmentationOffload: false } });
    expect(noTso.driver.capabilities.segmentationOffload).toBe(false);
    expect(noTso.driver.core.has(VirtioNetFeature.HOST_TSO4)).toBe(false);
    let filled = false;
    expect(
      noTso.driver.transmit(1515, () => {
        filled = true;
      }),
    ).toBe(false);
    expect(filled).toBe(false);
    const plain = await netRig({
      model: { checksumOffload: false, mergeableRxBuffers: false },
    });
    expect(plain.driver.capabilities.checksumOffload).toEqual({ transmit: false, receive: false });
    expect(plain.driver.core.has(VirtioNetFeature.MRG_RXBUF)).toBe(false);
    expect(plain.driver.capabilities.segmentationOffload).toBe(false); // TSO needs CSUM
  });

  it('follows the link status through configuration change interrupts', async () => {
    const rig = await netRig();
    expect(rig.driver.linkUp).toBe(true);
    rig.model.setLinkUp(false);
    rig.driver.poll();
    expect(rig.driver.linkUp).toBe(false);
    rig.model.setLinkUp(true);
    rig.driver.poll();
    expect(rig.driver.linkUp).toBe(true);
  });

  it('refuses bad options with VirtioNetError codes', async () => {
    const [backend] = createLink();
    const { memory, link, dma } = modelRig();
    expect(
      () => new VirtioNetDeviceModel({ memory, base: 0x3000, link }, backend, { mtu: 40 }),
    ).toThrow(VirtioNetError);
    await expect(
      VirtioNetDriver.open({ memory, dma, base: BASE, link, rxBufferSize: 8 }),
    ).rejects.toMatchObject({ code: 'BAD_OPTION' });
    // Without MRG_RXBUF a buffer must hold a whole packet.
    await expect(
      VirtioNetDriver.open({
        memory,
        dma,
        base: BASE,
        link,
        mergeableRxBuffers: false,
        rxBufferSize: 1000,
      }),
    ).rejects.toMatchObject({ code: 'BAD_OPTION' });
    // With MRG_RXBUF the whole ring must hold one packet (4 × 64 < 1526).
    await expect(
      VirtioNetDriver.open({ memory, dma, base: BASE, link, queueSize: 4, rxBufferSize: 64 }),
    ).rejects.toMatchObject({ code: 'BAD_OPTION' });
    // Everything allocated by the failed opens was given back.
    expect(dma.stats().usedBytes).toBe(0);
  });

  it('after DEVICE_NEEDS_RESET: transmit false, receive 0, failure observable', async () => {
    const rig = await netRig();
    const { driver, wire, model } = rig;
    model.core.transport.markNeedsReset('test');
    expect(model.core.transport.status & DeviceStatus.DEVICE_NEEDS_RESET).toBeTruthy();
    driver.poll();
    expect(driver.failure).toBeInstanceOf(TransportError);
    expect(rig.failures).toHaveLength(1);
    let called = false;
    expect(
      driver.transmit(60, () => {
        called = true;
      }),
    ).toBe(false);
    expect(called).toBe(false);
    const f = testFrame(1, 60, driver.macAddress, wire.macAddress);
    wire.transmit(f.length, (buf) => buf.set(f));
    rig.settle();
    expect(driver.receive(() => {}, 8)).toBe(0);
  });

  it('close gives back rings and pools', async () => {
    const rig = await netRig();
    expect(rig.dma.stats().usedBytes).toBeGreaterThan(0);
    await rig.driver.close();
    expect(rig.dma.stats().usedBytes).toBe(0);
  });
});
