/**
 * Compose and boot a libos unikernel. Declare the services an app needs — `nic()` from
 * `@libos/boot/net`, `fatDisk()` from `@libos/boot/fs`, `entropy()` from
 * `@libos/boot/rng`, `console()` from `@libos/boot/console`, or your own
 * {@link ServiceDeclaration} — and {@link boot} builds the virtio machine, attaches the
 * host's backends, brings every service up and hands back typed handles. Nothing the app
 * does not declare is imported.
 *
 * @example
 * ```ts
 * import { boot } from '@libos/boot';
 * import { nic } from '@libos/boot/net';
 * const os = await boot({ net: nic() });
 * console.log(os.bootLog.join('\n'));
 * ```
 * @module
 */
export { type BootOptions, boot } from './boot.js';
export { BootError, type BootErrorCode } from './boot-error.js';
export type {
  BackendRequest,
  BootHost,
  BootMachine,
  BootMachineOptions,
  UnikernelControl,
} from './boot-host.js';
export { installedHost, installHost } from './host-slot.js';
export { type RunSimulatedOptions, runSimulated } from './run-simulated.js';
export type {
  PlanContext,
  RunningService,
  ServiceDeclaration,
  ServiceHandles,
  StartContext,
} from './service.js';
export { type SimulationHostOptions, simulationHost } from './simulation-host.js';
export type { Unikernel } from './unikernel.js';
