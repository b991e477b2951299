/**
 * P4 worker mode — the device side in a `node:worker_threads` Worker sharing guest
 * memory (a SharedArrayBuffer), against the same work inline in the same run:
 * - `P4-worker`: 64-byte frames through a split virtqueue whose SplitQueueDevice runs
 *   in a worker (validate, copy out, push used), driver here; vs inline.
 * - `BLK-worker-qd1` and `BLK-worker-qd32`: virtio-blk 4 KiB random reads at queue depth 1 and 32, BlockDeviceModel
 *   in a device worker (`startDeviceWorker`, memory backend) vs inline.
 * Workers are started lazily in the first subject sample's (untimed) setup, kept
 * ref'd only while the subject runs, and terminated in the (untimed) baseline setup after
 * the last subject sample (or when the next comparison starts; `beforeExit` as a fallback).
 */
import { Worker } from 'node:worker_threads';
import { DmaAllocator, GuestMemory } from '@libos/mem';
import {
  AtomicsLink,
  allocateSplitQueue,
  BlockDeviceModel,
  DescriptorChain,
  InlineLink,
  MemoryBlockBackend,
  type SplitQueueAddresses,
  SplitQueueDevice,
  SplitQueueDriver,
  VirtioBlockDriver,
} from '@libos/virtio';
import { type DeviceWorker, startDeviceWorker } from '@libos/virtio/node';
import type { Comparison } from '../../../bench/harness.js';

/** Results are folded in here so the optimiser cannot drop the work. */
export const sink = { value: 0 };

// ── worker bookkeeping: at most one comparison's workers alive at a time ───────────

/** A started worker: `ref`/`unref` its thread, end it. */
interface LiveWorker {
  ref(): void;
  unref(): void;
  terminate(): Promise<unknown>;
}

const live = new Set<LiveWorker>();
async function terminateAll(): Promise<void> {
  const all = [...live];
  live.clear();
  await Promise.all(all.map((w) => w.terminate()));
}
/** Fallback: a worker left (unref'd) when the run ends is terminated before exit. */
process.once('beforeExit', () => {
  void terminateAll();
});

/** Samples `bench/run.ts` takes of each workload (warm-up + measured). */
const SAMPLES = process.env['LIBOS_BENCH_QUICK'] === '1' ? 1 + 3 : 3 + 9;

/**
 * Subject / baseline hooks that keep a comparison's worker alive (ref'd) only while
 * its subject runs, and terminate it in the (untimed) baseline setup that follows the
 * last subject sample.
 */
function workerHooks(start: () => Promise<void>) {
  let runs = 0;
  return {
    subjectSetup: async (): Promise<void> => {
      await start();
      for (const w of live) w.ref();
    },
    subjectDone: (): void => {
      runs++;
    },
    baselineSetup: async (): Promise<void> => {
      for (const w of live) w.unref(); // idle now: must not keep the process alive
      if (runs >= SAMPLES) await terminateAll();
    },
  };
}

// ── P4: 64-byte frames, device side in a worker ──────────────────────────────────────

const FRAMES = 500_000;
const FRAME = 64;
const QUEUE_SIZE = 256;
const BATCH = 32;
const MEM = 4 << 20;
const FRAME_BASE = 2 << 20;
const CONTROL = FRAME_BASE - 64; // i32 words: [0] stop flag, [1] doorbell
/** Empty polls of the avail ring the worker makes before it re-arms notifications and sleeps. */
const IDLE_SPINS = 256;

