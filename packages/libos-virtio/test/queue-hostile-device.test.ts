/**
 * Hostile device → driver side (RELIABILITY.md item 3). The test plays the device by
 * writing the used ring directly — from this thread (inline) and from a worker thread on
 * the shared guest memory (worker) — then checks that `pollUsed` fails the queue with
 * the right code, throws nothing, and never delivers a token twice.
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import {
  allocateSplitQueue,
  SplitQueueDriver,
  VirtqueueError,
  type VirtqueueErrorCode,
} from '@libos/virtio';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeUsed } from './hostile-device-fixture.js';
import { type HostileWorker, startHostileWorker } from './hostile-worker-rig.js';
import { TEST_MS } from './worker-rig.js';

vi.setConfig({ testTimeout: TEST_MS });

const N = 8;
const MEM = 1 << 20;
const DATA = 0x40000;

type Elem = readonly [id: number, len: number];
/** Writes used elements and used.idx, as a device would; resolves once visible. */
type UsedWriter = (
  memory: GuestMemory,
  usedAddr: number,
  startIdx: number,
  elems: readonly Elem[],
  finalIdx?: number,
) => Promise<number>;

let worker: HostileWorker | null = null;
const writers: [mode: string, writer: UsedWriter][] = [
  ['inline', async (m, at, start, elems, final) => writeUsed(m, at, N, start, elems, final)],
  [
    'worker',
    async (m, at, start, elems, final) => {
      const buffer = m.u8.buffer as SharedArrayBuffer;
      const reply = await worker!.send({
        type: 'used',
        buffer,
        usedAddr: at,
        size: N,
        startIdx: start,
        elems,
        ...(final === undefined ? {} : { finalIdx: final }),
      });
      return reply.idx!;
    },
  ],
];

beforeAll(async () => {
  worker = await startHostileWorker();
});
afterAll(async () => {
  await worker?.terminate();
});

function hostile(write: UsedWriter, indirect = false) {
  const memory = new GuestMemory(MEM, { shared: true });
  const dma = new DmaAllocator(memory, { base: 0, length: DATA });
  const addresses = allocateSplitQueue(dma, N)!;
  const errors: VirtqueueError[] = [];
  const driver = new SplitQueueDriver<string>(memory, N, addresses, {
    eventIdx: false,
    indirect,
    indirectAllocator: dma,
    onError: (e) => errors.push(e),
  });
  let usedIdx = 0;
  /** Writes used elements then used.idx, as a device would (inline or from the worker). */
  const used = async (...elems: Elem[]): Promise<void> => {
    usedIdx = await write(memory, addresses.used, usedIdx, elems);
  };
  /** Head descriptor index of the k-th avail entry. */
  const availHead = (k: number) => memory.readU16(addresses.avail + 4 + 2 * (k % N));
  const delivered: string[] = [];
  const poll = () => driver.pollUsed((t) => delivered.push(t));
  return { memory, dma, addresses, driver, errors, used, availHead, delivered, poll };
}

type Q = ReturnType<typeof hostile>;

function expectFailed(q: Q, code: VirtqueueErrorCode, deliveredBefore: string[]): void {
  expect(q.driver.failed).toBe(true);
  expect(q.driver.error).toBeInstanceOf(VirtqueueError);
  expect(q.driver.error?.code).toBe(code);
  expect(q.errors.map((e) => e.code)).toEqual([code]);
  expect(q.delivered).toEqual(deliveredBefore);
  // Failed stays failed: nothing more is delivered, adding is refused with a typed error.
  expect(q.poll()).toBe(0);
  expect(q.delivered).toEqual(deliveredBefore);
  expect(() => q.driver.addBuffer(DATA, 1, false, 'late')).toThrow(
    expect.objectContaining({ code: 'QUEUE_FAILED' }),
  );
  expect(q.errors).toHaveLength(1);
}

