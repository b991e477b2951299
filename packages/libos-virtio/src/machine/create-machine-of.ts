import { GuestMemory } from '@libos/mem';
import { InlineLink } from '../transport/inline-link.js';
import { type AttachedModel, createModel, openDriver } from './attach-device.js';
import { bootLines, inlineBootDevice } from './boot-lines.js';
import type { AnyDeviceClass } from './device-class.js';
import type { DeviceHandle } from './device-handle.js';
import type { DeviceSpec, ExactSpecs } from './device-spec.js';
import { closeHandles, InlineMachine } from './inline-machine.js';
import type { Machine } from './machine.js';
import { MachineError } from './machine-error.js';
import type { MachineOfOptions, MachineOptions } from './machine-options.js';
import { planMemoryMap } from './memory-map.js';
import { TrackingDmaAllocator } from './tracking-dma.js';

const DEFAULT_NET_POLL_INTERVAL = 1000;

/**
 * Builds an in-process virtual machine exactly as {@link createMachine} does, but links
 * only the device classes it is given: each spec's own `deviceClass` (set by
 * `netDevice()`, `blkDevice()`, `rngDevice()`, `consoleDevice()`), else the class of
 * its kind in `options.classes`. A bundle that builds its machine this way from
 * `netDevice(…)` specs holds the virtio-net model and driver and no virtio-blk,
 * virtio-rng or virtio-console code (and so no @libos/fs).
 *
 * @typeParam T - the device specs (a `const` type parameter: no `as const` needed)
 * @param options - memory size, devices, mode, boot log hook, device classes
 * @returns the running machine
 * @throws {@link MachineError} as {@link createMachine}, and `BAD_OPTION` when a spec
 *   has no device class (neither its own `deviceClass` nor one of its kind in `classes`)
 *   or carries the class of another kind
 * @example
 * ```ts
 * import { createLink } from '@libos/net';
 * import { createMachineOf, netDevice } from '@libos/virtio';
 *
 * const [backend] = createLink();
 * const machine = await createMachineOf({
 *   memoryBytes: 4 << 20,
 *   devices: [netDevice({ backend, mtu: 1500 })],
 *   onLog: (line) => console.log(line),
 * });
 * const [nic] = machine.devices; // NetHandle; no disk, entropy or console code linked
 * await machine.close();
 * ```
 */
export function createMachineOf<const T extends readonly DeviceSpec[]>(
  options: MachineOfOptions<T> & { readonly devices: ExactSpecs<T> },
): Promise<Machine<T>> {
  const classes = options.classes ?? [];
  return buildInlineMachine<T>(
    options,
    (spec, index) => {
      const found = spec.deviceClass ?? classes.find((c) => c.kind === spec.kind);
      if (found === undefined) {
        throw new MachineError(
          'BAD_OPTION',
          `device ${index} (${spec.kind}): no device class: build the spec with ${spec.kind}Device(…) or list ${spec.kind}DeviceClass in classes`,
          index,
        );
      }
      return found;
    },
    'createMachineOf',
  );
}

/**
 * The inline machine of `options`, each spec built by the class `classOf` picks
 * (shared by {@link createMachineOf} and {@link createMachine}).
 *
 * @throws {@link MachineError} as {@link createMachineOf}
 */
export async function buildInlineMachine<T extends readonly DeviceSpec[]>(
  options: MachineOptions<T>,
  classOf: (spec: DeviceSpec, index: number) => AnyDeviceClass,
  caller: 'createMachine' | 'createMachineOf',
): Promise<Machine<T>> {
  const mode: string = options.mode ?? 'inline';
  if (mode !== 'inline') {
    throw new MachineError(
      'UNSUPPORTED_MODE',
      `machine mode "${mode}" is not supported by ${caller}; it builds "inline" machines (worker mode: createWorkerMachine from @libos/virtio/node)`,
    );
  }
  const specs: readonly DeviceSpec[] = options.devices;
  const netPollInterval = checkNetPollInterval(options.netPollInterval);
  const map = planMemoryMap(options.memoryBytes, specs.length);
  const classes = specs.map((spec, index) => {
    const deviceClass = classOf(spec, index);
    if (deviceClass.kind !== spec.kind) {
      throw new MachineError(
        'BAD_OPTION',
        `device ${index} (${spec.kind}): its device class builds "${deviceClass.kind}" devices`,
        index,
      );
    }
    return deviceClass;
  });
  const memory = new GuestMemory(map.memoryBytes);
  const dma = new TrackingDmaAllocator(memory, {
    base: map.dma.start,
    length: map.dma.end - map.dma.start,
  });
  const link = new InlineLink(memory);

  const models: AttachedModel[] = [];
  const handles: DeviceHandle[] = [];
  const teardown = async (): Promise<void> => {
    await closeHandles(handles);
    for (const m of models.slice(handles.length)) m.model.stop();
  };

  for (const [index, spec] of specs.entries()) {
    const base = map.registers[index]!.start;
    try {
      const attached = createModel(classes[index]!, spec, { memory, base, link });
      attached.model.start();
      models.push(attached);
    } catch (e) {
      await teardown();
      throw new MachineError(
        'BAD_OPTION',
        `device ${index} (${spec.kind}): ${describe(e)}`,
        index,
        e,
      );
    }
  }
  for (const [index, attached] of models.entries()) {
    const base = map.registers[index]!.start;
    try {
      handles.push(await openDriver(attached, { memory, dma, base, link, index }));
    } catch (e) {
      await teardown();
      const code = dma.exhausted ? 'MEMORY_TOO_SMALL' : 'DEVICE_OPEN_FAILED';
      const why = dma.exhausted
        ? `the DMA region (${map.dma.end - map.dma.start} bytes) is too small: ${describe(e)}`
        : describe(e);
      throw new MachineError(code, `device ${index} (${attached.spec.kind}): ${why}`, index, e);
    }
  }

  const lines = bootLines(
    'inline',
    map,
    memory.shared,
    handles.map((h, index) => inlineBootDevice(classes[index]!, h)),
  );
  if (options.onLog !== undefined) for (const line of lines) options.onLog(line);
  return new InlineMachine<T>({
    memory,
    dma,
    link,
    memoryMap: map,
    bootLog: lines,
    handles,
    netPollInterval,
  });
}

/**
 * The `netPollInterval` option, defaulted and checked (shared by every machine mode).
 *
 * @throws {@link MachineError} `BAD_OPTION` unless a positive integer
 */
export function checkNetPollInterval(value: number | undefined): number {
  const netPollInterval = value ?? DEFAULT_NET_POLL_INTERVAL;
  if (!Number.isSafeInteger(netPollInterval) || netPollInterval < 1) {
    throw new MachineError(
      'BAD_OPTION',
      `netPollInterval ${netPollInterval} is not a positive integer number of µs`,
    );
  }
  return netPollInterval;
}

/** An error's message, or the value as a string. */
export function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
