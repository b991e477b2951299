/**
 * Random interleavings of add / publish / device consume / pushUsed / publishUsed /
 * pollUsed on random queue sizes and features: every token comes back exactly once with
 * the length the device wrote, the device reads exactly the bytes the driver offered,
 * and the driver sees exactly the bytes the device wrote.
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import {
  allocateSplitQueue,
  type BufferSegment,
  DescriptorChain,
  SplitQueueDevice,
  SplitQueueDriver,
} from '@libos/virtio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const MEM = 1 << 20;
const DATA = 0x40000;
const SLOT = 1024;
const SLOTS = 128;

type Op =
  | { kind: 'add'; readable: number[]; writable: number[] }
  | { kind: 'publish' }
  | { kind: 'consume'; max: number; fill: number }
  | { kind: 'publishUsed' }
  | { kind: 'poll'; budget: number };

const segLens = (max: number) => fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: max });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      readable: segLens(3),
      writable: segLens(3),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('publish' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('consume' as const),
      max: fc.integer({ min: 1, max: 8 }),
      fill: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('publishUsed' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('poll' as const),
      budget: fc.integer({ min: 1, max: 8 }),
    }),
  },
);

function run(sizeLog2: number, eventIdx: boolean, indirect: boolean, ops: Op[]): void {
  const size = 1 << sizeLog2;
  const memory = new GuestMemory(MEM);
  const dma = new DmaAllocator(memory, { base: 0, length: DATA });
  const addresses = allocateSplitQueue(dma, size)!;
  const features = { eventIdx, indirect };
  const driver = new SplitQueueDriver<number>(memory, size, addresses, {
    ...features,
    indirectAllocator: dma,
  });
  const device = new SplitQueueDevice(memory, size, addresses, features);
  const chain = new DescriptorChain(memory);

  const offered: Uint8Array[] = []; // by token: readable payload
  const writableSegs: BufferSegment[][] = []; // by token
  const wrote: number[] = []; // by token: bytes the device wrote
  const returned = new Map<number, number>(); // token → used len
  let nextToken = 0;
  let popped = 0; // pops happen in add order, so the k-th pop is token k

  const onUsed = (token: number, len: number) => {
    expect(returned.has(token)).toBe(false);
    returned.set(token, len);
    expect(len).toBe(wrote[token]);
    // The driver sees the device's bytes at the start of its writable buffers.
    let left = len;
    for (const s of writableSegs[token]!) {
      const n = Math.min(left, s.len);
      for (let i = 0; i < n; i++) expect(memory.readU8(s.addr + i)).toBe((token * 7 + 1) & 0xff);
      left -= n;
    }
  };

  const consume = (max: number, fill: number) => {
    for (let k = 0; k < max; k++) {
      if (device.popAvailable(chain) === null) break;
      const token = popped++;
      const got = new Uint8Array(chain.readableLength);
      expect(chain.readReadable(got)).toBe(got.length);
      expect(got).toEqual(offered[token]);
      const n = Math.floor(chain.writableLength * fill);
      expect(chain.writeWritable(new Uint8Array(n).fill((token * 7 + 1) & 0xff))).toBe(true);
      wrote[token] = n;
      device.pushUsed(chain, n);
    }
  };

  for (const o of ops) {
    switch (o.kind) {
      case 'add': {
        const total = o.readable.length + o.writable.length;
        if (total === 0 || total > size) break;
        const base = DATA + (nextToken % SLOTS) * SLOT;
        let at = base;
        const seg = (len: number): BufferSegment => {
          const s = { addr: at, len };
          at += 48;
          return s;
        };
        const readable = o.readable.map(seg);
        const writable = o.writable.map(seg);
        const payload = new Uint8Array(o.readable.reduce((a, b) => a + b, 0));
        let p = 0;
        for (const s of readable) {
          for (let i = 0; i < s.len; i++) {
            const b = (nextToken * 31 + p * 13) & 0xff;
            memory.writeU8(s.addr + i, b);
            payload[p++] = b;
          }
        }
        for (const s of writable) memory.fill(s.addr, s.len, 0);
        const ok =
          total === 1 && readable.length === 1
            ? driver.addBuffer(readable[0]!.addr, readable[0]!.len, false, nextToken)
            : total === 1
              ? driver.addBuffer(writable[0]!.addr, writable[0]!.len, true, nextToken)
              : driver.addChain(readable, writable, nextToken);
        if (ok) {
          offered[nextToken] = payload;
          writableSegs[nextToken] = writable;
          nextToken++;
        }
        break;
      }
      case 'publish':
        driver.publish();
        break;
      case 'consume':
        consume(o.max, o.fill);
        break;
      case 'publishUsed':
        device.publishUsed();
        break;
      case 'poll':
        driver.pollUsed(onUsed, o.budget);
        break;
    }
  }
  // Drain.
  for (let round = 0; round < 4; round++) {
    driver.publish();
    consume(size, 1);
    device.publishUsed();
    driver.pollUsed(onUsed);
  }
  expect(driver.failed).toBe(false);
  expect(device.broken).toBe(false);
  expect(returned.size).toBe(nextToken);
  expect(driver.inFlight).toBe(0);
  expect(driver.freeCount).toBe(size);
  expect(dma.stats().liveAllocations).toBe(3); // indirect tables all freed
}

describe('property: random driver/device interleavings', () => {
  it('every token returns exactly once with the written length and bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.boolean(),
        fc.boolean(),
        fc.array(op, { maxLength: 120 }),
        run,
      ),
      { numRuns: 300 },
    );
  });
});
