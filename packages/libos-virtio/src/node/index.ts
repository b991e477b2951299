/**
 * @libos/virtio/node — Node.js-only host backends for virtio device models (file-backed
 * disks, host sockets). Core entry points stay browser-safe; everything that needs
 * `node:*` lives here.
 *
 * @packageDocumentation
 */

export { createWorkerMachine } from './create-worker-machine.js';
export type {
  BlockBackendDescription,
  BlockWorkerDevice,
  ConsoleWorkerDescription,
  DeviceWorkerData,
  EntropyBackendDescription,
  EntropyWorkerDevice,
  NetWorkerDescription,
  WorkerDeviceDescription,
} from './device-worker-description.js';
export { DeviceWorkerError, type DeviceWorkerErrorCode } from './device-worker-error.js';
export type { FromDeviceWorker, ToDeviceWorker } from './device-worker-messages.js';
export type {
  ConsoleWorkerDevice,
  DeviceWorkerSpec,
  NetWorkerDevice,
} from './device-worker-spec.js';
export { fenceDevice } from './fence-device.js';
export { FileBlockBackend, type FileBlockBackendOptions } from './file-block-backend.js';
export { NetFrameBridge } from './net-frame-bridge.js';
export {
  DeviceWorker,
  type DeviceWorkerOptions,
  startDeviceWorker,
} from './start-device-worker.js';
export type {
  WorkerBlkDeviceSpec,
  WorkerBlkHandle,
  WorkerConsoleDeviceSpec,
  WorkerConsoleHandle,
  WorkerDeviceHandle,
  WorkerDeviceHandleOf,
  WorkerDeviceSpec,
  WorkerHandleOfKind,
  WorkerHandlesOf,
  WorkerMachine,
  WorkerMachineOptions,
  WorkerNetDeviceSpec,
  WorkerNetHandle,
  WorkerRngDeviceSpec,
  WorkerRngHandle,
} from './worker-machine.js';
