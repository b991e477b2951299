import type { Micros } from '@libos/sched';
import type { AnyDeviceClass } from './device-class.js';
import type { DeviceSpec } from './device-spec.js';

/**
 * Where a machine's device models run:
 * - `'inline'` ({@link createMachine}): the models run in the caller's thread on an
 *   `InlineLink`, so every doorbell is served synchronously and a run is deterministic;
 * - `'worker'` (`createWorkerMachine` from `@libos/virtio/node`, Node only): all models
 *   run in one `node:worker_threads` Worker, the drivers in the caller's thread on an
 *   `AtomicsLink` over shared guest memory.
 *
 * {@link createMachine} itself builds inline machines only and refuses `'worker'` with
 * `UNSUPPORTED_MODE` (the core entry stays browser-safe).
 *
 * @example
 * ```ts
 * import type { MachineMode } from '@libos/virtio';
 * const mode: MachineMode = machine.mode; // 'inline' | 'worker'
 * ```
 */
export type MachineMode = 'inline' | 'worker';

/**
 * What {@link createMachine} builds.
 *
 * @typeParam T - the device specs, as a tuple (inferred as one by `createMachine`)
 * @example
 * ```ts
 * import type { MachineOptions } from '@libos/virtio';
 * const options: MachineOptions<readonly [{ kind: 'rng'; source: SeededEntropy }]> = {
 *   memoryBytes: 4 << 20,
 *   devices: [{ kind: 'rng', source: new SeededEntropy(1) }],
 *   onLog: console.log,
 * };
 * ```
 */
export interface MachineOptions<T extends readonly DeviceSpec[]> {
  /**
   * Guest memory in bytes: a multiple of 4 KiB, larger than 0x20000 (the register
   * window). Everything above 0x20000 is the DMA region the drivers' rings and buffers
   * come from; a virtio-net card with the default 256-entry rings needs about 1.2 MiB.
   */
  readonly memoryBytes: number;
  /** The devices, in register-block order (device `i` at `0x1000 + i × 0x1000`). */
  readonly devices: T;
  /**
   * Where the device models run: only `'inline'` (the default) here; worker mode is
   * `createWorkerMachine` from `@libos/virtio/node`.
   */
  readonly mode?: 'inline';
  /** Receives kernel-like boot lines: memory size and map, each device and its features. */
  readonly onLog?: (line: string) => void;
  /**
   * How long (µs) an idle machine with network cards waits between polls when driven by
   * a scheduler through {@link MachineControl.poller}: a `NetDevice` backend cannot signal that
   * frames arrived, so it is polled. A positive integer; default 1000 (1 ms).
   */
  readonly netPollInterval?: Micros;
}

/**
 * What {@link createMachineOf} builds: {@link MachineOptions} plus the device classes
 * for specs that do not carry their own.
 *
 * @typeParam T - the device specs, as a tuple (inferred as one by `createMachineOf`)
 * @example
 * ```ts
 * import { type MachineOfOptions, netDeviceClass } from '@libos/virtio';
 * const options: MachineOfOptions<readonly [{ kind: 'net'; backend: NetDevice }]> = {
 *   memoryBytes: 4 << 20,
 *   devices: [{ kind: 'net', backend }],
 *   classes: [netDeviceClass],
 * };
 * ```
 */
export interface MachineOfOptions<T extends readonly DeviceSpec[]> extends MachineOptions<T> {
  /**
   * The class of each kind for specs without their own `deviceClass` (plain
   * `{ kind: 'net', … }` objects). Only what is listed here or carried by a spec is
   * linked into a bundle. Default none: every spec must carry its class.
   */
  readonly classes?: readonly AnyDeviceClass[];
}
