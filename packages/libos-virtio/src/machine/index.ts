export { bootLog } from './boot-log.js';
export { createMachine } from './create-machine.js';
export { createMachineOf } from './create-machine-of.js';
export type { AnyDeviceClass, DeviceClass, DeviceDriverPlacement } from './device-class.js';
export type {
  BlkHandle,
  ConsoleHandle,
  DeviceHandle,
  DeviceHandleOf,
  HandleOf,
  HandleOfKind,
  HandlesOf,
  NetHandle,
  RngHandle,
} from './device-handle.js';
export type {
  BlkDeviceSpec,
  ConsoleDeviceSpec,
  DeviceKind,
  DeviceSpec,
  ExactSpec,
  ExactSpecs,
  NetDeviceSpec,
  RngDeviceSpec,
  SpecOfKind,
} from './device-spec.js';
export type { Machine, MachineControl } from './machine.js';
export { MachineError, type MachineErrorCode } from './machine-error.js';
export type { MachineMode, MachineOfOptions, MachineOptions } from './machine-options.js';
export {
  MACHINE_DMA_BASE,
  MACHINE_MAX_DEVICES,
  MACHINE_REGISTER_BASE,
  type MachineMemoryMap,
  type MachineRegion,
  planMemoryMap,
} from './memory-map.js';
