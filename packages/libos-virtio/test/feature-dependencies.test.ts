/**
 * The general feature-dependency hook: `dropUnmetFeatures` and DriverCore's
 * `featureDependencies` (virtio 1.2 §2.2.1: never accept a feature whose prerequisite
 * was not accepted).
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import {
  DeviceModelCore,
  DriverCore,
  dropUnmetFeatures,
  FeatureBit,
  featureMask,
  InlineLink,
  VIRTIO_NET_FEATURE_DEPENDENCIES,
  VirtioNetFeature,
} from '@libos/virtio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const A = 1;
const B = 2;
const C = 3;
const CHAIN = [
  { feature: A, requires: [B] },
  { feature: B, requires: [C] },
];

describe('dropUnmetFeatures', () => {
  it('removes dependents of missing bits, transitively, in any rule order', () => {
    expect(dropUnmetFeatures(featureMask(A, B), CHAIN)).toBe(0n);
    expect(dropUnmetFeatures(featureMask(A, B), [...CHAIN].reverse())).toBe(0n);
    expect(dropUnmetFeatures(featureMask(A, B, C), CHAIN)).toBe(featureMask(A, B, C));
    expect(dropUnmetFeatures(featureMask(B, C, 40), CHAIN)).toBe(featureMask(B, C, 40));
  });

  it('virtio-net: HOST_TSO4 needs CSUM, GUEST_TSO4 needs GUEST_CSUM', () => {
    const F = VirtioNetFeature;
    const d = VIRTIO_NET_FEATURE_DEPENDENCIES;
    expect(dropUnmetFeatures(featureMask(F.HOST_TSO4, F.GUEST_CSUM), d)).toBe(
      featureMask(F.GUEST_CSUM),
    );
    expect(dropUnmetFeatures(featureMask(F.GUEST_TSO4, F.CSUM), d)).toBe(featureMask(F.CSUM));
  });

  it('property: the result is a subset, closed under the rules, and idempotent', () => {
    const rules = fc.array(
      fc.record({
        feature: fc.integer({ min: 0, max: 63 }),
        requires: fc.array(fc.integer({ min: 0, max: 63 }), { maxLength: 3 }),
      }),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), rules, (features, deps) => {
        const out = dropUnmetFeatures(features, deps);
        expect(out & ~features).toBe(0n);
        for (const { feature, requires } of deps) {
          if ((out >> BigInt(feature)) & 1n) {
            for (const r of requires) expect((out >> BigInt(r)) & 1n).toBe(1n);
          }
        }
        expect(dropUnmetFeatures(out, deps)).toBe(out);
      }),
    );
  });
});

describe('DriverCore featureDependencies', () => {
  it('a device offering a feature without its prerequisite: the feature is not accepted', async () => {
    const memory = new GuestMemory(1 << 20);
    const link = new InlineLink(memory);
    const dma = new DmaAllocator(memory, { base: 0x10000, length: (1 << 20) - 0x10000 });
    const device = new DeviceModelCore(
      { memory, base: 0x1000, link },
      {
        deviceId: 0x7f,
        features: featureMask(A, B, 5),
        queueMaxSizes: [8],
        config: new Uint8Array(0),
        serve: () => true,
      },
    );
    device.start();
    const driver = await DriverCore.open({
      memory,
      dma,
      base: 0x1000,
      link,
      deviceId: 0x7f,
      features: featureMask(A, B, C, 5),
      featureDependencies: CHAIN,
      queueSizes: [8],
    });
    expect(driver.has(A)).toBe(false);
    expect(driver.has(B)).toBe(false);
    expect(driver.has(5)).toBe(true);
    expect(driver.has(FeatureBit.VERSION_1)).toBe(true);
    // What the device saw is what the driver kept (FEATURES_OK stuck).
    expect(device.transport.negotiatedFeatures).toBe(driver.negotiatedFeatures);
  });
});
