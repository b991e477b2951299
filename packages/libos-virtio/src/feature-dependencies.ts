/**
 * One feature's prerequisites: `feature` may only be accepted when every bit in
 * `requires` is accepted too (virtio 1.2 §5.1.3.1 lists such pairs for virtio-net).
 *
 * @example
 * ```ts
 * import { type FeatureDependency, VirtioNetFeature } from '@libos/virtio';
 * const tso: FeatureDependency = {
 *   feature: VirtioNetFeature.HOST_TSO4,
 *   requires: [VirtioNetFeature.CSUM],
 * };
 * ```
 */
export interface FeatureDependency {
  /** The dependent feature bit (0..63). */
  readonly feature: number;
  /** Feature bits that must all be accepted for `feature` to be accepted. */
  readonly requires: readonly number[];
}

/**
 * Removes from `features` every bit whose prerequisites are not all in the set,
 * repeating until nothing changes, so chains (A needs B, B needs C) resolve too. A
 * driver applies this to the offered ∩ supported set: a device that offers a feature
 * without its prerequisite (§5.1.3.1 for virtio-net; "the driver MUST NOT accept a feature which the
 * device did not offer, and MUST NOT accept a feature which requires another feature
 * which was not accepted", §2.2.1) simply does not get the dependent feature.
 *
 * @param features - a 64-bit feature set
 * @param dependencies - the rules to apply
 * @returns `features` without the bits whose prerequisites are missing
 * @example
 * ```ts
 * import { dropUnmetFeatures, featureMask, VirtioNetFeature } from '@libos/virtio';
 * const offered = featureMask(VirtioNetFeature.HOST_TSO4); // CSUM missing
 * dropUnmetFeatures(offered, [
 *   { feature: VirtioNetFeature.HOST_TSO4, requires: [VirtioNetFeature.CSUM] },
 * ]); // 0n
 * ```
 */
export function dropUnmetFeatures(
  features: bigint,
  dependencies: readonly FeatureDependency[],
): bigint {
  let current = features;
  // Each pass removes at least one bit or stops: at most 64 passes.
  for (let pass = 0; pass <= 64; pass++) {
    let next = current;
    for (const { feature, requires } of dependencies) {
      const bit = 1n << BigInt(feature);
      if ((next & bit) === 0n) continue;
      for (const r of requires) {
        if ((next & (1n << BigInt(r))) === 0n) {
          next &= ~bit;
          break;
        }
      }
    }
    if (next === current) return next;
    current = next;
  }
  return current;
}
