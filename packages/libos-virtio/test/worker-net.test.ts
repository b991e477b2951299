/**
 * virtio-net in worker mode: the VirtioNetDeviceModel runs in a device worker; its
 * backend is the worker end of a shared-memory frame channel whose parent end the
 * handle pumps against one end of a `createLink()` cable. The driver stays here. The
 * NetDevice conformance suite runs against the driver with the far end of the cable as
 * the peer, and frames are checked byte-exact both ways.
 */
import { createLink, type LinkEndpoint } from '@libos/net';
import { describeNetDevice } from '@libos/net/testing';
import { VirtioNetDriver, type VirtioNetDriverOptions } from '@libos/virtio';
import type { DeviceWorker } from '@libos/virtio/node';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  DRIVER_TIMEOUT_MS,
  pattern,
  stopWorkers,
  TEST_MS,
  until,
  workerRig,
} from './worker-rig.js';

vi.setConfig({ testTimeout: TEST_MS });

const BASE = 0x1000;

afterEach(stopWorkers);
afterAll(stopWorkers);

type DriverExtras = Omit<VirtioNetDriverOptions, 'memory' | 'dma' | 'base' | 'link'>;

/**
 * Lets the worker and the bridge move frames: pump, handle interrupts, yield to the
 * event loop (AtomicsLink watchers), until three rounds in a row moved nothing here
 * (bounded to 200 rounds).
 */
async function settleFrames(worker: DeviceWorker, driver: VirtioNetDriver): Promise<void> {
  let idle = 0;
  for (let round = 0; round < 200 && idle < 3; round++) {
    const moved = worker.pump();
    driver.poll();
    await new Promise((r) => setTimeout(r, 1));
    idle = moved === 0 ? idle + 1 : 0;
  }
}

async function netWorkerRig(driverOptions: DriverExtras = {}) {
  const [backend, wire] = createLink();
  const rig = await workerRig([{ kind: 'net', base: BASE, backend }]);
  const failures: Error[] = [];
  const driver = await VirtioNetDriver.open({
    memory: rig.memory,
    dma: rig.dma,
    base: BASE,
    link: rig.link,
    timeoutMs: DRIVER_TIMEOUT_MS,
    onFailure: (e) => failures.push(e),
    ...driverOptions,
  });
  return {
    ...rig,
    driver,
    wire,
    failures,
    settle: () => settleFrames(rig.worker, driver),
    dispose: async () => {
      await driver.close();
      await rig.worker.stop();
    },
  };
}

function factory(options: DriverExtras) {
  return {
    create: async () => {
      const rig = await netWorkerRig(options);
      return { device: rig.driver, peer: rig.wire, settle: rig.settle, dispose: rig.dispose };
    },
  };
}

describeNetDevice('virtio-net (worker, MRG_RXBUF)', factory({}));
describeNetDevice(
  'virtio-net (worker, no MRG_RXBUF, no EVENT_IDX, queue of 16)',
  factory({ mergeableRxBuffers: false, eventIdx: false, queueSize: 16 }),
);

function frame(seed: number, length: number, dst: Uint8Array, src: Uint8Array): Uint8Array {
  const out = pattern(seed, length);
  out.set(dst, 0);
  out.set(src, 6);
  out[12] = 0x88;
  out[13] = 0xb5;
  return out;
}

/** Transmits `frames[sent.length…]` on `device` until it refuses; records what it took. */
function sendWhileAccepted(
  device: VirtioNetDriver | LinkEndpoint,
  frames: readonly Uint8Array[],
  sent: Uint8Array[],
): void {
  for (;;) {
    const f = frames[sent.length];
    if (f === undefined || !device.transmit(f.length, (b) => b.set(f))) return;
    sent.push(f);
  }
}

async function collect(
  from: VirtioNetDriver | LinkEndpoint,
  want: number,
  settle: () => Promise<void>,
): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  await until(() => {
    from.receive((f) => {
      got.push(f.slice());
    }, 64);
    if (got.length < want) void settle();
    return got.length >= want;
  }, `${want} frames`);
  return got;
}

describe('virtio-net (worker)', () => {
  it('moves 1,000 frames each way byte-exact, in order, with no loss', async () => {
    const rig = await netWorkerRig();
    const { driver, wire } = rig;
    const out = Array.from({ length: 1000 }, (_, i) =>
      frame(i + 1, 60 + ((i * 37) % 1455), wire.macAddress, driver.macAddress),
    );
    const into = Array.from({ length: 1000 }, (_, i) =>
      frame(5000 + i, 60 + ((i * 53) % 1455), driver.macAddress, wire.macAddress),
    );
    const sentOut: Uint8Array[] = [];
    const sentIn: Uint8Array[] = [];
    const gotOut: Uint8Array[] = [];
    const gotIn: Uint8Array[] = [];
    const deadline = Date.now() + 10_000;
    while ((gotOut.length < out.length || gotIn.length < into.length) && Date.now() < deadline) {
      sendWhileAccepted(driver, out, sentOut);
      sendWhileAccepted(wire, into, sentIn);
      rig.worker.pump();
      driver.poll();
      wire.receive((f) => {
        gotOut.push(f.slice());
      }, 64);
      driver.receive((f) => {
        gotIn.push(f.slice());
      }, 64);
      await new Promise((r) => setImmediate(r));
    }
    expect(gotOut.length).toBe(out.length);
    expect(gotIn.length).toBe(into.length);
    expect(gotOut).toEqual(out);
    expect(gotIn).toEqual(into);
    expect(rig.failures).toEqual([]);
    await rig.dispose();
  }, 20_000);

  it('a frame from the wire reaches the guest through the channel', async () => {
    const rig = await netWorkerRig();
    const f = frame(9, 200, rig.driver.macAddress, rig.wire.macAddress);
    expect(rig.wire.transmit(f.length, (b) => b.set(f))).toBe(true);
    const got = await collect(rig.driver, 1, rig.settle);
    expect(got).toEqual([f]);
    await rig.dispose();
  });
});
