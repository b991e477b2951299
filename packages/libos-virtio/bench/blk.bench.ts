/**
 * virtio-blk 4 KiB random reads through VirtioBlockDriver ↔ BlockDeviceModel (inline,
 * one thread, memory backend) at queue depth 1 and 32, against @libos/fs's RamDisk
 * doing the same reads in the same run (no virtqueue, no copies but the final one).
 */
import { RamDisk } from '@libos/fs';
import { DmaAllocator, GuestMemory } from '@libos/mem';
import { BlockDeviceModel, InlineLink, MemoryBlockBackend, VirtioBlockDriver } from '@libos/virtio';
import type { Comparison } from '../../../bench/harness.js';

/** Results are folded in here so the optimiser cannot drop the work. */
export const sink = { value: 0 };

const BLOCK = 4096;
const DISK_BLOCKS = 16384; // 64 MiB
const READS = 20_000;
const QUEUE_SIZE = 128;
const MEMORY = 4 << 20;

const image = new Uint8Array(DISK_BLOCKS * BLOCK);
for (let i = 0; i < image.length; i += 512) image[i] = (i >>> 9) & 0xff;

const memory = new GuestMemory(MEMORY);
const link = new InlineLink(memory);
const dma = new DmaAllocator(memory, { base: 0x10000, length: MEMORY - 0x10000 });
const model = new BlockDeviceModel({ memory, base: 0x1000, link }, new MemoryBlockBackend(image), {
  blockSize: BLOCK,
  queueSize: QUEUE_SIZE,
});
model.start();
const driver = await VirtioBlockDriver.open({
  memory,
  dma,
  base: 0x1000,
  link,
  queueSize: QUEUE_SIZE,
});
const ramDisk = new RamDisk({ sectorSize: BLOCK, contents: image });

/** The same pseudo-random block numbers for subject and baseline. */
const targets = new Uint32Array(READS);
let x = 0x9e3779b9;
for (let i = 0; i < READS; i++) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  targets[i] = (x >>> 0) % DISK_BLOCKS;
}

type Reader = (sector: number, buffer: Uint8Array) => Promise<void>;

/** `depth` workers, each with its own 4 KiB buffer, share the READS reads. */
async function randomReads(read: Reader, depth: number): Promise<void> {
  let next = 0;
  let acc = 0;
  const worker = async (): Promise<void> => {
    const buffer = new Uint8Array(BLOCK);
    for (let i = next++; i < READS; i = next++) {
      await read(targets[i]!, buffer);
      acc += buffer[0]!;
    }
  };
  await Promise.all(Array.from({ length: depth }, worker));
  sink.value += acc;
}

const viaVirtio: Reader = (s, b) => driver.read(s, b);
const viaRamDisk: Reader = (s, b) => ramDisk.read(s, b);

function comparison(depth: number): Comparison {
  return {
    id: `BLK-qd${depth}`,
    title: `virtio-blk 4 KiB random reads, queue depth ${depth}: driver + inline device model vs RamDisk`,
    conditions:
      `inline (one thread), memory backend (64 MiB image), blk_size 4096, queue size ${QUEUE_SIZE}, ` +
      `EVENT_IDX + INDIRECT_DESC negotiated, ${depth} request(s) in flight, caller buffers outside guest ` +
      `memory (bounce-buffer copy), ${READS} reads per sample. Baseline: @libos/fs RamDisk.read of the ` +
      'same blocks into the same buffers (one copy, no virtqueue). Ratio = virtio-blk IOPS ÷ RamDisk IOPS.',
    subject: { name: 'virtio-blk reads', ops: READS, run: () => randomReads(viaVirtio, depth) },
    baseline: { name: 'RamDisk reads', ops: READS, run: () => randomReads(viaRamDisk, depth) },
  };
}

export const comparisons: Comparison[] = [comparison(1), comparison(32)];
