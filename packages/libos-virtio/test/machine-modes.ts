/**
 * One machine test suite over both modes: `createMachine` (device models inline) and
 * `createWorkerMachine` (device models in one worker thread). Devices are described
 * neutrally (a disk is a SharedArrayBuffer image, entropy a seed) and each mode turns
 * them into its own specs; tests reach drivers through {@link ModeMachine.handle} and
 * wait with {@link ModeMachine.settle} and `until`, which work the same in both modes.
 */
import type { NetDevice } from '@libos/net';
import { SeededEntropy } from '@libos/sched';
import {
  type ConsoleDriver,
  createMachine,
  type DeviceKind,
  type DeviceSpec,
  type EntropyDriver,
  type MachineControl,
  MemoryBlockBackend,
  type VirtioBlockDriver,
  type VirtioNetDriver,
} from '@libos/virtio';
import type { WorkerDeviceSpec } from '@libos/virtio/node';
import { DRIVER_TIMEOUT_MS, settle, stopMachines, workerMachine } from './machine-worker-rig.js';

/** A device, described the same way for both modes. */
export type ModeDeviceSpec =
  | {
      readonly kind: 'net';
      readonly backend: NetDevice;
      readonly mac?: Uint8Array;
      readonly mergeableRxBuffers?: boolean;
      readonly checksumOffload?: boolean;
      readonly queueSize?: number;
    }
  | {
      readonly kind: 'blk';
      readonly image: SharedArrayBuffer;
      readonly readOnly?: boolean;
      readonly blockSize?: number;
      readonly serial?: string;
    }
  | { readonly kind: 'rng'; readonly seed: number; readonly poolSize?: number }
  | {
      readonly kind: 'console';
      readonly output: (bytes: Uint8Array) => void;
      readonly size?: { readonly cols: number; readonly rows: number };
    };

/** The driver type of each device kind. */
export type DriverOf<K extends DeviceKind> = K extends 'net'
  ? VirtioNetDriver
  : K extends 'blk'
    ? VirtioBlockDriver
    : K extends 'rng'
      ? EntropyDriver
      : ConsoleDriver;

/** What both modes' handles have in common. */
export interface CommonHandle<K extends DeviceKind> {
  readonly kind: K;
  readonly base: number;
  readonly index: number;
  readonly driver: DriverOf<K>;
}

export interface ModeMachine {
  readonly mode: 'inline' | 'worker';
  /** The machine itself (poll, close, closed, bootLog, memory…). */
  readonly machine: MachineControl;
  readonly kinds: readonly DeviceKind[];
  /** Device `index`, checked to be of `kind`. */
  handle<K extends DeviceKind>(index: number, kind: K): CommonHandle<K>;
  /** `find(kind, nth)` of the underlying machine, as a device index (-1 when absent). */
  indexOf(kind: DeviceKind, nth?: number): number;
  /** Types host input into console `index`. */
  consoleInput(index: number, bytes: Uint8Array): void;
  /** Moves frames until nothing moves (bounded). */
  settle(): Promise<void>;
}

export interface MachineModeOptions {
  readonly memoryBytes: number;
  readonly devices: readonly ModeDeviceSpec[];
  readonly onLog?: (line: string) => void;
}

export interface Mode {
  readonly name: 'inline' | 'worker';
  create(options: MachineModeOptions): Promise<ModeMachine>;
  /** Stops whatever the mode left running (afterEach). */
  cleanup(): Promise<void>;
}

interface AnyHandle {
  readonly kind: DeviceKind;
  readonly base: number;
  readonly index: number;
  readonly driver: unknown;
}

function wrap(
  mode: 'inline' | 'worker',
  machine: MachineControl & {
    readonly devices: readonly AnyHandle[];
    find(kind: DeviceKind, nth?: number): AnyHandle | undefined;
  },
  consoleInput: (index: number, bytes: Uint8Array) => void,
  settleMachine: () => Promise<void>,
): ModeMachine {
  return {
    mode,
    machine,
    kinds: machine.devices.map((d) => d.kind),
    handle: <K extends DeviceKind>(index: number, kind: K) => {
      const h = machine.devices[index];
      if (h?.kind !== kind) throw new Error(`device ${index} is not ${kind}`);
      return h as unknown as CommonHandle<K>;
    },
    indexOf: (kind, nth) => machine.find(kind, nth)?.index ?? -1,
    consoleInput,
    settle: settleMachine,
  };
}

const inline: Mode = {
  name: 'inline',
  async create(o) {
    const specs = o.devices.map((d): DeviceSpec => {
      switch (d.kind) {
        case 'net':
          return d;
        case 'blk': {
          const { image, readOnly, ...rest } = d;
          const backend = new MemoryBlockBackend(new Uint8Array(image), {
            readOnly: readOnly ?? false,
          });
          return { ...rest, kind: 'blk', backend };
        }
        case 'rng':
          return {
            kind: 'rng',
            source: new SeededEntropy(d.seed),
            ...(d.poolSize === undefined ? {} : { driver: { poolSize: d.poolSize } }),
          };
        default:
          return d; // console: the same spec in both modes
      }
    });
    const machine = await createMachine({
      memoryBytes: o.memoryBytes,
      devices: specs,
      ...(o.onLog === undefined ? {} : { onLog: o.onLog }),
    });
    return wrap(
      'inline',
      machine,
      (index, bytes) => {
        const h = machine.devices[index];
        if (h?.kind !== 'console') throw new Error(`device ${index} is not a console`);
        h.model.input(bytes);
      },
      async () => {
        for (let i = 0; i < 200 && machine.poll(); i++);
      },
    );
  },
  async cleanup() {},
};

const worker: Mode = {
  name: 'worker',
  async create(o) {
    const timeoutMs = DRIVER_TIMEOUT_MS;
    const specs = o.devices.map((d): WorkerDeviceSpec => {
      switch (d.kind) {
        case 'net':
          return { ...d, driver: { timeoutMs } };
        case 'blk': {
          const { image, readOnly, ...rest } = d;
          return {
            ...rest,
            kind: 'blk',
            backend: { type: 'memory', buffer: image, readOnly: readOnly ?? false },
            driver: { timeoutMs },
          };
        }
        case 'rng':
          return {
            kind: 'rng',
            source: { type: 'seeded', seed: d.seed },
            driver: { timeoutMs, ...(d.poolSize === undefined ? {} : { poolSize: d.poolSize }) },
          };
        default:
          return { ...d, driver: { timeoutMs } }; // console
      }
    });
    const machine = await workerMachine({
      memoryBytes: o.memoryBytes,
      devices: specs,
      ...(o.onLog === undefined ? {} : { onLog: o.onLog }),
    });
    return wrap(
      'worker',
      machine,
      (index, bytes) => {
        const h = machine.devices[index];
        if (h?.kind !== 'console') throw new Error(`device ${index} is not a console`);
        h.input(bytes);
      },
      () => settle(machine),
    );
  },
  cleanup: stopMachines,
};

/** Both modes, for `describe.each(MODES)` / `for (const mode of MODES)`. */
export const MODES: readonly Mode[] = [inline, worker];
