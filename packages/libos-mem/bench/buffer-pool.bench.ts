/**
 * P9 (PERFORMANCE.md): 2 KiB packet buffer alloc + free from a {@link BufferPool},
 * against allocating a fresh `new Uint8Array(2048)` (what code without a pool does).
 */
import { BufferPool, GuestMemory } from '@libos/mem';
import type { Comparison } from '../../../bench/harness.js';

const BUFFER_SIZE = 2048;
const POOL_BUFFERS = 256;
/** Buffers taken per burst before they are returned, like an RX refill or a TX batch. */
const BURST = 32;
const BURSTS = 4096;

let sink = 0;

const mem = new GuestMemory(POOL_BUFFERS * BUFFER_SIZE);
const pool = new BufferPool(mem, { addr: 0, count: POOL_BUFFERS, bufferSize: BUFFER_SIZE });
const held = new Array<Uint8Array>(BURST);
const heldBuffers = pool.buffers.slice(0, BURST);

export const comparisons: Comparison[] = [
  {
    id: 'P9',
    title: '2 KiB packet buffer alloc + free from a BufferPool',
    conditions: `buffer 2048 B, pool of ${POOL_BUFFERS} on a SharedArrayBuffer, bursts of ${BURST} alloc then ${BURST} free, one byte written and read per buffer; baseline keeps each array live until the burst ends`,
    subject: {
      name: 'BufferPool alloc+free',
      ops: BURST * BURSTS,
      run: () => {
        let s = 0;
        for (let r = 0; r < BURSTS; r++) {
          for (let i = 0; i < BURST; i++) {
            const b = pool.alloc()!;
            b.bytes[0] = i;
            s += b.bytes[0]!;
            heldBuffers[i] = b;
          }
          for (let i = 0; i < BURST; i++) pool.free(heldBuffers[i]!);
        }
        sink += s;
      },
    },
    baseline: {
      name: 'new Uint8Array(2048)',
      ops: BURST * BURSTS,
      run: () => {
        let s = 0;
        for (let r = 0; r < BURSTS; r++) {
          for (let i = 0; i < BURST; i++) {
            const a = new Uint8Array(BUFFER_SIZE);
            a[0] = i;
            s += a[0]!;
            held[i] = a;
          }
          s += held[r % BURST]!.length;
        }
        sink += s;
      },
    },
    goal: 3,
    floor: 2,
  },
];

/** Keeps the results observable so no loop is optimised away. */
export function benchSink(): number {
  return sink;
}
