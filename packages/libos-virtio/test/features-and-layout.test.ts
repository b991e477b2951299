import {
  DeviceStatus,
  describeDeviceStatus,
  FeatureBit,
  featureMask,
  hasFeature,
  negotiateFeatures,
  splitQueueLayout,
} from '@libos/virtio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('feature bits', () => {
  it('featureMask sets exactly the named bits, including above bit 31', () => {
    expect(featureMask(FeatureBit.VERSION_1)).toBe(0x1_0000_0000n);
    expect(featureMask(0, 63)).toBe(0x8000_0000_0000_0001n);
    expect(() => featureMask(64)).toThrow(RangeError);
    expect(() => featureMask(-1)).toThrow(RangeError);
    expect(() => featureMask(1.5)).toThrow(RangeError);
  });

  it('hasFeature agrees with featureMask for every bit', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 63 })),
        fc.integer({ min: 0, max: 63 }),
        (bits, probe) => {
          expect(hasFeature(featureMask(...bits), probe)).toBe(bits.includes(probe));
        },
      ),
    );
  });

  it('negotiation is the intersection and requires VERSION_1', () => {
    const device = featureMask(FeatureBit.VERSION_1, FeatureBit.EVENT_IDX, FeatureBit.RING_PACKED);
    const driver = featureMask(
      FeatureBit.VERSION_1,
      FeatureBit.EVENT_IDX,
      FeatureBit.INDIRECT_DESC,
    );
    expect(negotiateFeatures(device, driver)).toBe(
      featureMask(FeatureBit.VERSION_1, FeatureBit.EVENT_IDX),
    );
    expect(() => negotiateFeatures(featureMask(FeatureBit.EVENT_IDX), driver)).toThrow(/VERSION_1/);
    expect(() => negotiateFeatures(1n << 64n, driver)).toThrow(RangeError);
    expect(() => negotiateFeatures(device, -1n)).toThrow(RangeError);
  });
});

describe('device status', () => {
  it('names the set bits in order and reports unknown ones', () => {
    expect(describeDeviceStatus(0)).toEqual([]);
    expect(describeDeviceStatus(0x0f)).toEqual([
      'ACKNOWLEDGE',
      'DRIVER',
      'DRIVER_OK',
      'FEATURES_OK',
    ]);
    expect(describeDeviceStatus(DeviceStatus.DEVICE_NEEDS_RESET | 0x10)).toEqual([
      'bit4',
      'DEVICE_NEEDS_RESET',
    ]);
  });
});

describe('split queue layout (§2.7)', () => {
  it('matches the spec table for a 256-entry queue', () => {
    const l = splitQueueLayout(256);
    expect(l.descriptorTable).toEqual({ bytes: 4096, align: 16 });
    expect(l.availableRing).toEqual({ bytes: 518, align: 2 });
    expect(l.usedRing).toEqual({ bytes: 2054, align: 4 });
  });

  it('accepts powers of two up to 32768 and nothing else', () => {
    expect(splitQueueLayout(1).descriptorTable.bytes).toBe(16);
    expect(splitQueueLayout(32768).usedRing.bytes).toBe(6 + 8 * 32768);
    for (const bad of [0, 3, 65536, -2, 2.5, Number.NaN]) {
      expect(() => splitQueueLayout(bad)).toThrow(RangeError);
    }
  });
});