/** The device loop in the worker (plain JS; imports the TypeScript sources through tsx). */
const deviceSource = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  (await import('tsx/esm/api')).register(); // resolved from the working directory
  const { GuestMemory } = await import('@libos/mem');
  const { DescriptorChain, SplitQueueDevice } = await import('@libos/virtio');
  const { buffer, size, addresses, control, frame, spin } = workerData;
  const memory = new GuestMemory(buffer);
  const device = new SplitQueueDevice(memory, size, addresses, { eventIdx: true, indirect: false });
  const chain = new DescriptorChain(memory);
  const i32 = new Int32Array(buffer, control, 4);
  const scratch = new Uint8Array(frame);
  let acc = 0;
  let idle = 0;
  parentPort.postMessage('ready');
  device.disableNotifications();
  while (Atomics.load(i32, 0) === 0) {
    let n = 0;
    while (device.popAvailable(chain) !== null) {
      chain.readReadable(scratch);
      acc += scratch[0] ^ scratch[frame - 1];
      device.pushUsed(chain, 0);
      n++;
    }
    if (n > 0) { device.publishUsed(); idle = 0; continue; }
    if (device.broken) break;
    if (++idle < spin) continue; // busy-poll a little before sleeping (doorbells cost µs)
    const seen = Atomics.load(i32, 1);
    if (!device.enableNotifications()) Atomics.wait(i32, 1, seen, 5);
    device.disableNotifications();
    idle = 0;
  }
  parentPort.postMessage({ acc, violation: device.violation });
})().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));
`;

interface QueueRig {
  readonly memory: GuestMemory;
  readonly addresses: SplitQueueAddresses;
  readonly driver: SplitQueueDriver<number>;
}

function queueRig(): QueueRig {
  const memory = new GuestMemory(MEM, { shared: true });
  const dma = new DmaAllocator(memory, { base: 0, length: CONTROL });
  const addresses = allocateSplitQueue(dma, QUEUE_SIZE)!;
  for (let i = 0; i < QUEUE_SIZE * FRAME; i++) memory.u8[FRAME_BASE + i] = (i * 31) & 0xff;
  const driver = new SplitQueueDriver<number>(memory, QUEUE_SIZE, addresses, {
    eventIdx: true,
    indirect: false,
  });
  driver.disableInterrupts(); // the driver busy-polls the used ring (a poll-mode driver)
  return { memory, addresses, driver };
}

let reclaimed = 0;
const onUsed = (): void => {
  reclaimed++;
};

/**
 * The driver side: add and publish batches of 32, ring the doorbell when the device
 * asked (EVENT_IDX), reclaim; `serve` runs an inline device in between (null = the
 * worker serves concurrently).
 */
function drive(r: QueueRig, frames: number, serve: (() => void) | null, doorbell: Int32Array) {
  const { driver } = r;
  let sent = 0;
  reclaimed = 0;
  let spins = 0;
  while (reclaimed < frames) {
    let n = 0;
    while (n < BATCH && sent < frames) {
      if (!driver.addBuffer(FRAME_BASE + (sent & (QUEUE_SIZE - 1)) * FRAME, FRAME, false, sent))
        break;
      sent++;
      n++;
    }
    if (n > 0) {
      // Publishing nothing would still write avail.idx: a cache line the device polls.
      driver.publish();
      if (driver.kickNeeded()) {
        Atomics.add(doorbell, 1, 1);
        Atomics.notify(doorbell, 1);
      }
    }
    serve?.();
    if (driver.pollUsed(onUsed) === 0 && ++spins > 50_000_000) throw new Error('P4: no progress');
  }
}

/** Inline: the same device loop, run by the driver's thread after each batch. */
const inline = queueRig();
const inlineDevice = new SplitQueueDevice(inline.memory, QUEUE_SIZE, inline.addresses, {
  eventIdx: true,
  indirect: false,
});
const inlineChain = new DescriptorChain(inline.memory);
const inlineScratch = new Uint8Array(FRAME);
const inlineControl = new Int32Array(inline.memory.buffer, CONTROL, 4);
const serveInline = (): void => {
  let acc = 0;
  inlineDevice.disableNotifications();
  do {
    while (inlineDevice.popAvailable(inlineChain) !== null) {
      inlineChain.readReadable(inlineScratch);
      acc += inlineScratch[0]! ^ inlineScratch[FRAME - 1]!;
      inlineDevice.pushUsed(inlineChain, 0);
    }
    inlineDevice.publishUsed();
  } while (inlineDevice.enableNotifications());
  sink.value += acc;
};

let frameWorker: { rig: QueueRig; worker: Worker; control: Int32Array } | null = null;

async function startFrameWorker(): Promise<void> {
  if (frameWorker !== null) return;
  await terminateAll();
  const rig = queueRig();
  const worker = new Worker(deviceSource, {
    eval: true,
    execArgv: ['--conditions=libos-source'],
    workerData: {
      buffer: rig.memory.buffer,
      size: QUEUE_SIZE,
      addresses: rig.addresses,
      control: CONTROL,
      frame: FRAME,
      spin: IDLE_SPINS,
    },
  });
  const control = new Int32Array(rig.memory.buffer, CONTROL, 4);
  const stop: LiveWorker = {
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    terminate: async () => {
      Atomics.store(control, 0, 1);
      Atomics.notify(control, 1);
      frameWorker = null;
      return worker.terminate();
    },
  };
  live.add(stop);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('P4 worker not ready in 10 s')), 10_000);
    worker.once('message', (m: unknown) => {
      clearTimeout(timer);
      if (m === 'ready') resolve();
      else reject(new Error(`P4 worker failed: ${JSON.stringify(m)}`));
    });
    worker.once('error', reject);
  });
  frameWorker = { rig, worker, control };
}

const p4Hooks = workerHooks(startFrameWorker);

const p4Worker: Comparison = {
  id: 'P4-worker',
  title: 'virtqueue 64-byte frames: device side in a worker thread vs inline',
  conditions:
    `SplitQueueDriver here, SplitQueueDevice in a node:worker_threads Worker on shared guest memory ` +
    `(Atomics-published indices, §2.7.13), queue size ${QUEUE_SIZE}, EVENT_IDX on, no indirect, ` +
    `64-byte device-readable frames, batches of ${BATCH}, the worker validates each chain and copies ` +
    `the 64 bytes out, busy-polls (up to ${IDLE_SPINS} empty polls) and then Atomics.wait()s on a ` +
    `doorbell word; the driver busy-polls the used ring with interrupts disabled (poll mode) ` +
    `and publishes only batches it added; ${FRAMES} frames per sample. Baseline: the same device loop inline, after every batch. ` +
    'Goal is absolute (≥ 2 Mpps in worker mode); ratio = worker ÷ inline.',
  subject: {
    name: 'frames, device in a worker',
    ops: FRAMES,
    setup: p4Hooks.subjectSetup,
    run: () => {
      const w = frameWorker!;
      drive(w.rig, FRAMES, null, w.control);
      p4Hooks.subjectDone();
    },
  },
  baseline: {
    name: 'frames, device inline',
    ops: FRAMES,
    setup: p4Hooks.baselineSetup,
    run: () => drive(inline, FRAMES, serveInline, inlineControl),
  },
};

// ── virtio-blk 4 KiB random reads, QD 32, device model in a worker ───────────────────

const BLOCK = 4096;
const DISK_BLOCKS = 16384; // 64 MiB
const READS = 20_000;
const BLK_QUEUE = 128;
const BLK_MEMORY = 4 << 20;

const diskBuffer = new SharedArrayBuffer(DISK_BLOCKS * BLOCK);
const image = new Uint8Array(diskBuffer);
for (let i = 0; i < image.length; i += 512) image[i] = (i >>> 9) & 0xff;

const targets = new Uint32Array(READS);
let x = 0x9e3779b9;
for (let i = 0; i < READS; i++) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  targets[i] = (x >>> 0) % DISK_BLOCKS;
}

async function randomReads(driver: VirtioBlockDriver, depth: number): Promise<void> {
  let next = 0;
  let acc = 0;
  const reader = async (): Promise<void> => {
    const buffer = new Uint8Array(BLOCK);
    for (let i = next++; i < READS; i = next++) {
      await driver.read(targets[i]!, buffer);
      acc += buffer[0]!;
    }
  };
  await Promise.all(Array.from({ length: depth }, reader));
  sink.value += acc;
}

const inlineMemory = new GuestMemory(BLK_MEMORY);
const inlineLink = new InlineLink(inlineMemory);
new BlockDeviceModel(
  { memory: inlineMemory, base: 0x1000, link: inlineLink },
  new MemoryBlockBackend(image),
  { blockSize: BLOCK, queueSize: BLK_QUEUE },
).start();
const inlineDisk = await VirtioBlockDriver.open({
  memory: inlineMemory,
  dma: new DmaAllocator(inlineMemory, { base: 0x10000, length: BLK_MEMORY - 0x10000 }),
  base: 0x1000,
  link: inlineLink,
  queueSize: BLK_QUEUE,
});

let blkWorker: { worker: DeviceWorker; disk: VirtioBlockDriver } | null = null;

async function startBlkWorker(): Promise<void> {
  if (blkWorker !== null) return;
  await terminateAll();
  const memory = new GuestMemory(BLK_MEMORY, { shared: true });
  const worker = startDeviceWorker({
    memory,
    devices: [
      {
        kind: 'blk',
        base: 0x1000,
        backend: { type: 'memory', buffer: diskBuffer, readOnly: true },
        options: { blockSize: BLOCK, queueSize: BLK_QUEUE },
      },
    ],
  });
  live.add({
    ref: () => worker.worker.ref(),
    unref: () => worker.worker.unref(),
    terminate: () => {
      blkWorker = null;
      return worker.terminate();
    },
  });
  await worker.ready;
  const disk = await VirtioBlockDriver.open({
    memory,
    dma: new DmaAllocator(memory, { base: 0x10000, length: BLK_MEMORY - 0x10000 }),
    base: 0x1000,
    link: new AtomicsLink(memory),
    queueSize: BLK_QUEUE,
  });
  blkWorker = { worker, disk };
}

/** virtio-blk random reads at queue depth `depth`, device model in a worker vs inline. */
function blkWorkerComparison(depth: number): Comparison {
  const hooks = workerHooks(startBlkWorker);
  return {
    id: `BLK-worker-qd${depth}`,
    title: `virtio-blk 4 KiB random reads, queue depth ${depth}: device model in a worker vs inline`,
    conditions:
      `VirtioBlockDriver here on an AtomicsLink; BlockDeviceModel in a device worker ` +
      `(startDeviceWorker, memory backend on a 64 MiB SharedArrayBuffer image), blk_size 4096, ` +
      `queue size ${BLK_QUEUE}, EVENT_IDX + INDIRECT_DESC, ${depth} request(s) in flight, caller ` +
      `buffers outside guest memory (bounce copy), ${READS} reads per sample. Baseline: the same ` +
      'driver and model inline on an InlineLink. Ratio = worker IOPS ÷ inline IOPS.',
    subject: {
      name: 'virtio-blk reads, device in a worker',
      ops: READS,
      setup: hooks.subjectSetup,
      run: async () => {
        await randomReads(blkWorker!.disk, depth);
        hooks.subjectDone();
      },
    },
    baseline: {
      name: 'virtio-blk reads, device inline',
      ops: READS,
      setup: hooks.baselineSetup,
      run: () => randomReads(inlineDisk, depth),
    },
  };
}

export const comparisons: Comparison[] = [
  p4Worker,
  blkWorkerComparison(1),
  blkWorkerComparison(32),
];
