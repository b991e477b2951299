/**
 * @libos/fs/testing — helpers for testing storage code: the {@link describeBlockDevice}
 * conformance suite that every {@link BlockDevice} implementation runs. Requires
 * `vitest` as a peer dependency.
 *
 * @packageDocumentation
 */
export type { BlockDevice } from '../block-device.js';
export {
  type BlockDeviceFactory,
  type BlockDeviceUnderTest,
  describeBlockDevice,
} from './describe-block-device.js';
export {
  type AdjustableWallClock,
  describeVolume,
  type VolumeFactory,
  type VolumeUnderTest,
} from './describe-volume.js';
