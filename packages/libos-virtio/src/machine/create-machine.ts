import { ALL_DEVICE_CLASSES } from './all-device-classes.js';
import { buildInlineMachine } from './create-machine-of.js';
import type { DeviceSpec, ExactSpecs } from './device-spec.js';
import type { Machine } from './machine.js';
import type { MachineOptions } from './machine-options.js';

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
 * `createMachine` knows every built-in device class, so a bundle that calls it links
 * every device model and driver (and @libos/fs through virtio-blk); an app that wants
 * only its own devices linked builds its machine with {@link createMachineOf}.
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
export function createMachine<const T extends readonly DeviceSpec[]>(
  options: MachineOptions<T> & { readonly devices: ExactSpecs<T> },
): Promise<Machine<T>> {
  return buildInlineMachine<T>(
    options,
    (spec) => spec.deviceClass ?? ALL_DEVICE_CLASSES[spec.kind],
    'createMachine',
  );
}
