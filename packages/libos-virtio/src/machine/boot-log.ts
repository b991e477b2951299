import { deviceClassOf } from './all-device-classes.js';
import { bootLines, inlineBootDevice } from './boot-lines.js';
import type { DeviceHandle } from './device-handle.js';
import type { MachineMemoryMap } from './memory-map.js';

/**
 * The kernel-like boot lines a machine prints through `onLog`: guest memory, the memory
 * map, then one line per device with its register block, device id, negotiated
 * features, queue sizes and main properties. (A machine built by {@link createMachineOf}
 * logs the same lines from its own device classes; this function knows every built-in
 * class, so it links every device.)
 *
 * @param map - the machine's memory map
 * @param shared - whether guest memory is a SharedArrayBuffer
 * @param handles - the opened devices
 * @returns the lines, in order
 * @example
 * ```ts
 * import { bootLog } from '@libos/virtio';
 * for (const line of bootLog(machine.memoryMap, true, machine.devices)) console.log(line);
 * // virtio0 @ 0x00001000: virtio-net (device id 1), features CSUM GUEST_CSUM …, queues 256/256; mac …
 * ```
 */
export function bootLog(
  map: MachineMemoryMap,
  shared: boolean,
  handles: readonly DeviceHandle[],
): string[] {
  return bootLines(
    'inline',
    map,
    shared,
    handles.map((h) => inlineBootDevice(deviceClassOf(h.kind), h)),
  );
}
