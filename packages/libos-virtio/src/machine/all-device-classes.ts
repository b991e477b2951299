import { blkDeviceClass } from '../devices/blk/blk-device-class.js';
import { consoleDeviceClass } from '../devices/console/console-device-class.js';
import { netDeviceClass } from '../devices/net/net-device-class.js';
import { rngDeviceClass } from '../devices/rng/rng-device-class.js';
import type { AnyDeviceClass, DeviceClass } from './device-class.js';
import type { DeviceKind } from './device-spec.js';

/**
 * Every built-in device class by kind. Importing this links every device model and
 * driver: only `createMachine`, `bootLog` and worker mode use it.
 */
export const ALL_DEVICE_CLASSES: { readonly [K in DeviceKind]: DeviceClass<K> } = {
  net: netDeviceClass,
  blk: blkDeviceClass,
  rng: rngDeviceClass,
  console: consoleDeviceClass,
};

/** The built-in class of a device kind. */
export function deviceClassOf(kind: DeviceKind): AnyDeviceClass {
  return ALL_DEVICE_CLASSES[kind];
}
