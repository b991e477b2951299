import { GuestMemory } from '@libos/mem';
import { InlineLink } from '../transport/inline-link.js';
import { type AttachedModel, createModel, openDriver } from './attach-device.js';
import { bootLog } from './boot-log.js';
import type { DeviceHandle } from './device-handle.js';
import type { DeviceSpec, ExactSpecs } from './device-spec.js';
import { closeHandles, InlineMachine } from './inline-machine.js';
import type { Machine } from './machine.js';
import { MachineError } from './machine-error.js';
import type { MachineOptions } from './machine-options.js';
import { planMemoryMap } from './memory-map.js';
import { TrackingDmaAllocator } from './tracking-dma.js';

const DEFAULT_NET_POLL_INTERVAL = 1000;

/**
 * Builds an in-process virtual machine: guest memory (a `SharedArrayBuffer` when the
 * host has one), the memory map (one 4 KiB virtio-mmio register block per device from
 * 0x1000, the DMA region from 0x20000 — see {@link MachineMemoryMap}), an `InlineLink`,
 * one started device model per spec, then every guest driver opened against its
 * device (§3.1.1 initialisation, feature negotiation, queue setup). The returned
 * machine's `devices` tuple follows the specs' types: `[{ kind: 'net', … },
 * { kind: 'blk', … }]` gives `[NetHandle, BlkHandle]`.
 *
 * If anything fails, every driver already opened is closed and every model stopped
 * before the {@link MachineError} is thrown.
 *
 * @typeParam T - the device specs (a `const` type parameter: no `as const` needed)
 * @param options - memory size, devices, mode, boot log hook
 * @returns the running machine
 * @throws {@link MachineError} `UNSUPPORTED_MODE` (anything but `'inline'`),
 *   `BAD_OPTION` (memory size, or a device model rejected its options),
 *   `TOO_MANY_DEVICES`, `MEMORY_TOO_SMALL` (no room for the register blocks, or the DMA
 *   region ran out while drivers allocated rings and buffers), `DEVICE_OPEN_FAILED`
 * @example
 * ```ts
 * import { createLink } from '@libos/net';
 * import { SeededEntropy } from '@libos/sched';
 * import { createMachine, MemoryBlockBackend } from '@libos/virtio';
 *
 * const [backend, wire] = createLink();
 * const machine = await createMachine({
 *   memoryBytes: 16 << 20,
 *   devices: [
 *     { kind: 'net', backend },
 *     { kind: 'blk', backend: new MemoryBlockBackend(new Uint8Array(1 << 20)) },
 *     { kind: 'rng', source: new SeededEntropy(7) },
 *     { kind: 'console', output: (bytes) => process.stdout.write(bytes.slice()) },
 *   ],
 *   onLog: (line) => console.log(line),
 * });
 * const [nic, disk, rng, tty] = machine.devices;
 * await disk.driver.write(0, new Uint8Array(512).fill(1));
 * rng.driver.fill(new Uint8Array(32));
 * await tty.driver.write(new TextEncoder().encode('booted\n'));
 * nic.driver.transmit(60, (frame) => frame.set(wire.macAddress, 0));
 * machine.poll();
 * await machine.close();
 * ```
 */
export async function createMachine<const T extends readonly DeviceSpec[]>(
  options: MachineOptions<T> & { readonly devices: ExactSpecs<T> },
): Promise<Machine<T>> {
  const mode: string = options.mode ?? 'inline';
  if (mode !== 'inline') {
    throw new MachineError(
      'UNSUPPORTED_MODE',
      `machine mode "${mode}" is not supported by createMachine; it builds "inline" machines (worker mode: createWorkerMachine from @libos/virtio/node)`,
    );
  }
  const specs: readonly DeviceSpec[] = options.devices;
  const netPollInterval = checkNetPollInterval(options.netPollInterval);
  const map = planMemoryMap(options.memoryBytes, specs.length);
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
      const attached = createModel(spec, { memory, base, link });
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
      throw new MachineError(code, `device ${index} (${attached.kind}): ${why}`, index, e);
    }
  }

  const lines = bootLog(map, memory.shared, handles);
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
