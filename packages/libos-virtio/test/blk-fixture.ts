/**
 * Shared setup of the virtio-blk tests: guest memory, an inline link, a
 * BlockDeviceModel on a backend and a VirtioBlockDriver opened against it.
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import {
  type BlockBackend,
  BlockDeviceModel,
  type BlockDeviceModelOptions,
  InlineLink,
  MemoryBlockBackend,
  VirtioBlockDriver,
} from '@libos/virtio';

export const DEVICE_BASE = 0x1000;
export const MEMORY_SIZE = 4 << 20;

export interface BlkPair {
  readonly memory: GuestMemory;
  readonly dma: DmaAllocator;
  readonly link: InlineLink;
  readonly model: BlockDeviceModel;
  readonly driver: VirtioBlockDriver;
}

export async function blkPair(
  backend: BlockBackend,
  options: BlockDeviceModelOptions = {},
  queueSize = 64,
  maxTransferBytes?: number,
): Promise<BlkPair> {
  const memory = new GuestMemory(MEMORY_SIZE);
  const link = new InlineLink(memory);
  const dma = new DmaAllocator(memory, { base: 0x10000, length: MEMORY_SIZE - 0x10000 });
  const model = new BlockDeviceModel({ memory, base: DEVICE_BASE, link }, backend, options);
  model.start();
  const driver = await VirtioBlockDriver.open({
    memory,
    dma,
    base: DEVICE_BASE,
    link,
    queueSize,
    ...(maxTransferBytes !== undefined ? { maxTransferBytes } : {}),
  });
  return { memory, dma, link, model, driver };
}

export function memoryBackend(bytes: number, readOnly = false): MemoryBlockBackend {
  return new MemoryBlockBackend(new Uint8Array(bytes), { readOnly });
}

export function pattern(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