describe.each(writers)(
  'hostile device (%s): the driver fails the queue, delivers nothing twice',
  (mode, write) => {
    it('used id ≥ queue size', async () => {
      const q = hostile(write);
      q.driver.addBuffer(DATA, 16, true, 'a');
      q.driver.publish();
      await q.used([N, 0]);
      expect(() => q.poll()).not.toThrow();
      expectFailed(q, 'USED_ID_OUT_OF_RANGE', []);
    });

    it('used id 0xffffffff', async () => {
      const q = hostile(write);
      q.driver.addBuffer(DATA, 16, true, 'a');
      q.driver.publish();
      await q.used([0xffff_ffff, 0]);
      expect(q.poll()).toBe(0);
      expectFailed(q, 'USED_ID_OUT_OF_RANGE', []);
    });

    it('used id of a middle descriptor of a chain', async () => {
      const q = hostile(write);
      q.driver.addChain(
        [{ addr: DATA, len: 8 }],
        [
          { addr: DATA + 64, len: 8 },
          { addr: DATA + 128, len: 8 },
        ],
        'chain',
      );
      q.driver.publish();
      const head = q.availHead(0);
      const middle = q.memory.readU16(q.addresses.desc + 16 * head + 14); // head's next
      expect(middle).not.toBe(head);
      await q.used([middle, 0]);
      expect(q.poll()).toBe(0);
      expectFailed(q, 'USED_ID_NOT_IN_FLIGHT', []);
    });

    it('used id of a chain already reclaimed (double return)', async () => {
      const q = hostile(write);
      q.driver.addBuffer(DATA, 16, true, 'a');
      q.driver.addBuffer(DATA + 16, 16, true, 'b');
      q.driver.publish();
      const a = q.availHead(0);
      await q.used([a, 4]);
      expect(q.poll()).toBe(1);
      expect(q.delivered).toEqual(['a']);
      await q.used([a, 4]);
      expect(q.poll()).toBe(0);
      expectFailed(q, 'USED_ID_NOT_IN_FLIGHT', ['a']);
    });

    it('used id of a chain added but not yet published', async () => {
      const q = hostile(write);
      q.driver.addBuffer(DATA, 16, true, 'published');
      q.driver.publish();
      q.driver.addBuffer(DATA + 16, 16, true, 'staged');
      await q.used([q.availHead(1), 0]);
      expect(q.poll()).toBe(0);
      expectFailed(q, 'USED_ID_NOT_IN_FLIGHT', []);
    });

    it('used length larger than the writable capacity', async () => {
      const q = hostile(write);
      q.driver.addChain(
        [{ addr: DATA, len: 100 }],
        [
          { addr: DATA + 128, len: 8 },
          { addr: DATA + 256, len: 2 },
        ],
        'rw',
      );
      q.driver.publish();
      await q.used([q.availHead(0), 11]);
      expect(q.poll()).toBe(0);
      expectFailed(q, 'USED_LENGTH_TOO_LARGE', []);
    });

    it('used length > 0 for a chain with no writable buffer', async () => {
      const q = hostile(write);
      q.driver.addBuffer(DATA, 64, false, 'tx');
      q.driver.publish();
      await q.used([q.availHead(0), 1]);
      expect(q.poll()).toBe(0);
      expectFailed(q, 'USED_LENGTH_TOO_LARGE', []);
    });

    it('used length checked against an indirect chain’s capacity', async () => {
      const q = hostile(write, true);
      q.driver.addChain([{ addr: DATA, len: 4 }], [{ addr: DATA + 64, len: 16 }], 'ind');
      expect(q.driver.stats().indirectChains).toBe(1);
      q.driver.publish();
      await q.used([q.availHead(0), 17]);
      expect(q.poll()).toBe(0);
      expectFailed(q, 'USED_LENGTH_TOO_LARGE', []);
      // The indirect table stays allocated: the chain was not reclaimed.
      expect(q.dma.stats().liveAllocations).toBe(4);
    });

    it('used.idx moving by more than the chains in flight', async () => {
      const q = hostile(write);
      q.driver.addBuffer(DATA, 16, true, 'a');
      q.driver.addBuffer(DATA + 16, 16, true, 'b');
      q.driver.publish();
      await q.used([q.availHead(0), 0], [q.availHead(1), 0], [q.availHead(0), 0]);
      expect(q.poll()).toBe(0);
      expectFailed(q, 'USED_INDEX_JUMP', []);
      expect(q.driver.inFlight).toBe(2);
    });

    it('good elements before a bad one are delivered once; the bad one fails the queue', async () => {
      const q = hostile(write);
      q.driver.addBuffer(DATA, 16, true, 'a');
      q.driver.addBuffer(DATA + 16, 16, true, 'b');
      q.driver.publish();
      await q.used([q.availHead(0), 16], [q.availHead(0), 16]);
      expect(q.poll()).toBe(1);
      expectFailed(q, 'USED_ID_NOT_IN_FLIGHT', ['a']);
    });

    it('random used rings never throw and never deliver a token twice', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: N }),
          fc.array(
            fc.tuple(
              fc.oneof(fc.integer({ min: 0, max: N }), fc.integer({ min: 0, max: 0xffffffff })),
              fc.integer({ min: 0, max: 40 }),
            ),
            { minLength: 1, maxLength: 2 * N },
          ),
          fc.integer({ min: 0, max: 0xffff }),
          async (count, elems, finalIdx) => {
            const q = hostile(write);
            for (let i = 0; i < count; i++) q.driver.addBuffer(DATA + 64 * i, 32, true, `t${i}`);
            q.driver.publish();
            await q.used(...elems.slice(0, N));
            expect(() => q.poll()).not.toThrow();
            await write(q.memory, q.addresses.used, 0, [], finalIdx);
            expect(() => q.poll()).not.toThrow();
            expect(new Set(q.delivered).size).toBe(q.delivered.length);
            expect(q.delivered.length + q.driver.inFlight).toBe(count);
          },
        ),
        { numRuns: mode === 'inline' ? 500 : 100 },
      );
    });
  },
);
