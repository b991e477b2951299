import type { GuestMemory } from '@libos/mem';
import { DeviceStatus, MmioDoorbell, MmioInterrupt, MmioRegister } from '../index.js';

/**
 * What the "hypervisor" does when a device model's thread is gone: sets
 * DEVICE_NEEDS_RESET in the device's Status register and raises a configuration change
 * interrupt (virtio 1.2 §2.1.2, §4.2.2), so a driver fails its pending and future
 * requests with a typed error instead of waiting forever. Call only once nothing else
 * writes the block (the worker has exited).
 *
 * @param memory - guest memory holding the register block
 * @param base - guest address of the register block
 * @example
 * ```ts
 * import { fenceDevice } from '@libos/virtio/node';
 * worker.once('exit', () => fenceDevice(memory, 0x1000));
 * ```
 */
export function fenceDevice(memory: GuestMemory, base: number): void {
  const status = base + MmioRegister.STATUS;
  const now = memory.atomicLoadU32(status);
  if (now === 0) return; // nothing negotiated: a driver probing later times out instead
  memory.atomicStoreU32(status, (now | DeviceStatus.DEVICE_NEEDS_RESET) >>> 0);
  const interrupt = base + MmioRegister.INTERRUPT_STATUS;
  for (;;) {
    const old = memory.atomicLoadU32(interrupt);
    const next = (old | MmioInterrupt.CONFIG_CHANGE) >>> 0;
    if (memory.atomicCompareExchangeU32(interrupt, old, next) === old) break;
  }
  memory.atomicAddU32(base + MmioDoorbell.INTERRUPT_SEQ, 1);
  memory.notify(base + MmioDoorbell.INTERRUPT_SEQ);
}
