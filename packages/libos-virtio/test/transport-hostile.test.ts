import {
  DeviceStatus,
  FeatureBit,
  hasFeature,
  MmioDoorbell,
  MmioRegister,
  splitQueueLayout,
} from '@libos/virtio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCK_BASE, inlinePair, OFFERED } from './transport-fixture.js';

const R = MmioRegister;
const REGISTER_OFFSETS = Object.values(MmioRegister).filter((o) => o < MmioRegister.CONFIG);
const STATUS_BITS = [1, 2, 4, 8, 16, 32, 64, 128];

/** One hostile write: the driver fills the trap mailbox by hand and rings. */
interface HostileWrite {
  readonly offset: number;
  readonly value: number;
  readonly width: number;
}

const hostileWrite: fc.Arbitrary<HostileWrite> = fc.oneof(
  // Well-formed register writes with interesting values: they reach deep states.
  fc.record({
    offset: fc.constantFrom(...REGISTER_OFFSETS),
    value: fc.oneof(
      fc.constantFrom(0, 1, 2, 3, 7, 8, 15, 16, 64, 128, 256, 0x10000, 0x20000, 0xffff_ffff),
      fc.subarray(STATUS_BITS).map((bits) => bits.reduce((a, b) => a | b, 0)),
      fc.constantFrom(Number(OFFERED & 0xffff_ffffn), Number(OFFERED >> 32n)),
    ),
    width: fc.constant(4),
  }),
  // Queue setup shaped writes: aligned ring addresses inside or just outside memory.
  fc.record({
    offset: fc.constantFrom(
      R.QUEUE_DESC_LOW,
      R.QUEUE_DRIVER_LOW,
      R.QUEUE_DEVICE_LOW,
      R.QUEUE_NUM,
      R.QUEUE_SEL,
    ),
    value: fc.oneof(
      fc.integer({ min: 0, max: 0x1_0000 }).map((v) => v * 16),
      fc.constantFrom(0, 1, 2, 4, 64, 128, 256, 512),
    ),
    width: fc.constant(4),
  }),
  // Anything at all, including config space, bad widths and the doorbell area.
  fc.record({
    offset: fc.integer({ min: 0, max: 0xfff }),
    value: fc.integer({ min: 0, max: 0xffff_ffff }),
    width: fc.oneof(fc.constantFrom(1, 2, 4), fc.integer({ min: 0, max: 0xffff_ffff })),
  }),
);

/** A correct init sequence (§3.1.1); each run starts with a random prefix of it. */
const VALID_PREFIX: readonly HostileWrite[] = [
  [R.STATUS, 1],
  [R.STATUS, 3],
  [R.DRIVER_FEATURES_SEL, 0],
  [R.DRIVER_FEATURES, Number(OFFERED & 0xffff_ffffn)],
  [R.DRIVER_FEATURES_SEL, 1],
  [R.DRIVER_FEATURES, 1],
  [R.STATUS, 11],
  [R.QUEUE_SEL, 0],
  [R.QUEUE_NUM, 64],
  [R.QUEUE_DESC_LOW, 0x10000],
  [R.QUEUE_DRIVER_LOW, 0x18000],
  [R.QUEUE_DEVICE_LOW, 0x1c000],
  [R.QUEUE_READY, 1],
  [R.STATUS, 15],
].map(([offset, value]) => ({ offset: offset ?? 0, value: value ?? 0, width: 4 }));

