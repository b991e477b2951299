/**
 * FS-CACHE-HOT: random 4 KiB reads with a hot working set through a {@link BlockCache},
 * against the same reads on the uncached device, both over a RAM disk whose every request
 * completes 50 µs after submission — a stand-in for a device round trip.
 * FS-CACHE-META: one-sector writes issued one at a time into 32 hot sectors (the pattern
 * of FAT and directory updates) with a flush every 64 writes, against the same writes
 * straight to the device: the cache absorbs rewrites and sends each dirty sector once per
 * flush, coalesced.
 */
import { BlockCache, type BlockDevice, checkBlockRequest, RamDisk } from '@libos/fs';
import type { Comparison } from '../../../bench/harness.js';

const SECTOR = 512;
const BLOCK = 4096;
const PER_BLOCK = BLOCK / SECTOR;
const DISK_BLOCKS = 16384; // 64 MiB
const HOT_BLOCKS = 512; // 2 MiB hot set
const HOT_SHARE = 0.9;
const CACHE_BYTES = 4 * 1024 * 1024;
const READS = 2048;
const QUEUE_DEPTH = 8;

/** Simulated device round trip. */
const LATENCY_MS = 0.05;

/**
 * A RAM disk whose requests complete `LATENCY_MS` after submission (checked on each
 * event-loop turn), many in flight at once — like a fast SSD behind virtio-blk.
 */
class SlowDisk implements BlockDevice {
  readonly sectorSize: number;
  readonly sectorCount: number;
  readonly readOnly = false;
  readonly #ram: RamDisk;
  readonly #queue: { due: number; run: () => void }[] = [];
  #polling = false;
  constructor(ram: RamDisk) {
    this.#ram = ram;
    this.sectorSize = ram.sectorSize;
    this.sectorCount = ram.sectorCount;
  }
  read(sector: number, buffer: Uint8Array): Promise<void> {
    checkBlockRequest(this, sector, buffer.length, 'read');
    return this.#later(() => this.#ram.read(sector, buffer));
  }
  write(sector: number, data: Uint8Array): Promise<void> {
    checkBlockRequest(this, sector, data.length, 'write');
    const copy = data.slice();
    return this.#later(() => this.#ram.write(sector, copy));
  }
  flush(): Promise<void> {
    return this.#later(() => Promise.resolve());
  }
  #later(op: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({
        due: performance.now() + LATENCY_MS,
        run: () => op().then(resolve, reject),
      });
      if (!this.#polling) {
        this.#polling = true;
        setImmediate(this.#poll);
      }
    });
  }
  readonly #poll = (): void => {
    const now = performance.now();
    let i = 0;
    while (i < this.#queue.length && this.#queue[i]!.due <= now) this.#queue[i++]!.run();
    this.#queue.splice(0, i);
    if (this.#queue.length > 0) setImmediate(this.#poll);
    else this.#polling = false;
  };
}

/** A fixed pseudo-random block sequence (xorshift), 90% from the hot set. */
const blocks = (() => {
  let x = 0x2545f491;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
  return Array.from({ length: READS }, () =>
    next() < HOT_SHARE
      ? Math.floor(next() * HOT_BLOCKS)
      : HOT_BLOCKS + Math.floor(next() * (DISK_BLOCKS - HOT_BLOCKS)),
  );
})();

const slow = new SlowDisk(new RamDisk({ sectorCount: DISK_BLOCKS * PER_BLOCK }));
const cache = new BlockCache(slow, { capacityBytes: CACHE_BYTES });
const buffers = Array.from({ length: QUEUE_DEPTH }, () => new Uint8Array(BLOCK));
let sink = 0;

/** Runs the block sequence with `QUEUE_DEPTH` requests in flight. */
async function readAll(device: BlockDevice): Promise<void> {
  let next = 0;
  await Promise.all(
    buffers.map(async (buffer) => {
      while (next < blocks.length) {
        const b = blocks[next++]!;
        await device.read(b * PER_BLOCK, buffer);
        sink += buffer[0]!;
      }
    }),
  );
}

const META_WRITES = 1024;
const META_SECTORS = 32;
const metaSectors = blocks.slice(0, META_WRITES).map((b) => 64 + (b % META_SECTORS));
const sectorData = new Uint8Array(SECTOR).fill(7);

/** One dependent write at a time, a flush after every 64. */
async function metadataWrites(device: BlockDevice): Promise<void> {
  for (let i = 0; i < META_WRITES; i++) {
    sectorData[0] = i;
    await device.write(metaSectors[i]!, sectorData);
    if (i % 64 === 63) await device.flush();
  }
}

export const comparisons: Comparison[] = [
  {
    id: 'FS-CACHE-HOT',
    title: 'random 4 KiB reads, 90% in a 2 MiB hot set, through a 4 MiB BlockCache',
    conditions: `disk 64 MiB of 512-byte sectors, each request completes ${LATENCY_MS * 1000} µs after submission; ${READS} reads at queue depth ${QUEUE_DEPTH}; cache warm after the first sample`,
    subject: { name: 'BlockCache over the slow disk', ops: READS, run: () => readAll(cache) },
    baseline: { name: 'slow disk, no cache', ops: READS, run: () => readAll(slow) },
    goal: 5,
    floor: 2,
  },
  {
    id: 'FS-CACHE-META',
    title: 'one-sector metadata writes, one at a time, into 32 hot sectors, flush every 64',
    conditions: `same disk and latency; ${META_WRITES} writes of 512 B at queue depth 1, flush() after every 64`,
    subject: {
      name: 'BlockCache write-back + flush',
      ops: META_WRITES,
      run: () => metadataWrites(cache),
    },
    baseline: {
      name: 'slow disk, write + flush',
      ops: META_WRITES,
      run: () => metadataWrites(slow),
    },
    goal: 5,
    floor: 2,
  },
];

/** Keeps the results observable so no loop is optimised away. */
export function benchSink(): number {
  return sink;
}
