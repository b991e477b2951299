/**
 * Buddy page allocator throughput: single pages, and a mix of orders, against
 * allocating a fresh `ArrayBuffer` of the same size (the host's page-sized allocation).
 */
import { BuddyPageAllocator, DmaAllocator, GuestMemory, PAGE_SIZE } from '@libos/mem';
import type { Comparison } from '../../../bench/harness.js';

const RANGE_PAGES = 4096; // 16 MiB managed
const BATCH = 64;
const ROUNDS = 1024;
/** Orders of the mixed workload: mostly small, some up to 32 KiB. */
const MIX = [0, 0, 1, 0, 2, 0, 1, 3, 0, 0, 1, 0, 2, 0, 0, 1];
/** A fixed permutation so frees happen out of allocation order (exercises coalescing). */
const FREE_ORDER = Array.from({ length: BATCH }, (_, i) => (i * 37) % BATCH);

let sink = 0;

const pages = new BuddyPageAllocator({ base: 0, length: RANGE_PAGES * PAGE_SIZE });
const addrs = new Float64Array(BATCH);
const held = new Array<ArrayBuffer>(BATCH);

const mem = new GuestMemory(RANGE_PAGES * PAGE_SIZE);
const dma = new DmaAllocator(mem, { base: 0, length: RANGE_PAGES * PAGE_SIZE, zero: false });
const regions = new Array<ReturnType<DmaAllocator['alloc']>>(BATCH);
const heldSmall = new Array<Uint8Array>(BATCH);

function pageRun(orders: readonly number[]): () => void {
  return () => {
    let s = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < BATCH; i++) {
        const a = pages.allocOrder(orders[i % orders.length]!)!;
        addrs[i] = a;
        s += a;
      }
      for (let i = 0; i < BATCH; i++) pages.free(addrs[FREE_ORDER[i]!]!);
    }
    sink += s;
  };
}

function bufferRun(orders: readonly number[]): () => void {
  return () => {
    let s = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < BATCH; i++) {
        const b = new ArrayBuffer(PAGE_SIZE << orders[i % orders.length]!);
        held[i] = b;
        s += b.byteLength;
      }
    }
    sink += s;
  };
}

export const comparisons: Comparison[] = [
  {
    id: 'MEM-PAGE-1',
    title: 'buddy page allocator: single 4 KiB page alloc + free',
    conditions: `${RANGE_PAGES} pages (16 MiB) managed, batches of ${BATCH} allocs then ${BATCH} frees in a permuted order; baseline new ArrayBuffer(4096) kept live until overwritten`,
    subject: { name: 'BuddyPageAllocator order 0', ops: BATCH * ROUNDS, run: pageRun([0]) },
    baseline: { name: 'new ArrayBuffer(4096)', ops: BATCH * ROUNDS, run: bufferRun([0]) },
    goal: 3,
    floor: 1,
  },
  {
    id: 'MEM-PAGE-MIX',
    title: 'buddy page allocator: mixed orders 0–3 alloc + free',
    conditions: `orders ${MIX.join(',')} (4–32 KiB), ${RANGE_PAGES} pages managed, batches of ${BATCH}, permuted frees; baseline new ArrayBuffer of the same sizes`,
    subject: { name: 'BuddyPageAllocator mixed', ops: BATCH * ROUNDS, run: pageRun(MIX) },
    baseline: { name: 'new ArrayBuffer(4–32 KiB)', ops: BATCH * ROUNDS, run: bufferRun(MIX) },
    goal: 3,
    floor: 1,
  },
  {
    id: 'MEM-DMA-64',
    title: 'DMA allocator: 64-byte slab alloc + free (region object per alloc)',
    conditions: `slab class 64 B, no zeroing, batches of ${BATCH} then permuted frees; baseline new Uint8Array(64) kept live until overwritten`,
    subject: {
      name: 'DmaAllocator.alloc(64)',
      ops: BATCH * ROUNDS,
      run: () => {
        let s = 0;
        for (let r = 0; r < ROUNDS; r++) {
          for (let i = 0; i < BATCH; i++) {
            const g = dma.alloc(64, 16)!;
            regions[i] = g;
            s += g.addr;
          }
          for (let i = 0; i < BATCH; i++) dma.free(regions[FREE_ORDER[i]!]!);
        }
        sink += s;
      },
    },
    baseline: {
      name: 'new Uint8Array(64)',
      ops: BATCH * ROUNDS,
      run: () => {
        let s = 0;
        for (let r = 0; r < ROUNDS; r++) {
          for (let i = 0; i < BATCH; i++) {
            const a = new Uint8Array(64);
            heldSmall[i] = a;
            s += a.length;
          }
        }
        sink += s;
      },
    },
  },
];

/** Keeps the results observable so no loop is optimised away. */
export function benchSink(): number {
  return sink;
}
