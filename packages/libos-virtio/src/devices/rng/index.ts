export { ENTROPY_REQUEST_QUEUE } from './entropy-constants.js';
export {
  EntropyDeviceModel,
  type EntropyDeviceModelOptions,
  type EntropyDeviceStats,
} from './entropy-device-model.js';
export {
  EntropyDriver,
  type EntropyDriverOptions,
  type EntropyDriverStats,
} from './entropy-driver.js';
export { EntropyError, type EntropyErrorCode } from './entropy-error.js';
export { rngDevice, rngDeviceClass } from './rng-device-class.js';
