/**
 * virtio-rng throughput: `EntropyDriver.read(4096)` against an inline
 * `EntropyDeviceModel` whose backend is `SeededEntropy`, versus the same `SeededEntropy`
 * filled directly (the cost floor: the bytes themselves).
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import { SeededEntropy } from '@libos/sched';
import { EntropyDeviceModel, EntropyDriver, InlineLink } from '@libos/virtio';
import type { Comparison } from '../../../bench/harness.js';

/** Results are folded in here so the optimiser cannot drop the work. */
export const sink = { value: 0 };

const READ = 4096;
const READS_PER_SAMPLE = 512; // 2 MiB per sample

async function openRng(poolSize: number, requestSize: number): Promise<EntropyDriver> {
  const memory = new GuestMemory(4 << 20);
  const link = new InlineLink(memory);
  const dma = new DmaAllocator(memory, { base: 0x10000, length: (4 << 20) - 0x10000 });
  const device = new EntropyDeviceModel({ memory, base: 0x1000, link }, new SeededEntropy(1));
  device.start();
  return EntropyDriver.open({ memory, dma, base: 0x1000, link, poolSize, requestSize });
}

const small = await openRng(4096, 512);
const large = await openRng(64 * 1024, 4096);
const direct = new SeededEntropy(1);
const directBuffer = new Uint8Array(READ);

async function readLoop(rng: EntropyDriver): Promise<void> {
  let acc = 0;
  for (let i = 0; i < READS_PER_SAMPLE; i++) {
    const bytes = await rng.read(READ);
    acc += bytes[0]! ^ bytes[READ - 1]!;
  }
  sink.value += acc;
}

const baseline = {
  name: 'SeededEntropy.fill(4096) directly',
  ops: READ * READS_PER_SAMPLE,
  run: () => {
    let acc = 0;
    for (let i = 0; i < READS_PER_SAMPLE; i++) {
      direct.fill(directBuffer);
      acc += directBuffer[0]! ^ directBuffer[READ - 1]!;
    }
    sink.value += acc;
  },
};

const conditions =
  'inline (one thread, InlineLink), EVENT_IDX negotiated, backend SeededEntropy (xoshiro128**); ' +
  `${READS_PER_SAMPLE} × read(${READ}) per sample, each returning a fresh Uint8Array; ` +
  'ops are bytes. The driver copies device → pool → caller and wipes request buffers.';

export const comparisons: Comparison[] = [
  {
    id: 'VIRTIO-RNG-4K',
    title: 'virtio-rng read(4096), pool 4 KiB / 512-byte requests, vs SeededEntropy direct',
    conditions: `${conditions} Pool 4096 bytes refilled by 8 requests of 512 bytes.`,
    subject: {
      name: 'EntropyDriver.read(4096)',
      ops: READ * READS_PER_SAMPLE,
      run: () => readLoop(small),
    },
    baseline,
  },
  {
    id: 'VIRTIO-RNG-64K',
    title: 'virtio-rng read(4096), pool 64 KiB / 4 KiB requests, vs SeededEntropy direct',
    conditions: `${conditions} Pool 65536 bytes refilled by 16 requests of 4096 bytes.`,
    subject: {
      name: 'EntropyDriver.read(4096)',
      ops: READ * READS_PER_SAMPLE,
      run: () => readLoop(large),
    },
    baseline,
  },
];
