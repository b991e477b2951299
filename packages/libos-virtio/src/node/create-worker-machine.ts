import { GuestMemory } from '@libos/mem';
import { AtomicsLink, MachineError, MmioRegister, planMemoryMap } from '../index.js';
import { deviceClassOf } from '../machine/all-device-classes.js';
import { type OpenedDriver, openGuestDriver } from '../machine/attach-device.js';
import { type BootDevice, bootLines } from '../machine/boot-lines.js';
import { checkNetPollInterval, describe } from '../machine/create-machine-of.js';
import { closeDrivers, MachineBase } from '../machine/machine-base.js';
import { modelOptions } from '../machine/model-options.js';
import { TrackingDmaAllocator } from '../machine/tracking-dma.js';
import type { DeviceWorkerSpec } from './device-worker-spec.js';
import { type DeviceWorker, startDeviceWorker } from './start-device-worker.js';
import type {
  WorkerDeviceHandle,
  WorkerDeviceSpec,
  WorkerHandlesOf,
  WorkerMachine,
  WorkerMachineOptions,
} from './worker-machine.js';

/** Device models' default largest queue (net and blk models both default to 256). */
const DEFAULT_DEVICE_QUEUE = 256;

/** The {@link WorkerMachine}: drivers here on an `AtomicsLink`, models in one worker. */
class WorkerMachineImpl<T extends readonly WorkerDeviceSpec[]>
  extends MachineBase<WorkerDeviceHandle>
  implements WorkerMachine<T>
{
  readonly mode = 'worker' as const;
  readonly worker: DeviceWorker;
  readonly devices: WorkerHandlesOf<T>;

  constructor(
    parts: ConstructorParameters<typeof MachineBase<WorkerDeviceHandle>>[0],
    worker: DeviceWorker,
  ) {
    super(parts);
    this.worker = worker;
    // The handles were built from the specs one for one, in order: this is their type.
    this.devices = this.handles as unknown as WorkerHandlesOf<T>;
  }

  protected pumpDevices(): number {
    return this.worker.alive ? this.worker.pump() : 0;
  }

  protected stopDevices(): Promise<void> {
    return this.worker.stop().catch(() => undefined);
  }
}

/** The {@link DeviceWorkerSpec} of a machine spec at `base`. */
function workerSpec(spec: WorkerDeviceSpec, base: number): DeviceWorkerSpec {
  switch (spec.kind) {
    case 'net':
      return {
        kind: 'net',
        base,
        backend: spec.backend,
        options: modelOptions(spec, ['backend', 'channelSlots']),
        ...(spec.channelSlots === undefined ? {} : { channelSlots: spec.channelSlots }),
      };
    case 'blk':
      return { kind: 'blk', base, backend: spec.backend, options: modelOptions(spec, ['backend']) };
    case 'rng':
      return { kind: 'rng', base, backend: spec.source, options: modelOptions(spec, ['source']) };
    case 'console': {
      const output = spec.output;
      return {
        kind: 'console',
        base,
        options: modelOptions(spec, ['output']),
        ...(output === undefined ? {} : { onOutput: (bytes: Uint8Array) => output(bytes) }),
      };
    }
  }
}

/** What a boot line says about a driver opened on the worker's device. */
function bootDevice(memory: GuestMemory, opened: OpenedDriver): BootDevice {
  const deviceId = memory.atomicLoadU32(opened.base + MmioRegister.DEVICE_ID);
  const deviceClass = deviceClassOf(opened.kind);
  switch (opened.kind) {
    case 'net': {
      const core = opened.driver.core;
      const sizes = [core.queue(0).size, core.queue(1).size];
      return {
        deviceClass,
        opened,
        deviceId,
        features: core.negotiatedFeatures,
        queueSizes: sizes,
      };
    }
    case 'blk': {
      const core = opened.driver.core;
      return {
        deviceClass,
        opened,
        deviceId,
        features: core.negotiatedFeatures,
        queueSizes: [core.queue(0).size],
      };
    }
    default:
      // The rng and console drivers do not expose their negotiated features.
      return { deviceClass, opened, deviceId, features: null, queueSizes: null };
  }
}

