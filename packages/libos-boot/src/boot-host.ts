import type { NetDevice } from '@libos/net';
import type { Clock, EntropySource, Scheduler } from '@libos/sched';
import type { BlockBackend, DeviceHandle, DeviceSpec, MachineControl } from '@libos/virtio';

/**
 * Which backend a declaration asks its host for: the device kind, the service's name,
 * and its position among the declarations of that kind (the first `nic()` is 0).
 *
 * @example
 * ```ts
 * import type { BackendRequest } from '@libos/boot';
 * const request: BackendRequest = { service: 'net', index: 0 };
 * ```
 */
export interface BackendRequest {
  /** The service's key in the declarations passed to `boot()`. */
  readonly service: string;
  /** Position among the declarations asking for this kind of backend, from 0. */
  readonly index: number;
}

/**
 * What a unikernel runs on: time, randomness, a scheduler that drives its pollers, and
 * the backends of its devices. `nodeHost()` (`@libos/boot/node`) is the host of
 * `libos run`; `simulationHost()` runs unikernels under virtual time; tests can write
 * their own.
 *
 * @example
 * ```ts
 * import type { BootHost } from '@libos/boot';
 * import { Simulation } from '@libos/sched';
 * const sim = new Simulation({ seed: 1 });
 * const host: BootHost = {
 *   name: 'test',
 *   clock: sim.clock,
 *   entropy: sim.entropy,
 *   scheduler: sim.scheduler,
 * };
 * ```
 */
export interface BootHost {
  /** Shown in the boot log (`node`, `simulation`, …). */
  readonly name: string;
  /** Time for every service (µs). */
  readonly clock: Clock;
  /** Randomness for every service (ISNs, ports, DHCP transaction ids). */
  readonly entropy: EntropySource;
  /**
   * Calendar time for file timestamps (ms since 1970); default the host clock read as
   * milliseconds (1970-based under virtual time, so simulations stay deterministic).
   */
  readonly wallClock?: {
    /** Milliseconds since 1970-01-01T00:00:00Z. */
    now(): number;
  };
  /** Drives the unikernel: boot registers one poller per machine on it. */
  readonly scheduler: Scheduler;
  /**
   * How often (µs) NIC backends are polled for frames when nothing wakes the unikernel,
   * when the app does not say; default the machine's (1 ms). A host whose backends all
   * signal their frames (and wake the unikernel) can make it long.
   */
  readonly netPollInterval?: number;
  /** Guest memory to give the machine when the app does not say (`--mem`). */
  readonly memoryBytes?: number;
  /** The far end of a NIC (e.g. a user-mode network's `guestPort`), if the host has one for it. */
  netBackend?(request: BackendRequest): NetDevice | undefined;
  /** The bytes of a disk, if the host has one for it. */
  blockBackend?(request: BackendRequest): BlockBackend | undefined;
  /** Where console output goes when a console declaration does not say. */
  consoleOutput?(bytes: Uint8Array): void;
  /** Where boot log lines go when `boot()` is not given `onLog`. */
  log?(line: string): void;
  /**
   * Builds the virtual machine; default `createMachine` from `@libos/virtio` (device
   * models inline, in this thread). A host may run them elsewhere (`--worker`).
   */
  createMachine?(options: BootMachineOptions): Promise<BootMachine>;
  /**
   * Told about a unikernel as soon as its machine is built, before its services start,
   * so that backends with frames can wake it during boot too (a DHCP exchange).
   */
  starting?(kernel: UnikernelControl): void;
  /** Told about every unikernel booted on it (so it can shut them down on Ctrl-C). */
  booted?(kernel: UnikernelControl): void;
}

/**
 * A booted unikernel as its host sees it: enough to shut it down.
 *
 * @example
 * ```ts
 * import type { UnikernelControl } from '@libos/boot';
 * async function stopAll(kernels: readonly UnikernelControl[]): Promise<void> {
 *   for (const k of kernels) await k.shutdown();
 * }
 * ```
 */
export interface UnikernelControl {
  /** Whether {@link UnikernelControl.shutdown} was called. */
  readonly isShutDown: boolean;
  /** Stops every service (flushing disks), then closes the machine. Idempotent. */
  shutdown(): Promise<void>;
  /** Polls the machine and its services as soon as possible (a backend has frames). */
  wake(): void;
}

/**
 * A machine as boot uses it: control (poll, poller, close, boot log) and one handle per
 * device, in the order of the specs.
 *
 * @example
 * ```ts
 * import type { BootMachine } from '@libos/boot';
 * function nics(machine: BootMachine) {
 *   return machine.devices.filter((d) => d.kind === 'net');
 * }
 * ```
 */
export interface BootMachine extends MachineControl {
  /** One handle per device, in the order of the specs. */
  readonly devices: readonly DeviceHandle[];
}

/**
 * What boot asks a host's {@link BootHost.createMachine} for.
 *
 * @example
 * ```ts
 * import type { BootMachineOptions } from '@libos/boot';
 * const options: BootMachineOptions = { memoryBytes: 16 << 20, devices: [] };
 * ```
 */
export interface BootMachineOptions {
  /** Guest memory in bytes. */
  readonly memoryBytes: number;
  /** The devices, in register-block order. */
  readonly devices: readonly DeviceSpec[];
  /** Poll interval of the NICs' backends (µs), if the app set one. */
  readonly netPollInterval?: number;
  /** Receives the machine's boot lines. */
  readonly onLog: (line: string) => void;
}