describe('hostile driver writes (RELIABILITY.md)', () => {
  it('never throw out of the device and never leave it inconsistent', () => {
    const reached = { featuresOk: 0, driverOk: 0, queueReady: 0 };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: VALID_PREFIX.length }),
        fc.array(hostileWrite, { maxLength: 60 }),
        (prefix, hostile) => {
          const writes = [...VALID_PREFIX.slice(0, prefix), ...hostile];
          const { memory, link, device } = inlinePair({
            deviceHandlers: { onConfigWrite: (offset) => offset % 2 === 0 },
          });
          const at = (o: number): number => BLOCK_BASE + o;
          for (const w of writes) {
            memory.atomicStoreU32(at(MmioDoorbell.TRAP_OFFSET), w.offset);
            memory.atomicStoreU32(at(MmioDoorbell.TRAP_VALUE), w.value);
            memory.atomicStoreU32(at(MmioDoorbell.TRAP_WIDTH), w.width);
            memory.atomicAddU32(at(MmioDoorbell.TRAP_REQUEST), 1);
            expect(() => link.ring(at(MmioDoorbell.TRAP_REQUEST))).not.toThrow();
            expect(memory.atomicLoadU32(at(MmioDoorbell.TRAP_ACK))).toBe(
              memory.atomicLoadU32(at(MmioDoorbell.TRAP_REQUEST)),
            );

            const status = device.status;
            expect(status & 0x30).toBe(0);
            if (status & DeviceStatus.DRIVER_OK)
              expect(status & DeviceStatus.FEATURES_OK).not.toBe(0);
            const negotiated = device.negotiatedFeatures;
            if (negotiated !== null) {
              expect(negotiated & ~OFFERED).toBe(0n);
              expect(hasFeature(negotiated, FeatureBit.VERSION_1)).toBe(true);
            }
            for (let i = 0; i < device.queueCount; i++) {
              const q = device.queue(i);
              expect(q.size & (q.size - 1)).toBe(0);
              expect(q.size).toBeLessThanOrEqual(q.maxSize);
              if (!q.ready) continue;
              expect(negotiated).not.toBeNull();
              const layout = splitQueueLayout(q.size);
              expect(q.descriptorArea % 16n).toBe(0n);
              expect(q.deviceArea % 4n).toBe(0n);
              expect(memory.contains(q.descriptorArea, layout.descriptorTable.bytes)).toBe(true);
              expect(memory.contains(q.driverArea, layout.availableRing.bytes)).toBe(true);
              expect(memory.contains(q.deviceArea, layout.usedRing.bytes)).toBe(true);
            }
            // The shared block mirrors the device's state.
            expect(memory.atomicLoadU32(at(MmioRegister.STATUS))).toBe(status);
            const sel = memory.atomicLoadU32(at(MmioRegister.QUEUE_SEL));
            const max = sel < device.queueCount ? device.queue(sel).maxSize : 0;
            expect(memory.atomicLoadU32(at(MmioRegister.QUEUE_NUM_MAX))).toBe(max);
            expect(memory.atomicLoadU32(at(MmioRegister.MAGIC_VALUE))).toBe(0x74726976);
            if (negotiated !== null) reached.featuresOk++;
            if (device.driverOk) reached.driverOk++;
            if (device.queue(0).ready || device.queue(1).ready) reached.queueReady++;
          }
        },
      ),
      { numRuns: 300 },
    );
    // The fuzz must explore the deep states, not only the refusals of a fresh device.
    expect(reached.featuresOk).toBeGreaterThan(0);
    expect(reached.driverOk).toBeGreaterThan(0);
    expect(reached.queueReady).toBeGreaterThan(0);
  });

  it('reaches DRIVER_OK through the fuzzed trap path when the writes are right', () => {
    // A sanity check that the mailbox encoding used above is the one the device reads.
    const { memory, link, device } = inlinePair();
    const post = (offset: number, value: number): void => {
      memory.atomicStoreU32(BLOCK_BASE + MmioDoorbell.TRAP_OFFSET, offset);
      memory.atomicStoreU32(BLOCK_BASE + MmioDoorbell.TRAP_VALUE, value);
      memory.atomicStoreU32(BLOCK_BASE + MmioDoorbell.TRAP_WIDTH, 4);
      memory.atomicAddU32(BLOCK_BASE + MmioDoorbell.TRAP_REQUEST, 1);
      link.ring(BLOCK_BASE + MmioDoorbell.TRAP_REQUEST);
    };
    post(MmioRegister.STATUS, 3);
    post(MmioRegister.DRIVER_FEATURES_SEL, 1);
    post(MmioRegister.DRIVER_FEATURES, 1);
    post(MmioRegister.STATUS, 11);
    post(MmioRegister.STATUS, 15);
    expect(device.driverOk).toBe(true);
    expect(device.violationCount).toBe(0);
  });
});
