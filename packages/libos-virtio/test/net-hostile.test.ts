/**
 * Hostile chains written by hand on the driver side of a virtio-net device model, and a
 * hostile used ring seen by the driver. Policy of the model (documented on
 * VirtioNetDeviceModel):
 * - structural errors (transmit chain with writable descriptors or < 12 bytes; receive
 *   chain with readable descriptors or < 12 bytes) → queue violation, DEVICE_NEEDS_RESET;
 * - frame-level errors (frame < 14 or > MTU + 14, checksum position past the frame,
 *   GSO type without TSO) → the frame is dropped and counted, the chain returned with
 *   used length 0, and the device keeps working.
 * Nothing ever throws.
 */
import { DeviceStatus, TransportError, type VirtqueueError } from '@libos/virtio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { netRig, rawRig, testFrame } from './net-fixture.js';

type Raw = Awaited<ReturnType<typeof rawRig>>;

/** A guest buffer holding `bytes`. */
function put(rig: Raw, bytes: Uint8Array): { addr: number; len: number } {
  const region = rig.dma.alloc(Math.max(bytes.length, 1), 16)!;
  region.bytes.set(bytes);
  return { addr: region.addr, len: bytes.length };
}

function header(fields: { flags?: number; gso?: number; start?: number; offset?: number } = {}) {
  const h = new Uint8Array(12);
  h[0] = fields.flags ?? 0;
  h[1] = fields.gso ?? 0;
  h[6] = (fields.start ?? 0) & 0xff;
  h[7] = (fields.start ?? 0) >> 8;
  h[8] = (fields.offset ?? 0) & 0xff;
  h[9] = (fields.offset ?? 0) >> 8;
  return h;
}

function wireFrames(rig: Raw): Uint8Array[] {
  const got: Uint8Array[] = [];
  rig.wire.receive((f) => {
    got.push(f.slice());
  }, 64);
  return got;
}

function usedOf(rig: Raw, queue: number): [number, number][] {
  const used: [number, number][] = [];
  rig.core.queue(queue).pollUsed((token, len) => used.push([token, len]));
  return used;
}

function needsReset(rig: Raw): boolean {
  return (rig.model.core.transport.status & DeviceStatus.DEVICE_NEEDS_RESET) !== 0;
}

const FRAME = testFrame(1, 60, Uint8Array.of(2, 0, 0, 0, 0, 2), Uint8Array.of(2, 0, 0, 0, 0, 1));

