/**
 * VirtioBlockDriver against a hostile or broken device (hostile-device-fixture.ts): a
 * missing or invented status byte is an EIO, never a success; a nonsensical
 * configuration does not produce an unusable geometry. The device runs inline (same
 * thread, InlineLink) and in a worker thread (AtomicsLink, shared guest memory).
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import { AtomicsLink, InlineLink, VirtioBlockDriver } from '@libos/virtio';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type HostileBlkBehaviour,
  type HostileBlkConfig,
  hostileBlkModel,
} from './hostile-device-fixture.js';
import { type HostileWorker, startHostileWorker } from './hostile-worker-rig.js';
import { DRIVER_TIMEOUT_MS, TEST_MS } from './worker-rig.js';

vi.setConfig({ testTimeout: TEST_MS });

const BASE = 0x1000;
const MEMORY = 1 << 21;

interface Device {
  readonly driver: VirtioBlockDriver;
  /** Changes what the device does with the next requests. */
  readonly behave: (behaviour: HostileBlkBehaviour) => Promise<void>;
}

type Start = (
  behaviour: HostileBlkBehaviour,
  config?: Partial<HostileBlkConfig>,
) => Promise<Device>;

let worker: HostileWorker | null = null;
const opened: VirtioBlockDriver[] = [];

beforeAll(async () => {
  worker = await startHostileWorker();
});
afterEach(async () => {
  for (const d of opened.splice(0)) await d.close().catch(() => {});
  await worker?.send({ type: 'stop' });
});
afterAll(async () => {
  await worker?.terminate();
});

const configOf = (c: Partial<HostileBlkConfig> = {}): HostileBlkConfig => ({
  blkSize: c.blkSize ?? 512,
  capacity: c.capacity ?? 64n,
});

const inline: Start = async (behaviour, config) => {
  const memory = new GuestMemory(MEMORY);
  const link = new InlineLink(memory);
  const dma = new DmaAllocator(memory, { base: 0x10000, length: MEMORY - 0x10000 });
  const state = { behaviour };
  hostileBlkModel(memory, link, BASE, configOf(config), state).start();
  const driver = await VirtioBlockDriver.open({ memory, dma, base: BASE, link, queueSize: 16 });
  opened.push(driver);
  return {
    driver,
    behave: async (b) => {
      state.behaviour = b;
    },
  };
};

const inWorker: Start = async (behaviour, config) => {
  const memory = new GuestMemory(MEMORY, { shared: true });
  const link = new AtomicsLink(memory);
  const dma = new DmaAllocator(memory, { base: 0x10000, length: MEMORY - 0x10000 });
  const buffer = memory.u8.buffer as SharedArrayBuffer;
  await worker!.send({ type: 'blk', buffer, base: BASE, config: configOf(config), behaviour });
  const driver = await VirtioBlockDriver.open({
    memory,
    dma,
    base: BASE,
    link,
    queueSize: 16,
    timeoutMs: DRIVER_TIMEOUT_MS,
  });
  opened.push(driver);
  return {
    driver,
    behave: async (b) => {
      await worker!.send({ type: 'behaviour', behaviour: b });
    },
  };
};

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describe.each([
  ['inline', inline],
  ['worker', inWorker],
] as const)('VirtioBlockDriver against a hostile device (%s)', (_mode, start) => {
  it('a request returned without a status byte written is EIO', async () => {
    const { driver } = await start({ kind: 'no-status' });
    expect(await codeOf(driver.read(0, new Uint8Array(512)))).toBe('EIO');
    expect(await codeOf(driver.flush())).toBe('EIO');
  });

  it('an invented status value is EIO, and UNSUPP is EIO too', async () => {
    const { driver, behave } = await start({ kind: 'status', status: 7 });
    expect(await codeOf(driver.write(0, new Uint8Array(512)))).toBe('EIO');
    await behave({ kind: 'status', status: 2 }); // VIRTIO_BLK_S_UNSUPP
    expect(await codeOf(driver.getId())).toBe('EIO');
    await behave({ kind: 'status', status: 0 });
    await expect(driver.flush()).resolves.toBeUndefined();
  });

  it('ignores a blk_size that is not a power of two and falls back to 512', async () => {
    const { driver } = await start({ kind: 'idle' }, { blkSize: 1000, capacity: 80n });
    expect(driver.sectorSize).toBe(512);
    expect(driver.sectorCount).toBe(80);
  });

  it('a capacity beyond 2^53 bytes gives an empty disk rather than a wrong one', async () => {
    const { driver } = await start({ kind: 'idle' }, { capacity: 1n << 60n });
    expect(driver.sectorCount).toBe(0);
    expect(await codeOf(driver.read(0, new Uint8Array(512)))).toBe('EINVAL');
  });
});
