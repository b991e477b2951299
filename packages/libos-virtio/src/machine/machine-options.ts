import type { Micros } from '@libos/sched';
import type { DeviceSpec } from './device-spec.js';

/**
 * Where a machine's device models run. Only `'inline'` exists today: the models run in
 * the caller's thread on an `InlineLink`, so every doorbell is served synchronously and
 * a run is deterministic. A worker-thread mode (`'worker'`, device models behind an
 * `AtomicsLink`) is being added by another engineer; until then it is not part of this
 * type, and {@link createMachine} refuses any other value with `UNSUPPORTED_MODE`.
 *
 * @example
 * ```ts
 * import type { MachineMode } from '@libos/virtio';
 * const mode: MachineMode = 'inline';
 * ```
 */
export type MachineMode = 'inline';

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
  /** Where the device models run (default and only value today: `'inline'`). */
  readonly mode?: MachineMode;
  /** Receives kernel-like boot lines: memory size and map, each device and its features. */
  readonly onLog?: (line: string) => void;
  /**
   * How long (µs) an idle machine with network cards waits between polls when driven by
   * a scheduler through {@link Machine.poller}: a `NetDevice` backend cannot signal that
   * frames arrived, so it is polled. A positive integer; default 1000 (1 ms).
   */
  readonly netPollInterval?: Micros;
}
