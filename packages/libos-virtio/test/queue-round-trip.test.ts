import { DmaAllocator, GuestMemory } from '@libos/mem';
import {
  allocateSplitQueue,
  DescriptorChain,
  freeSplitQueue,
  SplitQueueDevice,
  SplitQueueDriver,
  type SplitQueueFeatures,
  splitQueueLayout,
  VirtqueueError,
} from '@libos/virtio';
import { describe, expect, it } from 'vitest';

const MEM = 1 << 20;
/** Buffers live above this address; rings below. */
const DATA = 0x40000;

function setup(size: number, features: SplitQueueFeatures) {
  const memory = new GuestMemory(MEM);
  const dma = new DmaAllocator(memory, { base: 0, length: DATA });
  const addresses = allocateSplitQueue(dma, size)!;
  const driver = new SplitQueueDriver<number>(memory, size, addresses, {
    ...features,
    indirectAllocator: dma,
  });
  const device = new SplitQueueDevice(memory, size, addresses, features);
  return { memory, dma, addresses, driver, device };
}

const plain = { eventIdx: false, indirect: false };

describe('allocateSplitQueue', () => {
  it('places the three parts with the §2.7 alignment, without overlap', () => {
    const memory = new GuestMemory(4 * MEM);
    const dma = new DmaAllocator(memory, { base: 0, length: 4 * MEM });
    for (const size of [1, 2, 256, 32768]) {
      const a = allocateSplitQueue(dma, size)!;
      const l = splitQueueLayout(size);
      expect(a.desc % 16).toBe(0);
      expect(a.avail % 2).toBe(0);
      expect(a.used % 4).toBe(0);
      const parts = [
        [a.desc, l.descriptorTable.bytes],
        [a.avail, l.availableRing.bytes],
        [a.used, l.usedRing.bytes],
      ].sort((x, y) => x[0]! - y[0]!);
      for (let i = 1; i < parts.length; i++) {
        expect(parts[i]![0]!).toBeGreaterThanOrEqual(parts[i - 1]![0]! + parts[i - 1]![1]!);
      }
      freeSplitQueue(dma, a);
    }
    expect(dma.stats().liveAllocations).toBe(0);
  });

  it('returns null when the allocator is exhausted and keeps nothing', () => {
    const memory = new GuestMemory(1 << 16);
    const dma = new DmaAllocator(memory, { base: 0, length: 1 << 16 });
    // 2048 entries: 32 KiB table + 8 KiB avail block + 32 KiB used block > 64 KiB.
    expect(allocateSplitQueue(dma, 2048)).toBeNull();
    expect(dma.stats().liveAllocations).toBe(0);
  });

  it('rejects sizes that are not powers of two', () => {
    const memory = new GuestMemory(MEM);
    const dma = new DmaAllocator(memory, { base: 0, length: MEM });
    expect(() => allocateSplitQueue(dma, 3)).toThrow(RangeError);
  });
});

describe('constructing a queue', () => {
  it('rejects a bad size or misaligned / out-of-memory addresses with typed codes', () => {
    const memory = new GuestMemory(MEM);
    const ok = { desc: 0, avail: 4096, used: 8192 };
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof VirtqueueError ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => new SplitQueueDriver(memory, 6, ok, plain))).toBe('BAD_QUEUE_SIZE');
    expect(code(() => new SplitQueueDevice(memory, 8, { ...ok, desc: 8 }, plain))).toBe(
      'BAD_ADDRESS',
    );
    expect(code(() => new SplitQueueDevice(memory, 8, { ...ok, avail: 4097 }, plain))).toBe(
      'BAD_ADDRESS',
    );
    expect(code(() => new SplitQueueDevice(memory, 8, { ...ok, used: 4098 }, plain))).toBe(
      'BAD_ADDRESS',
    );
    expect(code(() => new SplitQueueDriver(memory, 8, { ...ok, used: MEM - 8 }, plain))).toBe(
      'BAD_ADDRESS',
    );
    expect(code(() => new SplitQueueDriver(memory, 8, ok, plain))).toBe('none');
  });
});

