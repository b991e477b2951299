import type { NetDevice } from '@libos/net';
import { HostClock, HostEntropy, RealTimeLoop } from '@libos/sched';
import type { BlockBackend } from '@libos/virtio';
import { createWorkerMachine } from '@libos/virtio/node';
import type {
  BackendRequest,
  BootHost,
  BootMachine,
  BootMachineOptions,
  UnikernelControl,
} from '../boot-host.js';
import { toWorkerSpec } from './worker-devices.js';

/**
 * A backend that can say when frames arrive (`HostFramePort`, a user-mode network's
 * `guestPort`): the host then polls at once instead of at the next poll interval.
 */
interface FrameSignal {
  waitForFrame(timeoutMs?: number): Promise<boolean>;
}

function hasFrameSignal(device: NetDevice): device is NetDevice & FrameSignal {
  return typeof (device as Partial<FrameSignal>).waitForFrame === 'function';
}

/** Poll interval (µs) of NICs whose backends all signal their frames: a safety net only. */
const SIGNALLED_POLL_INTERVAL = 50_000;

/**
 * Options of {@link nodeHost}.
 *
 * @example
 * ```ts
 * import type { NodeHostOptions } from '@libos/boot/node';
 * const options: NodeHostOptions = { memoryBytes: 64 << 20, log: (line) => console.error(line) };
 * ```
 */
export interface NodeHostOptions {
  /** Backends of the app's NICs, in declaration order (a user network's `guestPort`, a frame port). */
  readonly net?: readonly NetDevice[];
  /** Backends of the app's disks, in declaration order (`FileBlockBackend`, `MemoryBlockBackend`). */
  readonly disks?: readonly BlockBackend[];
  /** Guest memory for apps that do not say; default boot's (16 MiB). */
  readonly memoryBytes?: number;
  /** Where boot log lines go; default standard output. */
  readonly log?: (line: string) => void;
  /** Where console output goes; default standard output. */
  readonly consoleOutput?: (bytes: Uint8Array) => void;
  /** Run after every unikernel is shut down by {@link NodeHost.close} (close sockets, files). */
  readonly onClose?: () => Promise<void>;
  /**
   * Run the device models in a worker thread (`createWorkerMachine` from
   * `@libos/virtio/node`) instead of inline: drivers and services stay in this thread,
   * the models serve their queues from the worker. Disks must then be files
   * (`FileBlockBackend`, reopened by the worker) or `MemoryBlockBackend`s over a whole
   * `SharedArrayBuffer`; entropy devices draw from the worker's own host randomness.
   * Default false.
   */
  readonly worker?: boolean;
  /** Told about every unikernel once it is up (e.g. to print where it can be reached). */
  readonly onBooted?: (kernel: UnikernelControl) => void;
}

/**
 * A {@link BootHost} on Node in real time, with the handles {@link nodeHost} adds.
 *
 * @example
 * ```ts
 * const host = nodeHost({ net: [network.guestPort] });
 * process.once('SIGINT', () => void host.close());
 * ```
 */
export interface NodeHost extends BootHost {
  /** The real-time loop that drives every unikernel booted here. */
  readonly loop: RealTimeLoop;
  /** Every unikernel booted on this host, in boot order. */
  readonly kernels: readonly UnikernelControl[];
  /** Whether {@link NodeHost.close} was called. */
  readonly closed: boolean;
  /**
   * Shuts every unikernel down (services stopped, disks flushed, machines closed), runs
   * `onClose`, stops the loop. Idempotent; later calls return the first one's promise.
   */
  close(): Promise<void>;
}

