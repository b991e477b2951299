export type { ConsoleBackend } from './console-backend.js';
export {
  CONSOLE_CONFIG_SIZE,
  ConsoleConfigOffset,
  ConsoleFeature,
  ConsoleQueue,
  type ConsoleSize,
} from './console-constants.js';
export { consoleDevice, consoleDeviceClass } from './console-device-class.js';
export {
  ConsoleDeviceModel,
  type ConsoleDeviceModelOptions,
  type ConsoleDeviceStats,
} from './console-device-model.js';
export { ConsoleDriver, type ConsoleDriverOptions } from './console-driver.js';
export { ConsoleError, type ConsoleErrorCode } from './console-error.js';