describe('driver ↔ device round trips', () => {
  it('carries a single readable buffer and a single writable buffer', () => {
    const { memory, driver, device } = setup(8, plain);
    memory.bytes(DATA, 4).set([1, 2, 3, 4]);
    expect(driver.addBuffer(DATA, 4, false, 11)).toBe(true);
    expect(driver.addBuffer(DATA + 64, 32, true, 22)).toBe(true);
    expect(device.popAvailable()).toBeNull(); // not published yet
    expect(driver.publish()).toBe(2);

    const c1 = device.popAvailable()!;
    expect(c1.readableCount).toBe(1);
    expect(c1.writableCount).toBe(0);
    expect(c1.readableLength).toBe(4);
    const out = new Uint8Array(4);
    expect(c1.readReadable(out)).toBe(4);
    expect([...out]).toEqual([1, 2, 3, 4]);
    device.pushUsed(c1, 0);

    const c2 = device.popAvailable()!;
    expect(c2.writableLength).toBe(32);
    expect(c2.writeWritable(new Uint8Array([9, 8, 7]), 5)).toBe(true);
    device.pushUsed(c2, 8);
    expect(device.popAvailable()).toBeNull();
    expect(driver.pollUsed(() => {})).toBe(0); // not published by the device yet
    device.publishUsed();

    const got: [number, number][] = [];
    expect(driver.pollUsed((t, l) => got.push([t, l]))).toBe(2);
    expect(got).toEqual([
      [11, 0],
      [22, 8],
    ]);
    expect([...memory.bytes(DATA + 64 + 5, 3)]).toEqual([9, 8, 7]);
    expect(driver.freeCount).toBe(8);
    expect(driver.inFlight).toBe(0);
  });

  it('carries chains of mixed readable then writable buffers, in order', () => {
    const { memory, driver, device } = setup(16, plain);
    const hdr = DATA;
    const body = DATA + 0x100;
    const data = DATA + 0x1000;
    const status = DATA + 0x2000;
    memory.bytes(hdr, 16).fill(0xaa);
    memory.bytes(body, 300).fill(0xbb);
    expect(
      driver.addChain(
        [
          { addr: hdr, len: 16 },
          { addr: body, len: 300 },
        ],
        [
          { addr: data, len: 512 },
          { addr: status, len: 1 },
        ],
        7,
      ),
    ).toBe(true);
    expect(driver.freeCount).toBe(12);
    driver.publish();
    const chain = device.popAvailable()!;
    expect([...chain.segments()]).toEqual([
      { addr: hdr, len: 16, writable: false },
      { addr: body, len: 300, writable: false },
      { addr: data, len: 512, writable: true },
      { addr: status, len: 1, writable: true },
    ]);
    expect(chain.readableLength).toBe(316);
    expect(chain.writableLength).toBe(513);
    // Read across the segment boundary, from an offset.
    const part = new Uint8Array(8);
    expect(chain.readReadable(part, 12)).toBe(8);
    expect([...part]).toEqual([0xaa, 0xaa, 0xaa, 0xaa, 0xbb, 0xbb, 0xbb, 0xbb]);
    // Write across the writable boundary (last data byte + status byte).
    expect(chain.writeWritable(new Uint8Array([5, 6]), 511)).toBe(true);
    expect(memory.readU8(data + 511)).toBe(5);
    expect(memory.readU8(status)).toBe(6);
    const big = new Uint8Array(513).fill(3);
    expect(chain.writeWritable(big)).toBe(true);
    expect(memory.readU8(status)).toBe(3);
    device.pushUsed(chain.head, 513);
    device.publishUsed();
    const got: number[] = [];
    driver.pollUsed((t, l) => got.push(t, l));
    expect(got).toEqual([7, 513]);
    expect(driver.freeCount).toBe(16);
  });

  it('copies large, unaligned and foreign-buffer data exactly (all copy paths)', () => {
    const { memory, driver, device } = setup(8, plain);
    const src = DATA + 3; // unaligned
    for (let i = 0; i < 1500; i++) memory.writeU8(src + i, (i * 7) & 0xff);
    driver.addChain(
      [
        { addr: src, len: 1000 },
        { addr: src + 1000, len: 500 },
      ],
      [
        { addr: DATA + 0x1000, len: 700 },
        { addr: DATA + 0x2001, len: 9 },
      ],
      1,
    );
    driver.publish();
    const chain = device.popAvailable()!;
    const expected = (i: number) => (i * 7) & 0xff;
    for (const [offset, length, at] of [
      [0, 1500, 0],
      [1, 1499, 0],
      [4, 600, 4],
      [998, 5, 1],
      [1496, 64, 8],
    ] as const) {
      const backing = new Uint8Array(length + 16);
      const dst = backing.subarray(at, at + length);
      const n = chain.readReadable(dst, offset);
      expect(n).toBe(Math.min(length, 1500 - offset));
      for (let i = 0; i < n; i++) expect(dst[i]).toBe(expected(offset + i));
    }
    expect(chain.readReadable(new Uint8Array(4), 5000)).toBe(0);
    const reply = new Uint8Array(709).map((_, i) => (i * 3) & 0xff);
    expect(chain.writeWritable(reply.subarray(0, 704), 5)).toBe(true);
    for (let i = 0; i < 704; i++) {
      const o = 5 + i;
      const addr = o < 700 ? DATA + 0x1000 + o : DATA + 0x2001 + (o - 700);
      expect(memory.readU8(addr)).toBe((i * 3) & 0xff);
    }
    // Guest memory as the source buffer (same SharedArrayBuffer).
    expect(chain.writeWritable(memory.bytes(src, 8))).toBe(true);
    expect([...memory.bytes(DATA + 0x1000, 8)]).toEqual([...memory.bytes(src, 8)]);
    expect(device.broken).toBe(false);
  });

  it('lets onUsed add buffers; a nested pollUsed returns 0', () => {
    const { driver, device } = setup(4, plain);
    for (let i = 0; i < 4; i++) driver.addBuffer(DATA + 16 * i, 16, true, i);
    driver.publish();
    const chain = new DescriptorChain(device.memory);
    while (device.popAvailable(chain)) device.pushUsed(chain, 16);
    device.publishUsed();
    const seen: number[] = [];
    let nested = -1;
    driver.pollUsed((t) => {
      seen.push(t);
      nested = driver.pollUsed(() => seen.push(-1));
      expect(driver.addBuffer(DATA, 16, true, 10 + t)).toBe(true);
    });
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(nested).toBe(0);
    expect(driver.freeCount).toBe(0);
    driver.publish();
    const again: number[] = [];
    while (device.popAvailable(chain)) device.pushUsed(chain, 0);
    device.publishUsed();
    driver.pollUsed((t) => again.push(t));
    expect(again).toEqual([10, 11, 12, 13]);
  });

  it('uses indirect tables when negotiated, and frees them on reclaim', () => {
    const features = { eventIdx: false, indirect: true };
    const { memory, dma, driver, device } = setup(4, features);
    const before = dma.stats().liveAllocations;
    for (let k = 0; k < 4; k++) {
      memory.bytes(DATA + k * 0x100, 10).fill(k + 1);
      expect(
        driver.addChain(
          [
            { addr: DATA + k * 0x100, len: 10 },
            { addr: DATA + k * 0x100 + 10, len: 6 },
          ],
          [{ addr: DATA + 0x8000 + k * 0x100, len: 64 }],
          k,
        ),
      ).toBe(true);
    }
    // Three segments each, but one ring descriptor per chain: all four fit a 4-entry queue.
    expect(driver.freeCount).toBe(0);
    expect(driver.stats().indirectChains).toBe(4);
    expect(dma.stats().liveAllocations).toBe(before + 4);
    driver.publish();
    const chain = new DescriptorChain(memory);
    let k = 0;
    while (device.popAvailable(chain)) {
      expect(chain.segmentCount).toBe(3);
      expect(chain.readableLength).toBe(16);
      const b = new Uint8Array(10);
      chain.readReadable(b);
      expect(b.every((x) => x === k + 1)).toBe(true);
      expect(chain.writeWritable(new Uint8Array([k]))).toBe(true);
      device.pushUsed(chain, 1);
      k++;
    }
    expect(k).toBe(4);
    device.publishUsed();
    const tokens: number[] = [];
    driver.pollUsed((t) => tokens.push(t));
    expect(tokens).toEqual([0, 1, 2, 3]);
    expect(dma.stats().liveAllocations).toBe(before);
    expect(memory.readU8(DATA + 0x8000 + 0x300)).toBe(3);
  });

  it('falls back to direct descriptors when no indirect allocator is given', () => {
    const memory = new GuestMemory(MEM);
    const dma = new DmaAllocator(memory, { base: 0, length: DATA });
    const addresses = allocateSplitQueue(dma, 8)!;
    const features = { eventIdx: false, indirect: true };
    const driver = new SplitQueueDriver(memory, 8, addresses, features);
    const device = new SplitQueueDevice(memory, 8, addresses, features);
    driver.addChain([{ addr: DATA, len: 1 }], [{ addr: DATA + 8, len: 1 }], 1);
    expect(driver.freeCount).toBe(6);
    expect(driver.stats().indirectChains).toBe(0);
    driver.publish();
    expect(device.popAvailable()?.segmentCount).toBe(2);
  });

  it('reports a full ring as a value, and recovers after reclaim', () => {
    const { driver, device } = setup(4, plain);
    for (let i = 0; i < 4; i++) expect(driver.addBuffer(DATA + i * 16, 16, false, i)).toBe(true);
    expect(driver.addBuffer(DATA, 16, false, 99)).toBe(false);
    expect(driver.addChain([{ addr: DATA, len: 1 }], [], 99)).toBe(false);
    driver.publish();
    const c = device.popAvailable()!;
    device.pushUsed(c, 0);
    device.publishUsed();
    expect(driver.pollUsed(() => {})).toBe(1);
    // One free descriptor: a 1-segment chain fits, a 2-segment direct chain does not.
    expect(
      driver.addChain(
        [
          { addr: DATA, len: 1 },
          { addr: DATA, len: 1 },
        ],
        [],
        5,
      ),
    ).toBe(false);
    expect(driver.addBuffer(DATA, 1, false, 5)).toBe(true);
  });

  it('batches several adds behind one publish and one used.idx store', () => {
    const { memory, addresses, driver, device } = setup(64, plain);
    for (let i = 0; i < 32; i++) driver.addBuffer(DATA + i * 64, 64, false, i);
    expect(memory.readU16(addresses.avail + 2)).toBe(0); // avail.idx untouched
    expect(driver.publish()).toBe(32);
    expect(memory.readU16(addresses.avail + 2)).toBe(32);
    expect(driver.publish()).toBe(0);
    const chain = new DescriptorChain(memory);
    let n = 0;
    while (device.popAvailable(chain)) {
      device.pushUsed(chain, 0);
      n++;
    }
    expect(n).toBe(32);
    expect(memory.readU16(addresses.used + 2)).toBe(0);
    expect(device.publishUsed()).toBe(32);
    expect(memory.readU16(addresses.used + 2)).toBe(32);
    const seen: number[] = [];
    expect(driver.pollUsed((t) => seen.push(t), 10)).toBe(10); // budget
    expect(driver.pollUsed((t) => seen.push(t))).toBe(22);
    expect(seen).toEqual(Array.from({ length: 32 }, (_, i) => i));
  });

  it('wraps the 16-bit indices: 200,000 operations on a queue of 8', () => {
    const { memory, addresses, driver, device } = setup(8, { eventIdx: true, indirect: false });
    const chain = new DescriptorChain(memory);
    let next = 0;
    let expected = 0;
    let bad = 0;
    const onUsed = (t: number, len: number) => {
      if (t !== expected || len !== (t & 7)) bad++;
      expected++;
    };
    while (expected < 200_000) {
      const batch = 1 + (next % 8);
      for (let i = 0; i < batch; i++) {
        if (!driver.addBuffer(DATA + (next & 7) * 16, 8, true, next)) break;
        next++;
      }
      driver.publish();
      while (device.popAvailable(chain)) {
        // The buffer's slot (next & 7) is the length the driver expects back.
        device.pushUsed(chain, (chain.segmentAddress(0) - DATA) / 16);
      }
      device.publishUsed();
      driver.pollUsed(onUsed);
    }
    expect(bad).toBe(0);
    expect(driver.failed).toBe(false);
    expect(device.broken).toBe(false);
    // The free-running indices wrapped several times.
    expect(device.stats().chainsPopped).toBeGreaterThan(3 * 65536);
    expect(memory.readU16(addresses.avail + 2)).toBe(next & 0xffff);
    expect(memory.readU16(addresses.used + 2)).toBe(next & 0xffff);
  });

  it('throws typed errors for misuse', () => {
    const { driver, device } = setup(4, plain);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof VirtqueueError ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => driver.addBuffer(MEM - 4, 8, false, 0))).toBe('BAD_SEGMENT');
    expect(code(() => driver.addBuffer(-1, 8, false, 0))).toBe('BAD_SEGMENT');
    expect(code(() => driver.addBuffer(0.5, 8, false, 0))).toBe('BAD_SEGMENT');
    expect(code(() => driver.addChain([], [], 0))).toBe('EMPTY_CHAIN');
    const five = Array.from({ length: 5 }, () => ({ addr: DATA, len: 1 }));
    expect(code(() => driver.addChain(five, [], 0))).toBe('CHAIN_TOO_LONG');
    expect(code(() => device.pushUsed(0, 0))).toBe('NOT_IN_FLIGHT');
    driver.addBuffer(DATA, 4, true, 0);
    driver.publish();
    const c = device.popAvailable()!;
    expect(code(() => device.pushUsed(c, 5))).toBe('USED_LENGTH_TOO_LARGE');
    device.pushUsed(c, 4);
    expect(code(() => device.pushUsed(c, 4))).toBe('NOT_IN_FLIGHT');
    expect(driver.freeCount).toBe(3);
  });
});