/**
 * The host of `libos run`: real time (`HostClock`), the host's randomness
 * (`HostEntropy`), a started `RealTimeLoop`, backends given in order, boot log and
 * console on standard output. Backends that signal frames (`waitForFrame`) wake the
 * unikernel at once; others are polled every `netPollInterval`. With `worker: true` the
 * device models run in a worker thread (`createWorkerMachine` from `@libos/virtio/node`;
 * see {@link NodeHostOptions.worker} for what backends can cross to it).
 *
 * @param options - backends, memory, output, cleanup
 * @returns the running host
 * @example
 * ```ts
 * import { boot } from '@libos/boot';
 * import { nodeHost } from '@libos/boot/node';
 * import { nic } from '@libos/boot/net';
 * import { createUserNetwork } from '@libos/net/node';
 *
 * const network = await createUserNetwork({
 *   hostForwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 }],
 * });
 * const host = nodeHost({ net: [network.guestPort], onClose: () => network.close() });
 * const os = await boot({ net: nic() }, { host });
 * process.once('SIGINT', () => void host.close());
 * ```
 */
export function nodeHost(options: NodeHostOptions = {}): NodeHost {
  const clock = new HostClock();
  const loop = new RealTimeLoop({ clock });
  loop.start();
  const kernels: UnikernelControl[] = [];
  const net = options.net ?? [];
  const disks = options.disks ?? [];
  const log = options.log ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const consoleOutput =
    options.consoleOutput ?? ((bytes: Uint8Array) => void process.stdout.write(bytes.slice()));
  let closing: Promise<void> | undefined;
  const watchers: Promise<void>[] = [];

  // Every unikernel from the moment its machine exists (boot included) until shut down.
  const awake = new Set<UnikernelControl>();
  const wakeAll = (): void => {
    for (const k of awake) {
      if (k.isShutDown) awake.delete(k);
      else k.wake();
    }
  };
  // One bounded watcher per signalling backend: wake on each frame, yield a macrotask
  // between waits so a frame not yet taken cannot spin the event loop.
  for (const device of net) {
    if (!hasFrameSignal(device)) continue;
    watchers.push(
      (async () => {
        while (closing === undefined) {
          const got = await device.waitForFrame(100);
          if (closing !== undefined) return;
          if (got) wakeAll();
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      })(),
    );
  }

  // When every NIC backend wakes the unikernel on its frames, polling is only a safety net.
  const allSignal = net.length > 0 && net.every(hasFrameSignal);
  const host: NodeHost = {
    name: 'node',
    ...(allSignal ? { netPollInterval: SIGNALLED_POLL_INTERVAL } : {}),
    clock,
    entropy: new HostEntropy(),
    wallClock: { now: () => Date.now() },
    scheduler: loop.scheduler,
    ...(options.memoryBytes === undefined ? {} : { memoryBytes: options.memoryBytes }),
    loop,
    kernels,
    get closed() {
      return closing !== undefined;
    },
    netBackend: (request: BackendRequest) => net[request.index],
    blockBackend: (request: BackendRequest) => disks[request.index],
    consoleOutput,
    log,
    starting: (kernel: UnikernelControl) => {
      awake.add(kernel);
    },
    booted: (kernel: UnikernelControl) => {
      kernels.push(kernel);
      options.onBooted?.(kernel);
    },
    ...(options.worker === true
      ? { createMachine: (machine: BootMachineOptions) => createInWorker(machine, host, log) }
      : {}),
    close: () => {
      closing ??= (async () => {
        try {
          for (const k of [...kernels].reverse()) await k.shutdown();
        } finally {
          await Promise.all(watchers);
          try {
            await options.onClose?.();
          } finally {
            loop.stop();
          }
        }
      })();
      return closing;
    },
  };
  return host;
}

/** The `createMachine` of a worker-mode host: specs described for the device worker. */
async function createInWorker(
  options: BootMachineOptions,
  host: BootHost,
  log: (line: string) => void,
): Promise<BootMachine> {
  const devices = options.devices.map((spec, index) => toWorkerSpec(spec, index, host.entropy));
  const machine = await createWorkerMachine({
    memoryBytes: options.memoryBytes,
    devices,
    onLog: options.onLog,
    ...(options.netPollInterval === undefined ? {} : { netPollInterval: options.netPollInterval }),
    onWorkerError: (error) => log(`libos: device worker failed: ${error.message}`),
  });
  // Worker handles carry no `model` (it lives in the worker); services use the drivers.
  return machine as unknown as BootMachine;
}
