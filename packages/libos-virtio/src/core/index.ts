export {
  DeviceModelCore,
  type DeviceModelPlacement,
  type DeviceModelSpec,
} from './device-model-core.js';
export { DriverCore, type DriverCoreOptions } from './driver-core.js';