describe('virtio-net device model: hostile transmit chains', () => {
  it('accepts a header and frame split across many descriptors (framing is free, §2.6.4)', async () => {
    const rig = await rawRig();
    const packet = new Uint8Array([...header(), ...FRAME]);
    const cuts = [0, 5, 12, 13, 40, 72];
    const parts = cuts.map((c, i) => put(rig, packet.subarray(c, cuts[i + 1] ?? packet.length)));
    expect(rig.core.queue(1).addChain(parts, [], 7)).toBe(true);
    rig.core.kick(1);
    expect(wireFrames(rig)).toEqual([FRAME]);
    expect(usedOf(rig, 1)).toEqual([[7, 0]]);
  });

  it('a header shorter than 12 bytes is a queue violation (DEVICE_NEEDS_RESET)', async () => {
    const rig = await rawRig();
    expect(rig.core.queue(1).addBuffer(put(rig, header().subarray(0, 8)).addr, 8, false, 1)).toBe(
      true,
    );
    expect(() => rig.core.kick(1)).not.toThrow();
    expect(rig.model.core.queue(1)?.violation?.code).toBe('BAD_REQUEST');
    expect(needsReset(rig)).toBe(true);
    expect(rig.failures[0]).toBeInstanceOf(TransportError);
    expect((rig.failures[0] as TransportError).code).toBe('DEVICE_NEEDS_RESET');
    expect(wireFrames(rig)).toEqual([]);
  });

  it('a device-writable descriptor in a transmit chain is a queue violation', async () => {
    const rig = await rawRig();
    const hdr = put(rig, header());
    const frame = put(rig, FRAME);
    expect(rig.core.queue(1).addChain([hdr], [frame], 1)).toBe(true);
    expect(() => rig.core.kick(1)).not.toThrow();
    expect(rig.model.core.queue(1)?.violation?.message).toMatch(/device-writable/);
    expect(needsReset(rig)).toBe(true);
    expect(wireFrames(rig)).toEqual([]);
  });

  const drops: [string, Uint8Array, Uint8Array][] = [
    ['a frame shorter than 14 bytes', header(), FRAME.subarray(0, 13)],
    ['a frame longer than MTU + 14', header(), new Uint8Array(1515)],
    [
      'csum_start + csum_offset + 2 past the frame',
      header({ flags: 1, start: 34, offset: 25 }),
      FRAME,
    ],
    ['csum_start far past the frame', header({ flags: 1, start: 0xffff, offset: 0xffff }), FRAME],
    ['a GSO type without TSO negotiated', header({ gso: 1 }), FRAME],
  ];
  it.each(drops)('%s is dropped and counted; the device keeps working', async (_n, hdr, frame) => {
    const rig = await rawRig();
    const q = rig.core.queue(1);
    expect(q.addChain([put(rig, hdr), put(rig, frame)], [], 1)).toBe(true);
    expect(() => rig.core.kick(1)).not.toThrow();
    expect(rig.model.stats.txDropped).toBe(1);
    expect(wireFrames(rig)).toEqual([]);
    expect(usedOf(rig, 1)).toEqual([[1, 0]]);
    // A good frame afterwards still goes through.
    expect(q.addChain([put(rig, header()), put(rig, FRAME)], [], 2)).toBe(true);
    rig.core.kick(1);
    expect(wireFrames(rig)).toEqual([FRAME]);
    expect(needsReset(rig)).toBe(false);
    expect(rig.failures).toEqual([]);
  });

  it('random transmit chains never throw and leave the device healthy or in NEEDS_RESET', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            data: fc.uint8Array({ minLength: 0, maxLength: 1600 }),
            writable: fc.boolean(),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.record({
          flags: fc.nat(255),
          gso: fc.constantFrom(0, 0, 1, 3, 0x80),
          start: fc.nat(2000),
          offset: fc.nat(64),
        }),
        async (segments, fields) => {
          const rig = await rawRig();
          const readable = [put(rig, header(fields))];
          const writable: { addr: number; len: number }[] = [];
          for (const s of segments) (s.writable ? writable : readable).push(put(rig, s.data));
          rig.core.queue(1).addChain(readable, writable, 1);
          expect(() => {
            rig.core.kick(1);
            rig.model.poll();
          }).not.toThrow();
          const sent = wireFrames(rig);
          const s = rig.model.stats;
          if (needsReset(rig)) {
            expect(writable.length > 0).toBe(true);
            expect(sent).toEqual([]);
          } else {
            expect(s.txFrames + s.txDropped).toBe(1);
            expect(sent.length).toBe(s.txFrames);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('virtio-net device model: hostile receive chains', () => {
  it('a device-readable descriptor in a receive chain is a queue violation', async () => {
    const rig = await rawRig();
    const buf = put(rig, new Uint8Array(2048));
    expect(rig.core.queue(0).addBuffer(buf.addr, buf.len, false, 1)).toBe(true);
    expect(() => rig.core.kick(0)).not.toThrow();
    expect(rig.model.core.queue(0)?.violation?.code).toBe('BAD_REQUEST');
    expect(needsReset(rig)).toBe(true);
  });

  it('a receive buffer shorter than the header is a queue violation', async () => {
    const rig = await rawRig();
    const buf = rig.dma.alloc(16, 16)!;
    expect(rig.core.queue(0).addBuffer(buf.addr, 11, true, 1)).toBe(true);
    rig.core.kick(0);
    expect(needsReset(rig)).toBe(true);
  });

  it('without MRG_RXBUF, a frame larger than the buffer is dropped and counted, the buffer kept', async () => {
    const rig = await rawRig();
    const small = rig.dma.alloc(100, 16)!;
    const q = rig.core.queue(0);
    expect(q.addBuffer(small.addr, 100, true, 1)).toBe(true);
    rig.core.kick(0);
    const big = testFrame(3, 200, Uint8Array.of(2, 0, 0, 0, 0, 1), Uint8Array.of(2, 0, 0, 0, 0, 2));
    const fits = testFrame(4, 80, Uint8Array.of(2, 0, 0, 0, 0, 1), Uint8Array.of(2, 0, 0, 0, 0, 2));
    rig.wire.transmit(big.length, (b) => b.set(big));
    rig.wire.transmit(fits.length, (b) => b.set(fits));
    rig.model.poll();
    expect(rig.model.stats.rxDropped).toBe(1);
    expect(usedOf(rig, 0)).toEqual([[1, 92]]);
    expect(Array.from(small.bytes.subarray(12, 92))).toEqual(Array.from(fits));
    expect(small.bytes[10]).toBe(1); // num_buffers = 1 (§5.1.6.5.1)
    expect(needsReset(rig)).toBe(false);
  });

  it('with MRG_RXBUF, a ring too small for one frame is a queue violation', async () => {
    const rig = await rawRig({ features: 1n << 15n });
    const q = rig.core.queue(0);
    for (let i = 0; i < 16; i++) {
      const b = rig.dma.alloc(32, 16)!;
      expect(q.addBuffer(b.addr, 32, true, i)).toBe(true);
    }
    rig.core.kick(0);
    const big = testFrame(
      5,
      1514,
      Uint8Array.of(2, 0, 0, 0, 0, 1),
      Uint8Array.of(2, 0, 0, 0, 0, 2),
    );
    rig.wire.transmit(big.length, (b) => b.set(big));
    expect(() => rig.model.poll()).not.toThrow();
    expect(rig.model.core.queue(0)?.violation?.message).toMatch(/cannot hold/);
    expect(needsReset(rig)).toBe(true);
  });

  it('with MRG_RXBUF, a frame waits (staged) until enough buffers are posted', async () => {
    const rig = await rawRig({ features: 1n << 15n });
    const q = rig.core.queue(0);
    const bufs = Array.from({ length: 8 }, () => rig.dma.alloc(100, 16)!);
    for (let i = 0; i < 2; i++) q.addBuffer(bufs[i]!.addr, 100, true, i);
    rig.core.kick(0);
    const f = testFrame(6, 300, Uint8Array.of(2, 0, 0, 0, 0, 1), Uint8Array.of(2, 0, 0, 0, 0, 2));
    rig.wire.transmit(f.length, (b) => b.set(f));
    rig.model.poll();
    expect(usedOf(rig, 0)).toEqual([]); // 200 bytes of room for 312: waiting
    for (let i = 2; i < 8; i++) q.addBuffer(bufs[i]!.addr, 100, true, i);
    rig.core.kick(0);
    expect(usedOf(rig, 0)).toEqual([
      [0, 100],
      [1, 100],
      [2, 100],
      [3, 12],
    ]);
    expect(bufs[0]!.bytes[10]).toBe(4); // num_buffers
    const joined = new Uint8Array([
      ...bufs[0]!.bytes.subarray(12, 100),
      ...bufs[1]!.bytes.subarray(0, 100),
      ...bufs[2]!.bytes.subarray(0, 100),
      ...bufs[3]!.bytes.subarray(0, 12),
    ]);
    expect(Array.from(joined)).toEqual(Array.from(f));
  });
});

describe('virtio-net driver: hostile used ring', () => {
  async function forgeUsed(rig: Awaited<ReturnType<typeof netRig>>, id: number, len: number) {
    const q = rig.driver.core.queue(0);
    const usedIdx = rig.memory.atomicLoadU16(q.addresses.used + 2);
    const slot = q.addresses.used + 4 + (usedIdx % q.size) * 8;
    rig.memory.writeU32(slot, id);
    rig.memory.writeU32(slot + 4, len);
    rig.memory.atomicStoreU16(q.addresses.used + 2, (usedIdx + 1) & 0xffff);
  }

  it('a used receive buffer shorter than header + 14 bytes is dropped and counted', async () => {
    const rig = await netRig({ driver: { mergeableRxBuffers: false } });
    await forgeUsed(rig, 0, 5);
    expect(rig.driver.receive(() => {}, 8)).toBe(0);
    expect(rig.driver.stats.rxErrors).toBe(1);
    expect(rig.driver.failure).toBeNull();
  });

  it('num_buffers = 0 with MRG_RXBUF is dropped and counted', async () => {
    const rig = await netRig();
    const q = rig.driver.core.queue(0);
    // Buffer of head 0 is the pool's first buffer: find it through a real frame first.
    const f = testFrame(1, 60, rig.driver.macAddress, rig.wire.macAddress);
    rig.wire.transmit(f.length, (b) => b.set(f));
    rig.settle();
    let addr = -1;
    rig.driver.receive((frame) => {
      addr = frame.byteOffset - 12;
    }, 1);
    expect(addr).toBeGreaterThan(0);
    rig.memory.bytes(addr, 12).fill(0); // num_buffers 0
    await forgeUsed(rig, 0, 80);
    const frames: number[] = [];
    rig.driver.receive((frame) => frames.push(frame.length), 8);
    expect(frames).toEqual([]);
    expect(rig.driver.stats.rxErrors).toBe(1);
    expect(q.failed).toBe(false);
  });

  it('a used id that is not in flight fails the driver (never throws)', async () => {
    const rig = await netRig();
    await forgeUsed(rig, 9999, 60);
    expect(() => rig.driver.receive(() => {}, 8)).not.toThrow();
    expect(rig.driver.failure).not.toBeNull();
    expect((rig.driver.failure as VirtqueueError).code).toBe('USED_ID_OUT_OF_RANGE');
    expect(rig.driver.transmit(60, () => {})).toBe(false);
  });
});