/**
 * Builds a worker-mode virtual machine (Node only): shared guest memory laid out as
 * for `createMachine` (register blocks from 0x1000, DMA from 0x20000), ONE device
 * worker (`startDeviceWorker`) running every device model, then every guest driver
 * opened in the calling thread on an `AtomicsLink`. Device backends must cross a
 * thread, so the specs describe them as data ({@link WorkerDeviceSpec}): disks as a
 * `SharedArrayBuffer` image or a file path, entropy as host or seeded; a console's
 * `output` and a network card's `backend` stay in this thread (console output is
 * posted back, frames cross a `FrameChannel` the machine pumps).
 *
 * The returned machine's `devices` tuple follows the specs' types
 * (`[{ kind: 'net', … }, { kind: 'blk', … }]` gives `[WorkerNetHandle,
 * WorkerBlkHandle]`). If anything fails, every driver already opened is closed and the
 * worker stopped (bounded) before the `MachineError` (`@libos/virtio`) is thrown.
 *
 * @typeParam T - the device specs (a `const` type parameter: no `as const` needed)
 * @param options - memory size, devices, boot log hook, worker bounds
 * @returns the running machine
 * @throws `MachineError` (`@libos/virtio`) `BAD_OPTION`, `TOO_MANY_DEVICES`, `MEMORY_TOO_SMALL`,
 *   `DEVICE_OPEN_FAILED` as `createMachine`; `WORKER_FAILED` when the worker cannot
 *   start or build a device (a missing disk file, bad model options, start timeout;
 *   the `DeviceWorkerError` is the `cause`)
 * @example
 * ```ts
 * import { createLink } from '@libos/net';
 * import { createWorkerMachine } from '@libos/virtio/node';
 *
 * const [backend, wire] = createLink();
 * const machine = await createWorkerMachine({
 *   memoryBytes: 16 << 20,
 *   devices: [
 *     { kind: 'net', backend },
 *     { kind: 'blk', backend: { type: 'file', path: 'disk.img' } },
 *     { kind: 'rng', source: { type: 'host' } },
 *     { kind: 'console', output: (bytes) => process.stdout.write(bytes) },
 *   ],
 *   onLog: (line) => console.log(line), // machine: worker mode, 16 MiB guest memory …
 * });
 * const [nic, disk, rng, tty] = machine.devices;
 * await disk.driver.write(0, new Uint8Array(512).fill(1));
 * console.log(await rng.driver.read(16));
 * tty.input(new TextEncoder().encode('hello\n'));
 * const timer = setInterval(() => machine.poll(), 1);
 * // …
 * clearInterval(timer);
 * await machine.close();
 * ```
 */
export async function createWorkerMachine<const T extends readonly WorkerDeviceSpec[]>(
  options: WorkerMachineOptions<T>,
): Promise<WorkerMachine<T>> {
  const specs: readonly WorkerDeviceSpec[] = options.devices;
  const netPollInterval = checkNetPollInterval(options.netPollInterval);
  const map = planMemoryMap(options.memoryBytes, specs.length);
  const memory = new GuestMemory(map.memoryBytes, { shared: true });
  const dma = new TrackingDmaAllocator(memory, {
    base: map.dma.start,
    length: map.dma.end - map.dma.start,
  });
  const link = new AtomicsLink(memory);

  let worker: DeviceWorker;
  try {
    worker = startDeviceWorker({
      memory,
      devices: specs.map((spec, index) => workerSpec(spec, map.registers[index]!.start)),
      ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
      ...(options.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: options.stopTimeoutMs }),
      ...(options.onWorkerError === undefined ? {} : { onError: options.onWorkerError }),
    });
  } catch (e) {
    throw new MachineError(
      'WORKER_FAILED',
      `the device worker did not start: ${describe(e)}`,
      null,
      e,
    );
  }
  try {
    await worker.ready;
  } catch (e) {
    await worker.terminate();
    throw new MachineError(
      'WORKER_FAILED',
      `the device worker did not start: ${describe(e)}`,
      null,
      e,
    );
  }

  const handles: WorkerDeviceHandle[] = [];
  for (const [index, spec] of specs.entries()) {
    const base = map.registers[index]!.start;
    try {
      const queueMax =
        spec.kind === 'net' || spec.kind === 'blk'
          ? (spec.queueSize ?? DEFAULT_DEVICE_QUEUE)
          : DEFAULT_DEVICE_QUEUE;
      const opened = await openGuestDriver(deviceClassOf(spec.kind), spec.driver, queueMax, {
        memory,
        dma,
        base,
        link,
        index,
      });
      handles.push(
        opened.kind === 'console'
          ? { ...opened, input: (bytes: Uint8Array) => worker.consoleInput(base, bytes) }
          : opened,
      );
    } catch (e) {
      await closeDrivers(handles);
      await worker.stop().catch(() => undefined);
      const code = dma.exhausted ? 'MEMORY_TOO_SMALL' : 'DEVICE_OPEN_FAILED';
      const why = dma.exhausted
        ? `the DMA region (${map.dma.end - map.dma.start} bytes) is too small: ${describe(e)}`
        : describe(e);
      throw new MachineError(code, `device ${index} (${spec.kind}): ${why}`, index, e);
    }
  }

  const lines = bootLines(
    'worker',
    map,
    memory.shared,
    handles.map((h) => bootDevice(memory, h)),
  );
  if (options.onLog !== undefined) for (const line of lines) options.onLog(line);
  return new WorkerMachineImpl<T>(
    { memory, dma, link, memoryMap: map, bootLog: lines, handles, netPollInterval },
    worker,
  );
}
